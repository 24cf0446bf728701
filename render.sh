#!/usr/bin/env bash
# Render the report series: ./render.sh [--profile smoke|quick|full] [--device auto|cpu|cuda|mps] [--seed N]
#                                       [--only 01,03] [--out DIR] [-p NAME VALUE ...]
# Creates .venv from requirements.txt on first use. See README.md.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
exec python -m lab_utils.render "$@"
