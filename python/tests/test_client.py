"""The clients against a live `persona serve` (the real binary, a temporary database)."""

from __future__ import annotations

import asyncio
import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import persona
from conftest import TOKEN, Server


@pytest.fixture
def client(server: Server) -> Iterator[persona.Client]:
    with persona.Client(server.base_url, server.token, timeout=30) as c:
        yield c


def finished_job(client: persona.Client, **body: Any) -> persona.models.JobView:
    created = client.generate("interviews.csv", 2, **body)
    return client.wait_for_job(created["job_id"], timeout=120)


def test_seed_003_snippet_works_as_written(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """The API reference's usage lines, verbatim but for the server's address."""
    client = persona.PersonaClient(server.base_url, token=TOKEN)
    result = client.generate("./interviews.csv", count=5)
    job = client.wait_for_job(result["job_id"])
    print(job["result"]["personas"])  # type: ignore[index]
    assert job["status"] == "completed"
    personas = job["result"]["personas"]  # type: ignore[index]
    # Up to five: a persona too thin to use is dropped, with a warning in the run (issue 13).
    assert personas is not None and 1 <= len(personas) <= 5
    assert personas[0]["name"] in capsys.readouterr().out
    assert client.get_job(result["job_id"])["status"] == "completed"


def test_service_endpoints(client: persona.Client) -> None:
    assert client.root()["health"] == "/api/v1/health"
    assert client.health()["status"] == "healthy"
    assert "checks" in client.ready()
    providers = client.providers()
    assert providers["default_provider"] == "local"
    assert any(p["name"] == "local" for p in providers["providers"])


def test_jobs_events_paging_and_cancel(client: persona.Client) -> None:
    created = client.generate("interviews.csv", 2, seed=3)
    events = list(client.job_events(created["job_id"], timeout=60))
    assert events[-1].event == "completed"
    assert all(e.data["job_id"] == created["job_id"] for e in events)
    assert [e.data["progress"] for e in events] == sorted(e.data["progress"] for e in events)
    # Resuming with Last-Event-ID continues exactly after that event: no gaps, no repeats.
    resumed = list(client.job_events(created["job_id"], last_event_id=events[0].id, timeout=60))
    assert [e.id for e in resumed] == [e.id for e in events[1:]]
    for _ in range(3):
        client.generate("interviews.csv", 1)
    every = list(client.iter_jobs(page_size=2))
    assert len(every) >= 4
    assert len({j["job_id"] for j in every}) == len(every)
    assert client.list_jobs(limit=1)[0]["job_id"] == every[0]["job_id"]
    completed = list(client.iter_jobs(status="completed", page_size=1))
    assert all(j["status"] == "completed" for j in completed)
    # Cancelling an ended job is a conflict, in the envelope.
    with pytest.raises(persona.PersonaAPIError) as ended:
        client.cancel_job(created["job_id"])
    assert (ended.value.code, ended.value.status) == ("conflict", 409)


def test_wait_for_job_falls_back_to_polling(server: Server) -> None:
    """A stream that cannot be had (here: a transport refusing the events path) → polling."""
    real = httpx.HTTPTransport()

    class NoStreams(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/events"):
                raise httpx.ConnectError("no streams through this proxy", request=request)
            return real.handle_request(request)

    with persona.Client(server.base_url, TOKEN, transport=NoStreams(), max_retries=0) as c:
        created = c.generate("interviews.csv", 1)
        job = c.wait_for_job(created["job_id"], timeout=60, poll_interval=0.05)
    assert job["status"] == "completed"


def test_wait_for_job_times_out_and_unknown_jobs_are_404(client: persona.Client) -> None:
    with pytest.raises(persona.PersonaAPIError) as unknown:
        client.wait_for_job("job-0000000000000000", timeout=5)
    assert unknown.value.status == 404 and unknown.value.code == "not_found"
    created = client.generate("interviews.csv", 1)
    with pytest.raises(persona.JobTimeout):
        client.wait_for_job(created["job_id"], timeout=0)
    client.wait_for_job(created["job_id"], timeout=60)


def test_experiments_runs_personas_quality_scripts(client: persona.Client) -> None:
    experiment = client.create_experiment(
        "sdk-test", description="from the python tests", data_sources=["interviews.csv"]
    )
    assert experiment["id"].startswith("exp")
    started = client.generate_for_experiment(experiment["id"], count=2)
    job = client.wait_for_job(started["job_id"], timeout=120)
    assert job["status"] == "completed"
    assert any(e["id"] == experiment["id"] for e in client.iter_experiments(page_size=1))
    assert client.list_experiments(limit=1)
    detail = client.get_experiment(experiment["id"])
    assert detail["id"] == experiment["id"]
    runs = client.list_experiment_runs(experiment["id"])
    assert len(runs) == 1 and list(client.iter_experiment_runs(experiment["id"])) == runs
    run = client.get_experiment_run(experiment["id"], runs[0]["run_id"])
    persona_id = run["personas"][0]["id"]
    stored = client.get_persona(persona_id)
    assert isinstance(stored, persona.Persona) and stored.id == persona_id
    assert stored.name in client.get_persona_markdown(persona_id)
    scored = client.score(run_id=runs[0]["run_id"])
    assert scored["run"]["persona_count"] == 2
    assert client.score([dict(stored)], preset="lenient")["run"]["persona_count"] == 1
    script = client.create_script(persona_id, format="system_prompt")
    assert script["format"] == "system_prompt" and script["output"]
    deleted = client.delete_experiment(experiment["id"], delete_outputs=True)
    assert deleted
    with pytest.raises(persona.PersonaAPIError) as gone:
        client.get_experiment(experiment["id"])
    assert gone.value.code == "not_found"


def test_datasets_from_a_path_bytes_and_a_file_object(client: persona.Client, server: Server) -> None:
    from_path = client.upload_dataset(server.data_dir / "interviews.csv")
    assert from_path["filename"] == "interviews.csv" and from_path["participants"] > 0
    text = (server.data_dir / "interviews.csv").read_bytes()
    from_file = client.upload_dataset(io.BytesIO(text), filename="again.csv")
    assert from_file["sha256"] == from_path["sha256"]
    assert client.get_dataset(from_file["dataset_id"])["filename"] == "again.csv"
    # The server's inspection of the upload is the in-process one of the same file.
    inspection = client.inspect_dataset(from_path["dataset_id"])
    assert inspection == persona.inspect(server.data_dir / "interviews.csv")
    named = client.inspect_dataset(from_path["dataset_id"], interviewers=["P01"])
    assert named == persona.inspect(server.data_dir / "interviews.csv", interviewers=["P01"])
    with pytest.raises(persona.PersonaAPIError) as unknown:
        client.inspect_dataset("dataset-0123456789abcdef")
    assert (unknown.value.code, unknown.value.status) == ("not_found", 404)
    listed = list(client.iter_datasets(page_size=1))
    assert {from_path["dataset_id"], from_file["dataset_id"]} <= {d["dataset_id"] for d in listed}
    assert client.list_datasets(limit=1)
    client.delete_dataset(from_file["dataset_id"])
    with pytest.raises(persona.PersonaAPIError) as gone:
        client.get_dataset(from_file["dataset_id"])
    assert gone.value.status == 404


class Receiver:
    """A real HTTP receiver on a random port, recording webhook deliveries."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.arrived:
                    receiver.received.append((body, dict(self.headers.items())))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hook"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> list[tuple[bytes, dict[str, str]]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout), self.received
            return list(self.received)


def test_webhooks_deliveries_and_signature_verification(client: persona.Client) -> None:
    receiver = Receiver()
    try:
        hook = client.create_webhook(receiver.url, events=["generation.completed"], secret="s3cret")
        assert hook["has_secret"] and "secret" not in hook
        assert client.get_webhook(hook["webhook_id"])["url"] == receiver.url
        assert any(w["webhook_id"] == hook["webhook_id"] for w in client.list_webhooks())
        client.test_webhook(hook["webhook_id"])
        body, headers = receiver.wait_for(1)[0]
        signature = {k.lower(): v for k, v in headers.items()}["x-persona-signature"]
        assert persona.webhooks.verify("s3cret", body, signature)
        assert not persona.webhooks.verify("wrong", body, signature)
        assert not persona.webhooks.verify("s3cret", body + b" ", signature)
        assert not persona.webhooks.verify("s3cret", body, None)
        deliveries = list(client.iter_deliveries(hook["webhook_id"], page_size=1))
        assert deliveries and client.list_deliveries(hook["webhook_id"], limit=1)
        delivery = deliveries[0]
        detail = client.get_delivery(hook["webhook_id"], delivery["delivery_id"])
        assert detail["delivery_id"] == delivery["delivery_id"]
        deadline = time.monotonic() + 30
        while client.get_delivery(hook["webhook_id"], delivery["delivery_id"])["status"] != "delivered":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        client.redeliver(hook["webhook_id"], delivery["delivery_id"])
        receiver.wait_for(2)
        client.delete_webhook(hook["webhook_id"])
        with pytest.raises(persona.PersonaAPIError) as gone:
            client.get_webhook(hook["webhook_id"])
        assert gone.value.code == "not_found"
    finally:
        receiver.http.shutdown()


def test_error_envelope_and_auth(server: Server, client: persona.Client) -> None:
    with pytest.raises(persona.PersonaAPIError) as bad:
        client.generate("interviews.csv", 50)
    assert (bad.value.code, bad.value.status) == ("validation_error", 422)
    assert bad.value.details["fields"][0]["field"] == "count"
    with pytest.raises(persona.PersonaAPIError) as missing:
        client.generate("no-such-file.csv")
    assert (missing.value.code, missing.value.status) == ("invalid_input", 400)
    with persona.Client(server.base_url) as anonymous:
        assert anonymous.health()["status"] == "healthy"  # reads stay open
        with pytest.raises(persona.PersonaAPIError) as unauthorised:
            anonymous.generate("interviews.csv")
        assert (unauthorised.value.code, unauthorised.value.status) == ("unauthorised", 401)
    with persona.Client(server.base_url, "wrong-token") as wrong:
        with pytest.raises(persona.PersonaAPIError) as refused:
            wrong.create_webhook("http://127.0.0.1:9/hook")
        assert refused.value.status == 401


class SlowData:
    """Serves a CSV slowly, keeping a job running while the test submits another."""

    def __init__(self, body: bytes, delay: float) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/data.csv"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


def test_cancelling_a_running_job(client: persona.Client, server: Server) -> None:
    slow = SlowData((server.data_dir / "interviews.csv").read_bytes(), delay=2.0)
    try:
        created = client.generate(slow.url, 1)
        for event in client.job_events(created["job_id"], timeout=60):
            if event.event == "running":
                break
        cancelled = client.cancel_job(created["job_id"])
        assert cancelled["cancel_requested"] is True
        job = client.wait_for_job(created["job_id"], timeout=60)
        assert job["status"] == "cancelled"
    finally:
        slow.http.shutdown()


def test_rate_limited_is_raised_and_retried_when_asked(limited_server: Server) -> None:
    slow = SlowData((limited_server.data_dir / "interviews.csv").read_bytes(), delay=1.0)
    try:
        with persona.Client(limited_server.base_url, TOKEN) as c:
            first = c.generate(slow.url, 1)
            with pytest.raises(persona.RateLimited) as limited:
                c.generate("interviews.csv", 1)
            assert limited.value.status == 429 and limited.value.retry_after >= 1
            assert limited.value.code == "rate_limited"
        with persona.Client(limited_server.base_url, TOKEN, retry_rate_limited=True) as c:
            started = time.monotonic()
            second = c.generate("interviews.csv", 1)  # waits Retry-After, then goes through
            assert time.monotonic() - started >= 1
            assert c.wait_for_job(second["job_id"], timeout=60)["status"] == "completed"
            assert c.get_job(first["job_id"])["status"] == "completed", c.get_job(first["job_id"]).get("error")
    finally:
        slow.http.shutdown()


def test_async_client(server: Server) -> None:
    async def scenario() -> None:
        async with persona.AsyncClient(server.base_url, TOKEN) as c:
            assert (await c.health())["status"] == "healthy"
            created = await c.generate("interviews.csv", 2)
            events = [e async for e in c.job_events(created["job_id"], timeout=60)]
            assert events[-1].event == "completed"
            job = await c.wait_for_job(created["job_id"], timeout=60)
            assert job["status"] == "completed"
            jobs = [j async for j in c.iter_jobs(page_size=1)]
            assert created["job_id"] in {j["job_id"] for j in jobs}
            with pytest.raises(persona.PersonaAPIError) as missing:
                await c.get_job("job-0000000000000000")
            assert missing.value.code == "not_found"

    asyncio.run(scenario())


def test_idempotent_requests_are_retried_and_posts_are_not() -> None:
    calls: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            return httpx.Response(503, json={"success": False, "error": "unavailable", "message": "busy", "details": {}})
        return httpx.Response(200, json={"status": "healthy", "version": "x", "timestamp": "t"})

    with persona.Client("http://persona.test", transport=httpx.MockTransport(flaky)) as c:
        assert c.health()["status"] == "healthy"
    assert calls == ["GET", "GET"]
    calls.clear()
    with persona.Client("http://persona.test", transport=httpx.MockTransport(flaky)) as c:
        with pytest.raises(persona.PersonaAPIError) as unavailable:
            c.generate("x.csv")
    assert calls == ["POST"] and unavailable.value.status == 503
    assert json.loads(json.dumps(unavailable.value.details)) == {}


def test_wait_for_job_keeps_its_deadline_while_only_keepalives_arrive() -> None:
    """A quiet job on a stream kept alive by comments: the wait still ends at its timeout."""
    running = {"job_id": "job-1", "status": "running", "progress": 0.5}

    def keepalives() -> Iterator[bytes]:
        while True:
            time.sleep(0.02)
            yield b": keep-alive\n\n"

    def quiet_server(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=keepalives())
        return httpx.Response(200, json=running)

    with persona.Client("http://persona.test", transport=httpx.MockTransport(quiet_server)) as c:
        started = time.monotonic()
        with pytest.raises(persona.JobTimeout) as timed_out:
            c.wait_for_job("job-1", timeout=0.5, poll_interval=0.05)
        assert time.monotonic() - started < 5
    assert timed_out.value.job["status"] == "running"
