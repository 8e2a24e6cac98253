"""persona: evidence-backed user personas from research data.

- In-process (the Rust library, no server): `generate`, `inspect`, `score`, `script`.
- A client of `persona serve`: `Client` / `PersonaClient` (sync) and `AsyncClient`.
- `webhooks.verify` checks the signature of a webhook delivery.
"""

from . import models, webhooks
from .client import OPERATIONS, AsyncClient, Client, JobEvent, PersonaClient
from .core import GenerateResult, ScriptResult, generate, inspect, score, script
from .errors import JobTimeout, PersonaAPIError, PersonaError, RateLimited
from .personas import Persona, PersonaList, to_dataframe

__all__ = [
    "OPERATIONS",
    "AsyncClient",
    "Client",
    "GenerateResult",
    "JobEvent",
    "JobTimeout",
    "Persona",
    "PersonaAPIError",
    "PersonaClient",
    "PersonaError",
    "PersonaList",
    "RateLimited",
    "ScriptResult",
    "generate",
    "inspect",
    "models",
    "score",
    "script",
    "to_dataframe",
    "webhooks",
]
