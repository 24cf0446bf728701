#!/usr/bin/env bash
# Headless Chromium for tests/test_browser.py and tests/test_jupyterlab.py: Debian's `chromium` package (the tests
# speak the DevTools protocol through websocket-client, which jupyter_server brings, so no chromedriver is needed).
# Idempotent: nothing happens when chromium is already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ci: chromium is missing and this is not root: install Debian's chromium package (apt-get install chromium)" >&2
    exit 1
fi
echo "installing chromium (apt)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version >&2
