"""The statewide scale benchmark (issue 13): bench/statewide.sh runs bench/statewide/run.py."""
