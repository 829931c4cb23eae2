#!/usr/bin/env bash
# Check the system programs and libraries that `make run` or `make test` needs; install the missing ones with apt.
#   scripts/system-deps.sh run    WeasyPrint's libraries (Pango, HarfBuzz) and a font
#   scripts/system-deps.sh test   the same, plus PostgreSQL, Redis and Chromium for the test suite
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
mode=${1:-run}
missing=()

# WeasyPrint loads Pango and HarfBuzz at import time; an import that fails names what is missing.
if ! .venv/bin/python -c 'import weasyprint' >/dev/null 2>&1; then
  missing+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
fi
if [ "$mode" = test ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v chromium >/dev/null || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi
if ! .venv/bin/python -c 'import weasyprint' >/dev/null 2>&1; then
  echo "WeasyPrint cannot load its system libraries:" >&2
  .venv/bin/python -c 'import weasyprint' >&2 || true
  exit 1
fi
