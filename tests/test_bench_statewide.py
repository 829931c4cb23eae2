"""The statewide benchmark's harness (bench/statewide, issue 13.1) at 10,000 agreements: the SQL generator makes a
database the portal serves, every page of the table answers and is measured against the bare page, and the sweep has
exactly its fixed work. The full run (gunicorn, a million agreements) is bench/statewide.sh, outside the suite."""

import math
import re
import time
from datetime import date
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from agreements.deadlines.sweep import sweep_run
from agreements.models import Agreement, StatusChange, statuses
from bench.statewide import prepare, run, search_sql
from bench.statewide.generate import DUE_ITEMS, Sizes, derive, generate, make_due
from exhibits.models import SupplementalInformation

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "bench.statewide.urls"
    settings.SECURE_SSL_REDIRECT = False


def test_the_harness_generates_measures_and_reports_at_ten_thousand(catalogues, bench_urls):
    today = date.today()
    started = time.perf_counter()
    made = generate(connection, Sizes(10_000), today, log=lambda line: None)
    derive(connection, log=lambda line: None)
    generation = time.perf_counter() - started
    facts = prepare.facts(made)

    # The data is what the generator promises: sizes, statuses of a real state, posted_at from the log.
    assert Agreement.objects.count() == 10_000
    assert SupplementalInformation.objects.count() == 10_000
    assert facts["district_posted"] > 1_500 and facts["districts"] == 10
    posted = Agreement.objects.filter(status__in=statuses.POSTED)
    assert 0.8 < posted.count() / 10_000 < 0.95
    sample = posted.order_by("pk").first()
    executed = StatusChange.objects.get(agreement=sample, to_status="executed")
    assert sample.posted_at == executed.created_at
    assert generation < 60, generation  # seconds: SQL, not the ORM row by row (about 6 s on 2 cores)

    # Every page of the table answers 200 and gets a number against the bare page.
    client = Client()

    def fetch(path, cookie):
        if cookie:
            client.cookies.load(cookie)
        t = time.perf_counter()
        response = client.get(path)
        body = b"".join(response) if response.streaming else response.content
        total = time.perf_counter() - t
        client.cookies.clear()
        return run.Response(response.status_code, total, total, len(body))

    pages = run.pages_for(facts)
    for page in pages:
        run.measure(fetch, cache.clear, page, runs=1)
        assert page.cold[0].size > 0, page.name

    # The sweep on `today`: nothing after the load; then exactly the fixed work, the same at every size.
    first = sweep_run(today=today)
    assert not first.expired and not first.reminders
    make_due(connection, made.sizes, today)
    due = sweep_run(today=today)
    assert len(due.expired) + len(due.reminders) == DUE_ITEMS

    # The search's query for each of the benchmark's searches, asked first and again (the 100 ms is for the
    # million, in the benchmark's output; the suite's machine is shared, so no bound on time here).
    searched = search_sql.measure()
    assert set(searched["times"]) == set(search_sql.SEARCHES)
    assert all(math.isfinite(t) and t > 0 for pair in searched["times"].values() for t in pair), searched

    args = SimpleNamespace(workers=0, runs=1, clients=20, throughput=0)
    sweep = {"median": 0.1, "times": [0.1], "queries": 1, "settle_seconds": 0.1, "settle": {}, "results": [{}],
             "plans": []}  # fmt: skip
    facts["generation_seconds"] = generation
    text = run.report(
        args,
        {10_000: {"facts": facts, "pages": pages, "throughput": {}, "sweep": sweep, "search_sql": searched}},
        run.datetime.now(),
    )
    slowest = max(searched["times"], key=lambda q: searched["times"][q][0])
    assert f"{len(search_sql.SEARCHES)} queries" in text and f"({slowest!r})" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| page")]
    assert [row.split(" | ")[0][2:] for row in rows] == [p.name for p in pages] + [
        "deadline sweep, 100 items due (today fixed)"
    ]
    for row in rows[:-1]:
        ratios = [float(x) for x in re.findall(r"\(([0-9.]+)x", row)]
        assert len(ratios) == 2 and all(math.isfinite(r) and r > 0 for r in ratios), row
