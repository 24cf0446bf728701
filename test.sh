#!/usr/bin/env bash
# Run the test suite in the project's venv (created from requirements.txt on first use): ./test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
exec python -m pytest "$@"
