# Sourced by render.sh and test.sh: make sure .venv exists and matches requirements.txt, then activate it.
# Idempotent: when .venv is up to date this costs one checksum.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want="$(cd "$root" && sha256sum requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setting up $venv from requirements.txt (first run: a few minutes)..." >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    (cd "$root" && "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt) \
        || { echo "error: pip install -r requirements.txt failed (see above)" >&2; exit 1; }
    echo "$want" > "$stamp"   # written last: an interrupted install is retried next time
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"
