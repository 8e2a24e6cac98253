"""Fixtures: the real `persona` binary (from `cargo build`) serving on a random free port with a
temporary database, data and output folders."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TOKEN = "test-token-123"


def persona_binary() -> Path:
    """`$PERSONA_BIN`, else the debug build of the repository (python/ci.sh builds it)."""
    configured = os.environ.get("PERSONA_BIN")
    if configured:
        return Path(configured)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "persona"


@dataclass
class Server:
    base_url: str
    token: str
    data_dir: Path
    output_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(root: Path, env: dict[str, str] | None = None) -> Server:
    binary = persona_binary()
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `cargo build` first (or set PERSONA_BIN)")
    data_dir = root / "data"
    output_dir = root / "output"
    data_dir.mkdir(parents=True)
    for example in EXAMPLES.iterdir():
        shutil.copy(example, data_dir / example.name)
    process_env = {
        **os.environ,
        "PERSONA_API_AUTH_TOKEN": TOKEN,
        "PERSONA_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        "PERSONA_FETCH_ALLOW_PRIVATE_TARGETS": "true",
        "PERSONA_RATE_LIMIT_ENABLED": "false",
        "PERSONA_WORKER_POLL_INTERVAL_MS": "50",
        **(env or {}),
    }
    process_env.pop("PERSONA_CONFIG", None)
    log = root / "server.log"
    for _ in range(5):  # a port taken between probing and binding: try another
        port = free_port()
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                [
                    str(binary), "serve", "--port", str(port), "--workers", "2",
                    "--db", str(root / "persona.db"), "--data-dir", str(data_dir),
                    "--output-dir", str(output_dir), "--log-level", "warn",
                ],
                env=process_env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base_url}/api/v1/health", timeout=1).status_code == 200:
                    return Server(base_url, TOKEN, data_dir, output_dir, process, log)
            except httpx.HTTPError:
                time.sleep(0.05)
        process.kill()
        process.wait()
    pytest.fail(f"persona serve did not start:\n{log.read_text(errors='replace')}")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("server"))
    yield running
    stop(running)


@pytest.fixture
def limited_server(tmp_path: Path) -> Iterator[Server]:
    """A server allowing one pending or running job per client (429 beyond, Retry-After 5)."""
    running = start_server(
        tmp_path,
        {"PERSONA_RATE_LIMIT_ENABLED": "true", "PERSONA_RATE_LIMIT_MAX_CONCURRENT_JOBS": "1"},
    )
    yield running
    stop(running)
