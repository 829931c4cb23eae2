"""The boundaries between the apps, and between the parts of agreements, hold (README, "Layout").

import-linter checks the contracts in pyproject.toml ([tool.importlinter]): which app may import which of another's
modules, and which part of agreements may import which. It cannot see names, so the private names (`_name`) that a
module keeps to itself are checked here: no app or part imports another's, and ruff's SLF001 finds `module._name`.
Everything here reads the source only; no database.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGES = ["accounts", "agreements", "apprequests", "dpa_portal", "exhibits", "operations", "portfolio", "vendors"]
# The signing part of agreements is a set of modules rather than a package.
SIGNING = {
    "agreements.consent",
    "agreements.models.signing",
    "agreements.signing",
    "agreements.verification",
    "agreements.views.signing",
    "agreements.views.verify",
}


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_the_import_contracts_are_kept():
    lint_imports = BIN / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} is missing: install the test extras (pip install -e '.[test]')"
    result = _run(str(lint_imports), "--no-cache", "--no-logo")
    assert result.returncode == 0, result.stdout + result.stderr
    kept = re.search(r"Contracts: (\d+) kept, 0 broken", result.stdout)
    assert kept and int(kept.group(1)) >= 10, result.stdout


def part_of(module: str) -> str:
    """The app, or the part of agreements (deadlines, documents, signing), that a module belongs to."""
    names = module.split(".")
    if module in SIGNING:
        return "agreements.signing"
    if names[0] == "agreements" and names[1:2] in (["deadlines"], ["documents"]):
        return ".".join(names[:2])
    if names[:2] == ["exhibits", "public"]:
        return "exhibits.public"
    return names[0]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports_across_parts(files, root=ROOT) -> list[str]:
    """`from other_part import _name` (or of a private module), where the importer is in another app or part."""
    found = []
    for path in files:
        relative = path.relative_to(root).with_suffix("")
        module = ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
        package = module if relative.name == "__init__" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                source = ".".join([*base, node.module] if node.module else base)
                targets = [(f"{source}.{alias.name}", alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [(alias.name, alias.name.rpartition(".")[2]) for alias in node.names]
            else:
                continue
            for target, name in targets:
                private = _private(name) or any(_private(p) for p in target.split(".")[:-1])
                if private and target.split(".")[0] in PACKAGES and part_of(target) != part_of(module):
                    found.append(f"{relative}.py:{node.lineno} imports {target}")
    return found


def _source_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_app_or_part_imports_another_ones_private_names():
    assert private_imports_across_parts(_source_files()) == []


def test_the_private_import_check_can_fail(tmp_path):
    (tmp_path / "vendors").mkdir()
    (tmp_path / "agreements" / "deadlines").mkdir(parents=True)
    crossing = tmp_path / "vendors" / "views.py"
    crossing.write_text("from agreements.access import _agreement\nfrom agreements.access import member_required\n")
    inside = tmp_path / "agreements" / "deadlines" / "views.py"
    inside.write_text("from .calendar import _helper\nfrom ..signing import _otp_valid\n")
    assert private_imports_across_parts([crossing, inside], root=tmp_path) == [
        "vendors/views.py:1 imports agreements.access._agreement",
        "agreements/deadlines/views.py:2 imports agreements.signing._otp_valid",
    ]


def test_no_module_reads_another_ones_private_attributes():
    """ruff's SLF001: `access._agreement` and the like. Django's documented `_meta` is public in all but name."""
    ruff = BIN / "ruff"
    result = _run(
        str(ruff),
        "check",
        "--no-cache",
        "--select",
        "SLF001",
        "--config",
        'lint.flake8-self.extend-ignore-names = ["_meta"]',
        *PACKAGES,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_accounts_mfa_reaches_into_allauths_internals():
    """allauth may change its `internal` packages in any release: one module (accounts/mfa.py) wraps them."""
    sources = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    sources += list((ROOT / "tests").rglob("*.py"))
    reaching = [
        str(path.relative_to(ROOT))
        for path in sources
        if path != ROOT / "accounts" / "mfa.py" and re.search(r"allauth\.[\w.]*internal", path.read_text())
    ]
    assert sources and not reaching, reaching
