# The two commands of the README: `make run` (the portal on SQLite with demo data) and `make test` (the suite on
# PostgreSQL and Redis). Both set up what they need on a fresh Debian machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The development sealing certificate of `make run` (created on first run; never used in production).
DEV_SEAL_P12 ?= var/dev-seal.p12

.PHONY: run test lint format venv clean

$(VENV)/.installed: pyproject.toml
	PYTHON=$(PYTHON) scripts/bootstrap.sh
	@touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	scripts/system-deps.sh run
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput
	@[ -f $(DEV_SEAL_P12) ] || { mkdir -p $(dir $(DEV_SEAL_P12)) && DPA_SEAL_P12_PASSPHRASE= DJANGO_DEBUG=true \
		$(PY) manage.py create_seal_certificate --out $(DEV_SEAL_P12); }
	DJANGO_DEBUG=true DPA_SEAL_P12=$(DEV_SEAL_P12) DPA_SEAL_P12_PASSPHRASE= $(PY) manage.py load_demo
	HOST=$(HOST) PORT=$(PORT) DPA_SEAL_P12=$(DEV_SEAL_P12) DPA_SEAL_P12_PASSPHRASE= scripts/run.sh

# The suite in TEST_WORKERS processes (pytest-xdist), each with its own test database, Redis database and media
# directory (tests/parallel.py); a module's tests stay together in one process (--dist loadfile), so its shared rows
# are built once. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed
	scripts/system-deps.sh test
	scripts/test.sh -n $(TEST_WORKERS) --dist loadfile $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
