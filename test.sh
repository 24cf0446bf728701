#!/usr/bin/env bash
# Run the test suite in the project's venv (created from requirements.txt on first use): ./test.sh [pytest args]
# One pytest-xdist worker per core ($LAB_TEST_WORKERS to change; `./test.sh -n 0` runs in one process); the
# workers split the cores' torch threads and share each notebook's smoke execution (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
cores="$(python -c 'import os; print(os.cpu_count() or 1)')"   # no GNU nproc on macOS
exec python -m pytest -n "${LAB_TEST_WORKERS:-$cores}" --dist worksteal "$@"
