"""Exceptions carrying the API's error codes (`invalid_input`, `not_found`, `rate_limited`, …)."""

from __future__ import annotations

from typing import Any


class PersonaError(Exception):
    """An error of the persona library or API: `code` is the envelope's error code."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}


class PersonaAPIError(PersonaError):
    """A non-2xx answer of `persona serve`, from its error envelope; `status` is the HTTP status."""

    def __init__(
        self, code: str, message: str, status: int, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(code, message, details)
        self.status = status

    def __repr__(self) -> str:
        return f"PersonaAPIError(code={self.code!r}, status={self.status}, message={self.message!r})"


class RateLimited(PersonaAPIError):
    """429 `rate_limited`: `retry_after` is the seconds the server asked to wait."""

    def __init__(
        self, message: str, retry_after: float, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__("rate_limited", message, 429, details)
        self.retry_after = retry_after


class JobTimeout(TimeoutError):
    """`wait_for_job` gave up before the job ended; `job` is its last known view."""

    def __init__(self, job_id: str, timeout: float, job: Any = None) -> None:
        super().__init__(f"job {job_id} did not finish within {timeout} s")
        self.job_id = job_id
        self.job = job
