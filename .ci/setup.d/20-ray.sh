#!/usr/bin/env bash
# The optional Ray extra (requirements-ray.txt) in the project's venv, for tests/test_render_ray.py.
# Idempotent: a stamp in .venv remembers the installed requirements-ray.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/venv.sh
stamp=.venv/.requirements-ray.sha256
want="$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' requirements-ray.txt)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! python -c "import ray" 2>/dev/null; then
    echo "installing the Ray extra (requirements-ray.txt)..." >&2
    python -m pip install -q --disable-pip-version-check -r requirements-ray.txt
    echo "$want" > "$stamp"
fi
