"""The client's models and methods follow the live server's /openapi.json, so they cannot drift."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

import httpx

import persona
from conftest import Server

PYTHON_DIR = Path(__file__).resolve().parents[1]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_models", PYTHON_DIR / "scripts" / "gen_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_models_are_generated_from_the_servers_openapi(server: Server) -> None:
    openapi = httpx.get(f"{server.base_url}/openapi.json").json()
    expected = generator().render(openapi)
    actual = (PYTHON_DIR / "persona" / "models.py").read_text()
    assert actual == expected, "run: python scripts/gen_models.py openapi.json > persona/models.py"


def test_every_operation_has_a_method_on_both_clients(server: Server) -> None:
    openapi = httpx.get(f"{server.base_url}/openapi.json").json()
    operations = {
        operation["operationId"]
        for path in openapi["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert operations == set(persona.OPERATIONS)
    for method in persona.OPERATIONS.values():
        sync_method = getattr(persona.Client, method)
        async_method = getattr(persona.AsyncClient, method)
        assert list(inspect.signature(sync_method).parameters) == list(
            inspect.signature(async_method).parameters
        ), method
        if method != "job_events":
            assert inspect.iscoroutinefunction(async_method), method
        else:
            assert inspect.isasyncgenfunction(async_method)
