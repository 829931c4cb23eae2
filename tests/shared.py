"""Rows built once and shared by the tests of a module, instead of once per test.

Why by hand: pytest-django has no database fixture wider than a test (pytest-dev/pytest-django#514, open) and skips
Django's setUpTestData (#974); its issue #1145 shows the module-level transaction this generalises.

Most of the suite's set-up time went into building the same rows again for every test: a signed agreement with
its rendered and sealed PDFs, the whole demo, the deadlines' world. A module declares what it shares:

    SHARED_ROWS = SharedRows()

    @SHARED_ROWS.layer()
    def signing(rows):  # rows: what the layers below made ({} here)
        ...  # build with the services and factories, as a fixture would
        return {"agreement": agreement, "vendor": vendor}

    @SHARED_ROWS.layer(on="signing")
    def executed(rows):
        ...
        return {"document": document}  # added to the rows below

    vendor = SHARED_ROWS.fixture("vendor", "signing", lambda rows: rows["vendor"])

and a test asks for the rows through such fixtures, as through any other.

How it stays honest: each layer is a database transaction (the first one) or a savepoint (those on it), opened
before the test's own savepoint and kept open while consecutive tests use it. A test sees exactly the rows its
fixtures ask for: whatever it changes is rolled back after it as usual, a layer is rolled back as soon as a test
runs that does not use it (so tests without it never see its rows), and everything is rolled back at the end of the
module. Each test gets its own copies of the model instances. A layer is built again only when the tests that use it
are not next to each other. pytest-django runs a module's database tests together and its transactional ones
afterwards, so a module's layers stay open across its database tests.

Transactional tests (transactional_db, live_server, a worker process) cannot see uncommitted rows: for them the same
fixtures build the layers within the test, as ordinary fixtures would, and the test's flush removes them.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction

TRANSACTIONAL_FIXTURES = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@dataclass
class _Layer:
    name: str
    build: Callable[[dict], dict]
    on: str | None


@dataclass
class _Open:
    """A layer built and still open: its rows (with those of the layers below) and its transaction or savepoint."""

    owner: "SharedRows"
    name: str
    atomic: transaction.Atomic
    rows: dict


@dataclass
class SharedRows:
    """The layers of shared rows of one test module (see the module's docstring)."""

    # Called before the layers are built and at the start of every test that uses them, e.g. to forget what the
    # cache remembers of earlier tests.
    before_each: Callable[[], None] | None = None
    layers: dict[str, _Layer] = field(default_factory=dict)
    fixture_layers: dict[str, str] = field(default_factory=dict)

    def layer(self, *, on: str | None = None):
        """Register `build(rows) -> dict` as a layer named after the function, built on the layer `on`."""

        def register(build):
            assert on is None or on in self.layers, f"layer {on!r} is not declared (yet)"
            self.layers[build.__name__] = _Layer(build.__name__, build, on)
            return build

        return register

    def fixture(self, name: str, layer: str, pick: Callable[[dict], object] = lambda rows: rows):
        """A function-scoped fixture `name`: `pick(rows)` of the layer (and any layer above it the test uses)."""
        assert layer in self.layers, f"layer {layer!r} is not declared"
        self.fixture_layers[name] = layer

        @pytest.fixture(name=name)
        def shared_fixture(request, db):  # `db` (or transactional_db, if the test asks for it) before the rows
            return pick(self._rows(request))

        shared_fixture.__doc__ = f"From the shared rows of layer {layer!r} (tests/shared.py)."
        return shared_fixture

    def chain(self, name: str) -> list[str]:
        """The layer and those it is built on, the lowest first."""
        names = []
        while name is not None:
            names.insert(0, name)
            name = self.layers[name].on
        return names

    def wanted(self, test) -> list[str]:
        """The chain of layers a test's fixtures ask for ([] for none); `test` is its request or its item."""
        chains = [self.chain(self.fixture_layers[f]) for f in test.fixturenames if f in self.fixture_layers]
        longest = max(chains, key=len, default=[])
        for chain in chains:
            if chain != longest[: len(chain)]:
                raise pytest.UsageError(f"{_node(test).nodeid} asks for layers on two branches: {chain}, {longest}")
        return longest

    def build(self, names: list[str]) -> dict:
        rows = {}
        for name in names:
            rows = _built(self.layers[name], rows)
        return rows

    def _rows(self, request) -> dict:
        """The rows for this test: its own copy of the open layers' rows, or built now in a transactional test."""
        per_test = request.node.stash.setdefault(_ROWS_KEY, {})
        if id(self) not in per_test:
            names = self.wanted(request)
            if self.before_each:
                self.before_each()
            if transactional(request):
                per_test[id(self)] = self.build(names)
            else:
                open_layers = [layer for layer in _STACK if layer.owner is self]
                assert [layer.name for layer in open_layers] == names, "tests/conftest.py's _shared_rows did not run"
                per_test[id(self)] = copy.deepcopy(open_layers[-1].rows)
        return per_test[id(self)]


_ROWS_KEY = pytest.StashKey[dict]()
_STACK: list[_Open] = []  # the open layers, the lowest first (one connection, so one stack)
_BLOCKER = None  # pytest-django's django_db_blocker, for release()


def _built(layer: _Layer, below: dict) -> dict:
    """The rows below (copies: the builder may change them) with those the layer adds."""
    rows = copy.deepcopy(below)
    return {**rows, **layer.build(rows)}


def _node(test):
    return getattr(test, "node", test)


def transactional(test) -> bool:
    """Whether pytest-django runs a test (its request or its item) in a TransactionTestCase (as _django_db_helper
    decides)."""
    if TRANSACTIONAL_FIXTURES & set(test.fixturenames):
        return True
    marker = _node(test).get_closest_marker("django_db")
    if marker is None:
        return False
    from pytest_django.fixtures import validate_django_db

    transaction_, reset_sequences, _databases, serialized_rollback, _apps = validate_django_db(marker)
    return bool(transaction_ or reset_sequences or serialized_rollback)


def _wanted(test) -> tuple["SharedRows | None", list[str]]:
    """The module's shared rows and the chain of layers the test (request or item; None: no test) runs on."""
    shared = getattr(test, "module", None) if test is not None else None
    shared = getattr(shared, "SHARED_ROWS", None)
    if not isinstance(shared, SharedRows) or transactional(test):
        return None, []
    return shared, shared.wanted(test)


def _kept(shared, wanted) -> int:
    """How many of the open layers, from the lowest, are the first layers of `wanted`."""
    keep = 0
    while keep < min(len(_STACK), len(wanted)) and (_STACK[keep].owner, _STACK[keep].name) == (shared, wanted[keep]):
        keep += 1
    return keep


def prepare(request, django_db_blocker) -> None:
    """Before a test's fixtures: open the layers it uses, building those not open (release() has rolled back the
    others after the test before)."""
    global _BLOCKER
    _BLOCKER = django_db_blocker
    shared, wanted = _wanted(request)
    keep = _kept(shared, wanted)
    if keep == len(_STACK) == len(wanted):
        return
    if any(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise pytest.UsageError(
            f"{request.node.nodeid}: the test's transaction began before its shared rows were opened (a django_db "
            "marker?); ask for the `db` fixture instead"
        )
    with django_db_blocker.unblock():
        roll_back(keep)
        if wanted[keep:] and shared.before_each:
            shared.before_each()
        for name in wanted[keep:]:
            atomic = transaction.atomic()
            atomic.__enter__()
            below = _STACK[-1].rows if _STACK else {}
            try:
                rows = _built(shared.layers[name], below)
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
            _STACK.append(_Open(shared, name, atomic, rows))


def release(nextitem) -> None:
    """After a test and its fixtures are torn down: roll back the layers that the next test does not use (all of
    them after the last test of a module), before anything of the next test can open a transaction on them."""
    if not _STACK:
        return
    keep = _kept(*_wanted(nextitem))
    if keep < len(_STACK):
        with _BLOCKER.unblock():
            roll_back(keep)


def roll_back(keep: int = 0) -> None:
    """Roll back the open layers above the first `keep`."""
    while len(_STACK) > keep:
        layer = _STACK.pop()
        transaction.set_rollback(True)
        layer.atomic.__exit__(None, None, None)


def group_by_layers(items: list) -> None:
    """Reorder, within each run of consecutive tests of one module, so that the tests that use the same layers run
    one after the other (in the order their first test had): a layer is then built once per module, not again each
    time a test without it ran in between. Runs after pytest-django has put database tests before transactional
    ones, and keeps that order."""
    start = 0
    while start < len(items):
        end = start
        module = getattr(items[start], "module", None)
        while end < len(items) and getattr(items[end], "module", None) is module:
            end += 1
        shared = getattr(module, "SHARED_ROWS", None)
        if isinstance(shared, SharedRows):
            groups: dict[tuple, list] = {}
            for item in items[start:end]:
                kind = 1 if transactional(item) else 0 if "db" in item.fixturenames else 2  # as pytest-django orders
                groups.setdefault((kind, *([] if kind else shared.wanted(item))), []).append(item)
            ordered = sorted(groups, key=lambda key: key[0])  # stable: by first appearance within a kind
            items[start:end] = [item for key in ordered for item in groups[key]]
        start = end


def demo_rows(rows):
    """A layer with the whole demo (`manage.py load_demo`: two PDFs rendered and sealed), for modules that read it."""
    import io

    from django.core.management import call_command

    from exhibits.catalogues import load_all_catalogues

    load_all_catalogues()
    call_command("load_demo", stdout=io.StringIO())
    return {}
