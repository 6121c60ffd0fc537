"""Headless Chromium driven over the DevTools protocol (CDP), for tests of what a browser shows.

Debian's `chromium` (`apt-get install -y chromium`; `make test` and `.ci/run` install it when
missing and root), or the binary `ZHURNAL_CHROMIUM` names. No Playwright: CDP over the
`websockets` package the server already depends on, so no browser build is downloaded and no
driver version has to match the browser's. The browser gets no internet: every host but
127.0.0.1 fails to resolve, and every request it makes is recorded.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.server_fixture import STARTUP_SECONDS

CHROMIUM = os.environ.get("ZHURNAL_CHROMIUM", "/usr/bin/chromium")
INSTALL_HINT = ("the browser tests need Chromium: `apt-get install -y chromium` (Debian; `make "
                "test` and .ci/run do it when run as root), or set ZHURNAL_CHROMIUM to its path")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--no-default-browser-check", "--window-size=1400,900",
    # No internet, as on a school network: only the test server resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-port=0",
]
CTRL = 2  # CDP modifier bit


class BrowserError(AssertionError):
    pass


@dataclass
class Page:
    """One tab; `send` runs a CDP command and returns its result, recording events meanwhile."""

    socket: ClientConnection
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    events: list[dict[str, Any]] = field(default_factory=list)

    def send(self, method: str, params: dict[str, Any] | None = None,
             timeout: float = 30) -> dict[str, Any]:
        call_id = next(self.ids)
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == call_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            if "method" in message:
                self.events.append(message)

    def drain(self) -> None:
        """Record the events that arrived without a command."""
        while True:
            try:
                message = json.loads(self.socket.recv(timeout=0.05))
            except TimeoutError:
                return
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 30, what: str = "") -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                self.screenshot_on_failure()
                raise BrowserError(f"timed out waiting for {what or expression}; the page "
                                   f"shows: {self.evaluate('document.body.innerText')[:500]!r}")
            time.sleep(0.1)

    def open(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'", what=f"{url} to load")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the first element the selector finds."""
        box = self.wait_for(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; const r = e.getBoundingClientRect();"
            " return r.width && r.height ? [r.x + r.width / 2, r.y + r.height / 2] : null; })()",
            what=f"{selector} to be shown")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def key(self, key: str, code: str, key_code: int, modifiers: int = 0) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {
                "type": kind, "key": key, "code": code, "windowsVirtualKeyCode": key_code,
                "modifiers": modifiers})

    def type(self, text: str) -> None:
        """Text as typed into the focused element (one input event, as an IME would send)."""
        self.send("Input.insertText", {"text": text})

    def requested_urls(self) -> list[str]:
        self.drain()
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and refused loads (CSP included)."""
        self.drain()
        found = []
        for e in self.events:
            p = e["params"]
            if e["method"] == "Runtime.exceptionThrown":
                found.append(f"exception: {p['exceptionDetails'].get('text')} "
                             f"{p['exceptionDetails'].get('exception', {}).get('description')}")
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] == "error":
                found.append("console.error: " + " ".join(
                    str(a.get("value", a.get("description"))) for a in p["args"]))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append(f"{p['entry']['source']}: {p['entry']['text']}")
            elif e["method"] == "Network.loadingFailed":
                found.append(f"load failed: {p.get('errorText')} {p.get('blockedReason', '')}")
        return found

    def screenshot_on_failure(self) -> None:
        where = os.environ.get("ZHURNAL_BROWSER_SCREENSHOTS")
        if where:
            data = self.send("Page.captureScreenshot")["data"]
            path = Path(where) / f"failure-{time.time_ns()}.png"
            path.write_bytes(base64.b64decode(data))


@contextmanager
def chromium_page() -> Iterator[Page]:
    """A fresh headless Chromium (own profile, no internet) and its one tab; closed after."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        raise BrowserError(f"no Chromium at {CHROMIUM}: {INSTALL_HINT}")
    profile = tempfile.mkdtemp(prefix="zhurnal-chromium-")
    # Its output goes to a file, not a pipe: a chatty browser never blocks on a full pipe.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            port = _devtools_port(Path(profile), process, log)
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            target = next(t for t in targets if t["type"] == "page")
            with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
                page = Page(ws)
                for domain in ("Page", "Runtime", "Log", "Network"):
                    page.send(f"{domain}.enable")
                yield page
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(profile: Path, process: subprocess.Popen[bytes], log: IO[bytes]) -> int:
    """Chromium writes the port it chose (--remote-debugging-port=0) into the profile."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise BrowserError(f"Chromium exited with {process.returncode}: {output[-2000:]}")
        if marker.exists():
            first = marker.read_text().split("\n", 1)[0].strip()
            if first.isdigit():
                return int(first)
        time.sleep(0.05)
    raise BrowserError("Chromium did not open its DevTools port within 30 s")
