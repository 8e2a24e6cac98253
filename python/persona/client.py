"""Clients for `persona serve`: `Client` (sync) and `AsyncClient` (asyncio), on httpx.

Every endpoint of the API has a method (`OPERATIONS` maps the OpenAPI operation ids to them, and
tests check that it covers the server's /openapi.json). Non-2xx answers raise
`PersonaAPIError` (`RateLimited` for 429). Idempotent requests (GET, DELETE) are retried on
connection errors and 502/503/504; any request is retried after a 429 when
`retry_rate_limited=True`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from contextlib import aclosing, closing
from dataclasses import dataclass
from typing import IO, Any, cast
from urllib.parse import quote

import httpx

from . import models
from .errors import JobTimeout, PersonaAPIError, RateLimited
from .personas import Persona

__all__ = ["AsyncClient", "Client", "JobEvent", "OPERATIONS", "PersonaClient", "TERMINAL_STATUSES"]

DEFAULT_BASE_URL = "http://localhost:8000"
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})

# OpenAPI operation id → client method (the same name on Client and AsyncClient).
OPERATIONS: dict[str, str] = {
    "get_api_info": "root",
    "get_health": "health",
    "get_readiness": "ready",
    "create_generation_job": "generate",
    "list_generation_jobs": "list_jobs",
    "get_generation_job": "get_job",
    "cancel_generation_job": "cancel_job",
    "stream_generation_job_events": "job_events",
    "list_datasets": "list_datasets",
    "upload_dataset": "upload_dataset",
    "get_dataset": "get_dataset",
    "delete_dataset": "delete_dataset",
    "inspect_dataset": "inspect_dataset",
    "list_experiments": "list_experiments",
    "create_experiment": "create_experiment",
    "get_experiment": "get_experiment",
    "delete_experiment": "delete_experiment",
    "generate_for_experiment": "generate_for_experiment",
    "list_experiment_runs": "list_experiment_runs",
    "get_experiment_run": "get_experiment_run",
    "get_persona": "get_persona",
    "list_providers": "providers",
    "score_personas": "score",
    "create_script": "create_script",
    "list_webhooks": "list_webhooks",
    "create_webhook": "create_webhook",
    "get_webhook": "get_webhook",
    "delete_webhook": "delete_webhook",
    "list_webhook_deliveries": "list_deliveries",
    "get_webhook_delivery": "get_delivery",
    "redeliver_webhook_delivery": "redeliver",
    "test_webhook": "test_webhook",
}

Upload = str | os.PathLike[str] | bytes | IO[bytes]


@dataclass(frozen=True)
class JobEvent:
    """One server-sent event of a job: `event` is `pending`, `running`, `progress`,
    `cancel_requested`, `completed`, `failed` or `cancelled`; `data` the job view then."""

    id: str | None
    event: str
    data: models.JobView


def _p(segment: str) -> str:
    return quote(segment, safe="")


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _error_from(response: httpx.Response) -> PersonaAPIError:
    """The exception for a non-2xx answer, from the error envelope when there is one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    details: dict[str, Any] = {}
    if isinstance(body, dict) and body.get("success") is False and "error" in body:
        code = str(body["error"])
        message = str(body.get("message", ""))
        if isinstance(body.get("details"), dict):
            details = body["details"]
    else:
        code = "http_error"
        message = f"HTTP {response.status_code}: {response.text[:200]}"
    if response.status_code == 429:
        return RateLimited(message, _retry_after(response, details), details)
    return PersonaAPIError(code, message, response.status_code, details)


def _retry_after(response: httpx.Response, details: dict[str, Any]) -> float:
    for value in (response.headers.get("Retry-After"), details.get("retry_after")):
        try:
            if value is not None:
                return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return 1.0


def _upload_parts(file: Upload, filename: str | None) -> tuple[str, bytes]:
    """The name and bytes of an upload; read whole so that a retry can send them again."""
    if isinstance(file, bytes):
        return filename or "upload.csv", file
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as handle:
            return filename or os.path.basename(os.fspath(file)), handle.read()
    name = filename or os.path.basename(str(getattr(file, "name", "upload.csv")))
    return name, file.read()


def _stream_request(
    settings: _Settings, job_id: str, last_event_id: str | None, timeout: float | None
) -> tuple[dict[str, str], str, httpx.Timeout]:
    """Headers, path and timeouts of a job's event stream (`timeout`: between chunks)."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    path = f"/api/v1/generate/{_p(job_id)}/events"
    return headers, path, httpx.Timeout(settings.timeout, read=timeout)


class _SSEParser:
    """Incremental text/event-stream parser (fields `id`, `event`, `data`)."""

    def __init__(self) -> None:
        self.id: str | None = None
        self.event = "message"
        self.data: list[str] = []

    def feed(self, line: str) -> JobEvent | None:
        if line == "":
            if not self.data:
                self.event = "message"
                return None
            text = "\n".join(self.data)
            event = JobEvent(self.id, self.event, cast(models.JobView, json.loads(text)))
            self.event, self.data = "message", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self.data.append(value)
        elif name == "event":
            self.event = value
        elif name == "id":
            self.id = value
        return None


class _Settings:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout: float,
        max_retries: int,
        retry_rate_limited: bool,
        max_rate_limit_wait: float,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_rate_limited = retry_rate_limited
        self.max_rate_limit_wait = max_rate_limit_wait
        self.headers = {"Accept": "application/json", "User-Agent": "persona-python"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def retry_delay(
        self, method: str, attempt: int, response: httpx.Response | None
    ) -> float | None:
        """Seconds to wait before trying again, or None to stop (`response` None: a
        connection error)."""
        if attempt >= self.max_retries:
            return None
        if response is not None and response.status_code == 429:
            if not self.retry_rate_limited:
                return None
            wait = _retry_after(response, {})
            return wait if wait <= self.max_rate_limit_wait else None
        if method not in IDEMPOTENT_METHODS:
            return None
        if response is None or response.status_code in RETRYABLE_STATUSES:
            return min(0.25 * 2.0**attempt, 4.0)
        return None


class Client:
    """A synchronous client of `persona serve`.

    `token` is sent as `Authorization: Bearer …`. `timeout` (seconds) applies to each request;
    `max_retries` bounds retries of idempotent requests (and of rate-limited ones when
    `retry_rate_limited` is true, waiting `Retry-After` up to `max_rate_limit_wait` seconds).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        retry_rate_limited: bool = False,
        max_rate_limit_wait: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._settings = _Settings(
            base_url, token, timeout, max_retries, retry_rate_limited, max_rate_limit_wait
        )
        self._http = httpx.Client(
            base_url=self._settings.base_url,
            headers=self._settings.headers,
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError:
                delay = self._settings.retry_delay(method, attempt, None)
                if delay is None:
                    raise
            else:
                if response.is_success:
                    return response
                delay = self._settings.retry_delay(method, attempt, response)
                if delay is None:
                    raise _error_from(response)
            time.sleep(delay)
            attempt += 1

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    def _pages(self, path: str, params: dict[str, Any], page_size: int) -> Iterator[Any]:
        offset = 0
        while True:
            response = self._request(
                "GET", path, params={**_drop_none(params), "limit": page_size, "offset": offset}
            )
            items = response.json()
            yield from items
            offset += len(items)
            total = response.headers.get("X-Total-Count")
            if len(items) < page_size or (total is not None and offset >= int(total)):
                return

    # -- service ----------------------------------------------------------------------------

    def root(self) -> models.RootInfo:
        return cast(models.RootInfo, self._json("GET", "/"))

    def health(self) -> models.Health:
        return cast(models.Health, self._json("GET", "/api/v1/health"))

    def ready(self) -> models.Ready:
        return cast(models.Ready, self._json("GET", "/api/v1/health/ready"))

    def providers(self) -> models.ProviderList:
        return cast(models.ProviderList, self._json("GET", "/api/v1/providers"))

    # -- generation jobs --------------------------------------------------------------------

    def generate(self, data: str, count: int | None = None, **body: Any) -> models.JobCreated:
        """Starts a generation job (`provider`, `model`, `seed`, `config`, `webhook_url`,
        `experiment_id`, `experiment` as keywords); returns at once with its `job_id`."""
        payload = _drop_none({"data": data, "count": count, **body})
        return cast(models.JobCreated, self._json("POST", "/api/v1/generate", json=payload))

    def list_jobs(
        self,
        status: str | None = None,
        include: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[models.JobView]:
        """One page of jobs, newest first."""
        params = _drop_none({"status": status, "include": include, "limit": limit, "offset": offset})
        return cast(list[models.JobView], self._json("GET", "/api/v1/generate", params=params))

    def iter_jobs(
        self, status: str | None = None, include: str | None = None, page_size: int = 100
    ) -> Iterator[models.JobView]:
        """Every job, newest first, fetching pages as the iteration goes."""
        return self._pages("/api/v1/generate", {"status": status, "include": include}, page_size)

    def get_job(self, job_id: str) -> models.JobView:
        return cast(models.JobView, self._json("GET", f"/api/v1/generate/{_p(job_id)}"))

    def cancel_job(self, job_id: str) -> models.JobView:
        return cast(models.JobView, self._json("DELETE", f"/api/v1/generate/{_p(job_id)}"))

    def job_events(
        self, job_id: str, last_event_id: str | None = None, timeout: float | None = None
    ) -> Generator[JobEvent, None, None]:
        """The job's server-sent events, until it ends (the stream closes after the terminal
        event). `timeout` bounds the wait for each chunk (default: no bound)."""
        for event in self._stream(job_id, last_event_id, timeout):
            if event is not None:
                yield event

    def _stream(
        self, job_id: str, last_event_id: str | None, timeout: float | None
    ) -> Generator[JobEvent | None, None, None]:
        """The events, and None for each other line (keep-alive comments included), so that a
        waiting caller can look at its clock while the job is quiet."""
        headers, path, stream_timeout = _stream_request(
            self._settings, job_id, last_event_id, timeout
        )
        with self._http.stream("GET", path, headers=headers, timeout=stream_timeout) as response:
            if not response.is_success:
                response.read()
                raise _error_from(response)
            parser = _SSEParser()
            for line in response.iter_lines():
                event = parser.feed(line)
                yield event
                if event is not None and event.event in TERMINAL_STATUSES:
                    return

    def wait_for_job(
        self, job_id: str, timeout: float = 300, poll_interval: float = 1.0
    ) -> models.JobView:
        """Waits until the job ends and returns its final view: follows the event stream, and
        polls `get_job` every `poll_interval` seconds when the stream is not available.
        Raises `JobTimeout` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        try:
            # closing(): leaving early closes the stream at once, not when collected.
            with closing(self._stream(job_id, None, max(0.01, timeout))) as events:
                for event in events:
                    if event is not None and event.event in TERMINAL_STATUSES:
                        return self.get_job(job_id)
                    if time.monotonic() >= deadline:
                        break
        except httpx.HTTPError:
            pass  # no stream (proxy, timeout, dropped connection): poll instead
        except PersonaAPIError as error:
            if error.status == 404:
                raise
        while True:
            job = self.get_job(job_id)
            if job["status"] in TERMINAL_STATUSES:
                return job
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise JobTimeout(job_id, timeout, job)
            time.sleep(min(poll_interval, remaining))

    # -- datasets ---------------------------------------------------------------------------

    def upload_dataset(self, file: Upload, filename: str | None = None) -> models.DatasetView:
        """Uploads research data from a path, bytes or a binary file object."""
        name, content = _upload_parts(file, filename)
        files = {"file": (name, content, "application/octet-stream")}
        return cast(models.DatasetView, self._json("POST", "/api/v1/datasets", files=files))

    def list_datasets(self, limit: int = 100, offset: int = 0) -> list[models.DatasetView]:
        params = {"limit": limit, "offset": offset}
        return cast(list[models.DatasetView], self._json("GET", "/api/v1/datasets", params=params))

    def iter_datasets(self, page_size: int = 100) -> Iterator[models.DatasetView]:
        return self._pages("/api/v1/datasets", {}, page_size)

    def get_dataset(self, dataset_id: str) -> models.DatasetView:
        return cast(models.DatasetView, self._json("GET", f"/api/v1/datasets/{_p(dataset_id)}"))

    def delete_dataset(self, dataset_id: str) -> models.DatasetDeleted:
        path = f"/api/v1/datasets/{_p(dataset_id)}"
        return cast(models.DatasetDeleted, self._json("DELETE", path))

    def inspect_dataset(
        self, dataset_id: str, interviewers: list[str] | None = None
    ) -> models.InspectionView:
        """What ingestion makes of the dataset (as `persona inspect --json`); `interviewers`
        names the interviewers instead of detecting them."""
        path = f"/api/v1/datasets/{_p(dataset_id)}/inspect"
        body = _drop_none({"interviewers": interviewers})
        return cast(models.InspectionView, self._json("POST", path, json=body))

    # -- experiments and runs ---------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        description: str | None = None,
        data_sources: list[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> models.ExperimentView:
        body = _drop_none(
            {"name": name, "description": description, "data_sources": data_sources, "config": config}
        )
        return cast(models.ExperimentView, self._json("POST", "/api/v1/experiments", json=body))

    def list_experiments(self, limit: int = 100, offset: int = 0) -> list[models.ExperimentView]:
        params = {"limit": limit, "offset": offset}
        return cast(
            list[models.ExperimentView], self._json("GET", "/api/v1/experiments", params=params)
        )

    def iter_experiments(self, page_size: int = 100) -> Iterator[models.ExperimentView]:
        return self._pages("/api/v1/experiments", {}, page_size)

    def get_experiment(self, experiment_id: str) -> models.ExperimentDetail:
        return cast(
            models.ExperimentDetail, self._json("GET", f"/api/v1/experiments/{_p(experiment_id)}")
        )

    def delete_experiment(
        self, experiment_id: str, delete_outputs: bool = False
    ) -> models.ExperimentDeleted:
        path = f"/api/v1/experiments/{_p(experiment_id)}"
        params = {"delete_outputs": "true" if delete_outputs else "false"}
        return cast(models.ExperimentDeleted, self._json("DELETE", path, params=params))

    def generate_for_experiment(self, experiment_id: str, **body: Any) -> models.JobView:
        """Starts a run of the experiment (its data sources and config; `count`, `seed`,
        `provider`, … as keywords override them)."""
        path = f"/api/v1/experiments/{_p(experiment_id)}/generate"
        return cast(models.JobView, self._json("POST", path, json=_drop_none(body)))

    def list_experiment_runs(
        self, experiment_id: str, limit: int = 100, offset: int = 0
    ) -> list[models.RunSummaryView]:
        path = f"/api/v1/experiments/{_p(experiment_id)}/runs"
        params = {"limit": limit, "offset": offset}
        return cast(list[models.RunSummaryView], self._json("GET", path, params=params))

    def iter_experiment_runs(
        self, experiment_id: str, page_size: int = 100
    ) -> Iterator[models.RunSummaryView]:
        return self._pages(f"/api/v1/experiments/{_p(experiment_id)}/runs", {}, page_size)

    def get_experiment_run(self, experiment_id: str, run_id: str) -> models.RunDetailView:
        path = f"/api/v1/experiments/{_p(experiment_id)}/runs/{_p(run_id)}"
        return cast(models.RunDetailView, self._json("GET", path))

    # -- personas, quality, scripts ---------------------------------------------------------

    def get_persona(self, persona_id: str) -> Persona:
        return Persona(self._json("GET", f"/api/v1/personas/{_p(persona_id)}"))

    def get_persona_markdown(self, persona_id: str) -> str:
        path = f"/api/v1/personas/{_p(persona_id)}"
        return self._request("GET", path, params={"format": "markdown"}).text

    def score(
        self,
        personas: list[dict[str, Any]] | None = None,
        *,
        persona_id: str | None = None,
        run_id: str | None = None,
        preset: str | None = None,
    ) -> models.QualityResponse:
        """Quality scores of inline personas, a stored persona or a run."""
        body = _drop_none(
            {"personas": personas, "persona_id": persona_id, "run_id": run_id, "preset": preset}
        )
        return cast(models.QualityResponse, self._json("POST", "/api/v1/quality", json=body))

    def create_script(
        self,
        persona_id: str | None = None,
        *,
        persona: dict[str, Any] | None = None,
        format: str | None = None,
        yaml: bool | None = None,
        max_leakage_score: float | None = None,
        template: str | None = None,
    ) -> models.ScriptResult:
        body = _drop_none(
            {
                "persona_id": persona_id,
                "persona": persona,
                "format": format,
                "yaml": yaml,
                "max_leakage_score": max_leakage_score,
                "template": template,
            }
        )
        return cast(models.ScriptResult, self._json("POST", "/api/v1/scripts", json=body))

    # -- webhooks ---------------------------------------------------------------------------

    def create_webhook(
        self, url: str, events: list[str] | None = None, secret: str | None = None
    ) -> models.WebhookView:
        body = _drop_none({"url": url, "events": events, "secret": secret})
        return cast(models.WebhookView, self._json("POST", "/api/v1/webhooks", json=body))

    def list_webhooks(self) -> list[models.WebhookView]:
        return cast(list[models.WebhookView], self._json("GET", "/api/v1/webhooks"))

    def get_webhook(self, webhook_id: str) -> models.WebhookView:
        return cast(models.WebhookView, self._json("GET", f"/api/v1/webhooks/{_p(webhook_id)}"))

    def delete_webhook(self, webhook_id: str) -> models.Deleted:
        return cast(models.Deleted, self._json("DELETE", f"/api/v1/webhooks/{_p(webhook_id)}"))

    def test_webhook(self, webhook_id: str) -> models.DeliveryView:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/test"
        return cast(models.DeliveryView, self._json("POST", path))

    def list_deliveries(
        self, webhook_id: str, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[models.DeliveryView]:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/deliveries"
        params = _drop_none({"status": status, "limit": limit, "offset": offset})
        return cast(list[models.DeliveryView], self._json("GET", path, params=params))

    def iter_deliveries(
        self, webhook_id: str, status: str | None = None, page_size: int = 100
    ) -> Iterator[models.DeliveryView]:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/deliveries"
        return self._pages(path, {"status": status}, page_size)

    def get_delivery(self, webhook_id: str, delivery_id: str) -> models.DeliveryDetailView:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/deliveries/{_p(delivery_id)}"
        return cast(models.DeliveryDetailView, self._json("GET", path))

    def redeliver(self, webhook_id: str, delivery_id: str) -> models.DeliveryView:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/deliveries/{_p(delivery_id)}/redeliver"
        return cast(models.DeliveryView, self._json("POST", path))


class AsyncClient:
    """An asyncio client of `persona serve` (the same methods as `Client`, awaited).

    `token` is sent as `Authorization: Bearer …`. `timeout` (seconds) applies to each request;
    `max_retries` bounds retries of idempotent requests (and of rate-limited ones when
    `retry_rate_limited` is true, waiting `Retry-After` up to `max_rate_limit_wait` seconds).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        retry_rate_limited: bool = False,
        max_rate_limit_wait: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = _Settings(
            base_url, token, timeout, max_retries, retry_rate_limited, max_rate_limit_wait
        )
        self._http = httpx.AsyncClient(
            base_url=self._settings.base_url,
            headers=self._settings.headers,
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    # -- plumbing ---------------------------------------------------------------------------

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.TransportError:
                delay = self._settings.retry_delay(method, attempt, None)
                if delay is None:
                    raise
            else:
                if response.is_success:
                    return response
                delay = self._settings.retry_delay(method, attempt, response)
                if delay is None:
                    raise _error_from(response)
            await asyncio.sleep(delay)
            attempt += 1

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self._request(method, path, **kwargs)).json()

    async def _pages(
        self, path: str, params: dict[str, Any], page_size: int
    ) -> AsyncIterator[Any]:
        offset = 0
        while True:
            response = await self._request(
                "GET", path, params={**_drop_none(params), "limit": page_size, "offset": offset}
            )
            items = response.json()
            for item in items:
                yield item
            offset += len(items)
            total = response.headers.get("X-Total-Count")
            if len(items) < page_size or (total is not None and offset >= int(total)):
                return

    # -- service ----------------------------------------------------------------------------

    async def root(self) -> models.RootInfo:
        return cast(models.RootInfo, await self._json("GET", "/"))

    async def health(self) -> models.Health:
        return cast(models.Health, await self._json("GET", "/api/v1/health"))

    async def ready(self) -> models.Ready:
        return cast(models.Ready, await self._json("GET", "/api/v1/health/ready"))

    async def providers(self) -> models.ProviderList:
        return cast(models.ProviderList, await self._json("GET", "/api/v1/providers"))

    # -- generation jobs --------------------------------------------------------------------

    async def generate(self, data: str, count: int | None = None, **body: Any) -> models.JobCreated:
        """Starts a generation job (`provider`, `model`, `seed`, `config`, `webhook_url`,
        `experiment_id`, `experiment` as keywords); returns at once with its `job_id`."""
        payload = _drop_none({"data": data, "count": count, **body})
        return cast(models.JobCreated, await self._json("POST", "/api/v1/generate", json=payload))

    async def list_jobs(
        self,
        status: str | None = None,
        include: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[models.JobView]:
        """One page of jobs, newest first."""
        params = _drop_none({"status": status, "include": include, "limit": limit, "offset": offset})
        return cast(list[models.JobView], await self._json("GET", "/api/v1/generate", params=params))

    def iter_jobs(
        self, status: str | None = None, include: str | None = None, page_size: int = 100
    ) -> AsyncIterator[models.JobView]:
        """Every job, newest first, fetching pages as the iteration goes."""
        return self._pages("/api/v1/generate", {"status": status, "include": include}, page_size)

    async def get_job(self, job_id: str) -> models.JobView:
        return cast(models.JobView, await self._json("GET", f"/api/v1/generate/{_p(job_id)}"))

    async def cancel_job(self, job_id: str) -> models.JobView:
        return cast(models.JobView, await self._json("DELETE", f"/api/v1/generate/{_p(job_id)}"))

    async def job_events(
        self, job_id: str, last_event_id: str | None = None, timeout: float | None = None
    ) -> AsyncGenerator[JobEvent, None]:
        """The job's server-sent events, until it ends (the stream closes after the terminal
        event). `timeout` bounds the wait for each chunk (default: no bound)."""
        async with aclosing(self._stream(job_id, last_event_id, timeout)) as events:
            async for event in events:
                if event is not None:
                    yield event

    async def _stream(
        self, job_id: str, last_event_id: str | None, timeout: float | None
    ) -> AsyncGenerator[JobEvent | None, None]:
        """The events, and None for each other line (keep-alive comments included), so that a
        waiting caller can look at its clock while the job is quiet."""
        headers, path, stream_timeout = _stream_request(
            self._settings, job_id, last_event_id, timeout
        )
        async with self._http.stream("GET", path, headers=headers, timeout=stream_timeout) as response:
            if not response.is_success:
                await response.aread()
                raise _error_from(response)
            parser = _SSEParser()
            async for line in response.aiter_lines():
                event = parser.feed(line)
                yield event
                if event is not None and event.event in TERMINAL_STATUSES:
                    return

    async def wait_for_job(
        self, job_id: str, timeout: float = 300, poll_interval: float = 1.0
    ) -> models.JobView:
        """Waits until the job ends and returns its final view: follows the event stream, and
        polls `get_job` every `poll_interval` seconds when the stream is not available.
        Raises `JobTimeout` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        try:
            # aclosing(): leaving early closes the stream at once, not when collected.
            async with aclosing(self._stream(job_id, None, max(0.01, timeout))) as events:
                async for event in events:
                    if event is not None and event.event in TERMINAL_STATUSES:
                        return await self.get_job(job_id)
                    if time.monotonic() >= deadline:
                        break
        except httpx.HTTPError:
            pass  # no stream (proxy, timeout, dropped connection): poll instead
        except PersonaAPIError as error:
            if error.status == 404:
                raise
        while True:
            job = await self.get_job(job_id)
            if job["status"] in TERMINAL_STATUSES:
                return job
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise JobTimeout(job_id, timeout, job)
            await asyncio.sleep(min(poll_interval, remaining))

    # -- datasets ---------------------------------------------------------------------------

    async def upload_dataset(self, file: Upload, filename: str | None = None) -> models.DatasetView:
        """Uploads research data from a path, bytes or a binary file object."""
        name, content = _upload_parts(file, filename)
        files = {"file": (name, content, "application/octet-stream")}
        return cast(models.DatasetView, await self._json("POST", "/api/v1/datasets", files=files))

    async def list_datasets(self, limit: int = 100, offset: int = 0) -> list[models.DatasetView]:
        params = {"limit": limit, "offset": offset}
        return cast(list[models.DatasetView], await self._json("GET", "/api/v1/datasets", params=params))

    def iter_datasets(self, page_size: int = 100) -> AsyncIterator[models.DatasetView]:
        return self._pages("/api/v1/datasets", {}, page_size)

    async def get_dataset(self, dataset_id: str) -> models.DatasetView:
        return cast(models.DatasetView, await self._json("GET", f"/api/v1/datasets/{_p(dataset_id)}"))

    async def delete_dataset(self, dataset_id: str) -> models.DatasetDeleted:
        path = f"/api/v1/datasets/{_p(dataset_id)}"
        return cast(models.DatasetDeleted, await self._json("DELETE", path))

    async def inspect_dataset(
        self, dataset_id: str, interviewers: list[str] | None = None
    ) -> models.InspectionView:
        """What ingestion makes of the dataset (as `persona inspect --json`); `interviewers`
        names the interviewers instead of detecting them."""
        path = f"/api/v1/datasets/{_p(dataset_id)}/inspect"
        body = _drop_none({"interviewers": interviewers})
        return cast(models.InspectionView, await self._json("POST", path, json=body))

    # -- experiments and runs ---------------------------------------------------------------

    async def create_experiment(
        self,
        name: str,
        description: str | None = None,
        data_sources: list[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> models.ExperimentView:
        body = _drop_none(
            {"name": name, "description": description, "data_sources": data_sources, "config": config}
        )
        return cast(models.ExperimentView, await self._json("POST", "/api/v1/experiments", json=body))

    async def list_experiments(self, limit: int = 100, offset: int = 0) -> list[models.ExperimentView]:
        params = {"limit": limit, "offset": offset}
        return cast(
            list[models.ExperimentView], await self._json("GET", "/api/v1/experiments", params=params)
        )

    def iter_experiments(self, page_size: int = 100) -> AsyncIterator[models.ExperimentView]:
        return self._pages("/api/v1/experiments", {}, page_size)

    async def get_experiment(self, experiment_id: str) -> models.ExperimentDetail:
        return cast(
            models.ExperimentDetail, await self._json("GET", f"/api/v1/experiments/{_p(experiment_id)}")
        )

    async def delete_experiment(
        self, experiment_id: str, delete_outputs: bool = False
    ) -> models.ExperimentDeleted:
        path = f"/api/v1/experiments/{_p(experiment_id)}"
        params = {"delete_outputs": "true" if delete_outputs else "false"}
        return cast(models.ExperimentDeleted, await self._json("DELETE", path, params=params))

    async def generate_for_experiment(self, experiment_id: str, **body: Any) -> models.JobView:
        """Starts a run of the experiment (its data sources and config; `count`, `seed`,
        `provider`, … as keywords override them)."""
        path = f"/api/v1/experiments/{_p(experiment_id)}/generate"
        return cast(models.JobView, await self._json("POST", path, json=_drop_none(body)))

    async def list_experiment_runs(
        self, experiment_id: str, limit: int = 100, offset: int = 0
    ) -> list[models.RunSummaryView]:
        path = f"/api/v1/experiments/{_p(experiment_id)}/runs"
        params = {"limit": limit, "offset": offset}
        return cast(list[models.RunSummaryView], await self._json("GET", path, params=params))

    def iter_experiment_runs(
        self, experiment_id: str, page_size: int = 100
    ) -> AsyncIterator[models.RunSummaryView]:
        return self._pages(f"/api/v1/experiments/{_p(experiment_id)}/runs", {}, page_size)

    async def get_experiment_run(self, experiment_id: str, run_id: str) -> models.RunDetailView:
        path = f"/api/v1/experiments/{_p(experiment_id)}/runs/{_p(run_id)}"
        return cast(models.RunDetailView, await self._json("GET", path))

    # -- personas, quality, scripts ---------------------------------------------------------

    async def get_persona(self, persona_id: str) -> Persona:
        return Persona(await self._json("GET", f"/api/v1/personas/{_p(persona_id)}"))

    async def get_persona_markdown(self, persona_id: str) -> str:
        path = f"/api/v1/personas/{_p(persona_id)}"
        return (await self._request("GET", path, params={"format": "markdown"})).text

    async def score(
        self,
        personas: list[dict[str, Any]] | None = None,
        *,
        persona_id: str | None = None,
        run_id: str | None = None,
        preset: str | None = None,
    ) -> models.QualityResponse:
        """Quality scores of inline personas, a stored persona or a run."""
        body = _drop_none(
            {"personas": personas, "persona_id": persona_id, "run_id": run_id, "preset": preset}
        )
        return cast(models.QualityResponse, await self._json("POST", "/api/v1/quality", json=body))

    async def create_script(
        self,
        persona_id: str | None = None,
        *,
        persona: dict[str, Any] | None = None,
        format: str | None = None,
        yaml: bool | None = None,
        max_leakage_score: float | None = None,
        template: str | None = None,
    ) -> models.ScriptResult:
        body = _drop_none(
            {
                "persona_id": persona_id,
                "persona": persona,
                "format": format,
                "yaml": yaml,
                "max_leakage_score": max_leakage_score,
                "template": template,
            }
        )
        return cast(models.ScriptResult, await self._json("POST", "/api/v1/scripts", json=body))

    # -- webhooks ---------------------------------------------------------------------------

    async def create_webhook(
        self, url: str, events: list[str] | None = None, secret: str | None = None
    ) -> models.WebhookView:
        body = _drop_none({"url": url, "events": events, "secret": secret})
        return cast(models.WebhookView, await self._json("POST", "/api/v1/webhooks", json=body))

    async def list_webhooks(self) -> list[models.WebhookView]:
        return cast(list[models.WebhookView], await self._json("GET", "/api/v1/webhooks"))

    async def get_webhook(self, webhook_id: str) -> models.WebhookView:
        return cast(models.WebhookView, await self._json("GET", f"/api/v1/webhooks/{_p(webhook_id)}"))

    async def delete_webhook(self, webhook_id: str) -> models.Deleted:
        return cast(models.Deleted, await self._json("DELETE", f"/api/v1/webhooks/{_p(webhook_id)}"))

    async def test_webhook(self, webhook_id: str) -> models.DeliveryView:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/test"
        return cast(models.DeliveryView, await self._json("POST", path))

    async def list_deliveries(
        self, webhook_id: str, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[models.DeliveryView]:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/deliveries"
        params = _drop_none({"status": status, "limit": limit, "offset": offset})
        return cast(list[models.DeliveryView], await self._json("GET", path, params=params))

    def iter_deliveries(
        self, webhook_id: str, status: str | None = None, page_size: int = 100
    ) -> AsyncIterator[models.DeliveryView]:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/deliveries"
        return self._pages(path, {"status": status}, page_size)

    async def get_delivery(self, webhook_id: str, delivery_id: str) -> models.DeliveryDetailView:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/deliveries/{_p(delivery_id)}"
        return cast(models.DeliveryDetailView, await self._json("GET", path))

    async def redeliver(self, webhook_id: str, delivery_id: str) -> models.DeliveryView:
        path = f"/api/v1/webhooks/{_p(webhook_id)}/deliveries/{_p(delivery_id)}/redeliver"
        return cast(models.DeliveryView, await self._json("POST", path))


PersonaClient = Client
"""The name used in the API reference's Python example."""
