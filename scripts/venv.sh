# Sourced by render.sh and test.sh: make sure .venv exists and matches requirements.txt, then activate it.
# Idempotent: when .venv is up to date this costs one checksum. Portable (Linux, macOS): no GNU coreutils needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
# sha256 of the lines "<sha256>  <file>" of requirements.txt and pyproject.toml: the value that
# `sha256sum requirements.txt pyproject.toml | sha256sum` gives, so existing stamps stay valid
want="$(cd "$root" && python3 -c 'import hashlib, sys
lines = "".join(hashlib.sha256(open(n, "rb").read()).hexdigest() + "  " + n + "\n" for n in sys.argv[1:])
print(hashlib.sha256(lines.encode()).hexdigest())' requirements.txt pyproject.toml)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setting up $venv from requirements.txt (first run: a few minutes)..." >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    (cd "$root" && "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt) \
        || { echo "error: pip install -r requirements.txt failed (see above)" >&2; exit 1; }
    echo "$want" > "$stamp"   # written last: an interrupted install is retried next time
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"
