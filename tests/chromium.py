"""Headless Chromium driven over the DevTools protocol (a websocket; no chromedriver or selenium needed).

    with Chromium() as browser:
        page = browser.open("file:///.../reports/index.html")    # waits for the load event, then settles
        page.errors, page.failed                                  # JavaScript exceptions / console errors, failed loads
        browser.evaluate("document.images.length")
        browser.screenshot(Path("shot.png"))

Chromium is Debian's `chromium` (`.ci/setup.d/30-chromium.sh` installs it); `CHROMIUM` overrides the binary.
The flags are those that work on this machine's closed network (no background connections, no GPU) with
SwiftShader for WebGL, which plotly's 3-D views need.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--allow-file-access-from-files",
]


def binary() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Page:
    """What one page load produced: JavaScript exceptions and console errors, and requests that failed."""

    url: str
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    load_ms: float = 0.0


class Chromium:
    """One headless Chromium with one tab, controlled over the DevTools websocket."""

    def __init__(self, width: int = 1280, height: int = 1000, timeout: float = 60):
        import websocket  # websocket-client, a dependency of jupyter_server

        exe = binary()
        if exe is None:
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="chromium-")
        self._proc = subprocess.Popen(
            [
                exe,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.time() + timeout
        while not port_file.exists() or not port_file.read_text().strip():
            if self._proc.poll() is not None or time.time() > deadline:
                self.close()
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = self._targets(port, deadline)
        self._ws = websocket.create_connection(
            targets[0]["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True
        )
        self._id = 0
        self._events: list[dict] = []
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    @staticmethod
    def _targets(port: int, deadline: float) -> list[dict]:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    return pages
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("chromium has no page target")
            time.sleep(0.1)

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    # --- protocol -----------------------------------------------------------------------------------------------
    def _recv(self, deadline: float) -> dict:
        self._ws.settimeout(max(0.05, deadline - time.time()))
        return json.loads(self._ws.recv())

    def send(self, method: str, **params) -> dict:
        """Call a DevTools method and return its result (RuntimeError on a protocol error)."""
        self._id += 1
        my_id = self._id
        self._ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.time() + self.timeout
        while True:
            msg = self._recv(deadline)
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._events.append(msg)

    def pump(self, seconds: float) -> None:
        """Collect events for `seconds`."""
        import websocket

        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                self._events.append(self._recv(deadline))
            except (websocket.WebSocketTimeoutException, TimeoutError):
                break

    def wait_event(self, method: str, timeout: float | None = None) -> dict | None:
        import websocket

        deadline = time.time() + (timeout or self.timeout)
        for i, ev in enumerate(self._events):
            if ev.get("method") == method:
                return self._events.pop(i)
        while time.time() < deadline:
            try:
                msg = self._recv(deadline)
            except (websocket.WebSocketTimeoutException, TimeoutError):
                break
            if msg.get("method") == method:
                return msg
            self._events.append(msg)
        return None

    def evaluate(self, expression: str, await_promise: bool = False):
        """The JSON value of a JavaScript expression in the page (RuntimeError when it throws)."""
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in r:
            raise RuntimeError(
                f"{expression[:80]}: {r['exceptionDetails'].get('text')} "
                f"{r['exceptionDetails'].get('exception', {}).get('description', '')}"
            )
        return r.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 30, poll: float = 0.2):
        """Poll a JavaScript expression until it is truthy; its value, or None on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = self.evaluate(expression)
            if v:
                return v
            self.pump(poll)
        return None

    # --- pages --------------------------------------------------------------------------------------------------
    def open(self, url: str, settle: float = 0.5) -> Page:
        """Navigate, wait for the load event and `settle` seconds more; report errors and failed requests."""
        self._events.clear()
        t0 = time.time()
        nav = self.send("Page.navigate", url=url)
        if nav.get("errorText"):
            return Page(url, failed=[f"{url}: {nav['errorText']}"])
        self.wait_event("Page.loadEventFired")
        load_ms = 1000 * (time.time() - t0)
        self.pump(settle)
        return self.page_report(url, load_ms)

    def page_report(self, url: str, load_ms: float = 0.0) -> Page:
        """Errors and failed requests among the events collected since the last `open`."""
        page = Page(url, load_ms=load_ms)
        requests = {}
        for ev in self._events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Network.requestWillBeSent":
                requests[p["requestId"]] = p["request"]["url"]
            elif m == "Network.loadingFailed" and not p.get("canceled"):
                page.failed.append(f"{requests.get(p['requestId'], '?')}: {p.get('errorText')}")
            elif m == "Network.responseReceived" and p["response"].get("status", 200) >= 400:
                page.failed.append(f"{p['response']['url']}: HTTP {p['response']['status']}")
            elif m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                page.errors.append(d.get("exception", {}).get("description") or d.get("text", "exception"))
            elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
                page.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                page.errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        self._events.clear()
        return page

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """A PNG of the page (the whole page when `full_page`)."""
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            m = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": m["width"], "height": min(m["height"], 16000), "scale": 1}
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path
