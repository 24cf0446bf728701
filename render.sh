#!/usr/bin/env bash
# Render the report series: ./render.sh [--profile smoke|quick|full] [--device auto|cpu|cuda|mps]
#                                       [--seed N | --seeds 0,1,2 | --seeds 0-4] [--only 01,03] [--jobs N]
#                                       [--backend local|ray [--address HOST:PORT]] [--force] [--out DIR]
#                                       [-p NAME VALUE ...] [--index-only]
# Creates .venv from requirements.txt on first use; --backend ray also needs requirements-ray.txt. See README.md.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
exec python -m lab_utils.render "$@"
