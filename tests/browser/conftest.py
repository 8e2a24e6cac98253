"""Fixtures for the browser tests: the real `persona` binary on a random port with a temporary
database, and Debian's Chromium driven by Playwright (no browser download)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PERSONA_BINARY", ROOT / "target" / "debug" / "persona"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE = Path(__file__).resolve().parent / ".deps" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class Server:
    """`persona serve` in a temporary directory holding the example data."""

    def __init__(self, env):
        self.dir = Path(tempfile.mkdtemp(prefix="persona-browser-"))
        for name in ("interviews.csv", "transcript-p16.md"):
            shutil.copy(ROOT / "examples" / name, self.dir / name)
        self.log_path = self.dir / "serve.log"
        full_env = {
            **os.environ,
            "PERSONA_RATE_LIMIT_ENABLED": "false",
            "PERSONA_SERVER_LOG_LEVEL": "info",
            **env,
        }
        if "PERSONA_API_AUTH_TOKEN" not in env:
            full_env.pop("PERSONA_API_AUTH_TOKEN", None)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--port", "0", "--db", str(self.dir / "persona.db"),
             "--data-dir", str(self.dir), "--output-dir", str(self.dir / "output")],
            cwd=self.dir, env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.base = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            match = re.search(r"listening on http://[^:]+:(\d+)", self.log_path.read_text())
            if match:
                return f"http://127.0.0.1:{match.group(1)}"
            if self.process.poll() is not None:
                raise RuntimeError(f"persona serve exited:\n{self.log_path.read_text()}")
            time.sleep(0.05)
        raise RuntimeError("persona serve did not start within 30 s")

    def url(self, path):
        return self.base + path

    def api(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url(path), data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def wait_for_job(self, job_id, token=None, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.api("GET", f"/api/v1/generate/{job_id}", token=token)
            if job["status"] in ("completed", "failed", "cancelled"):
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not end within {timeout} s")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Receiver:
    """A local webhook receiver that answers 200 to every POST."""

    def __init__(self):
        self.bodies = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(self.rfile.read(length))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


@pytest.fixture(scope="session")
def server():
    instance = Server({"PERSONA_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true"})
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def token_server():
    instance = Server({"PERSONA_API_AUTH_TOKEN": "browser-test-token", "PERSONA_AUTH_PROTECT_READS": "true"})
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def receiver():
    instance = Receiver()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def screenshot(page, name, full_page=True):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def axe_violations(page):
    """Serious and critical axe-core violations of the page as it is now (the context must bypass
    the CSP, which refuses injected scripts)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
