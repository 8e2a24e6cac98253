"""The client's models and methods follow the live server's /openapi.json, so they cannot drift."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import mypy.api

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
    assert actual == expected, "stale models: run `python3 python/scripts/gen_models.py`"


def test_the_generator_renders_every_schema_shape_as_valid_python(tmp_path: Path) -> None:
    """Shapes the API may grow into render as importable models, not as errors."""
    schemas: dict[str, Any] = {
        "Page<JobView>": {"type": "object", "properties": {"items": {"type": "array"}}},
        "Mode": {"type": ["string", "null"], "enum": ["fast", "slow", None]},
        "Flag": {"const": True},
        "Summary": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string"}, "next": {"$ref": "#/components/schemas/Later"}},
        },
        "Detail": {
            "allOf": [
                {"$ref": "#/components/schemas/Summary"},
                {"type": "object", "required": ["class"], "properties": {"class": {"type": "integer"}}},
            ]
        },
        "Later": {"oneOf": [{"$ref": "#/components/schemas/Mode"}, {"type": "number"}]},
        "Map": {"type": "object", "additionalProperties": {"type": "boolean"}},
    }
    source = generator().render({"components": {"schemas": schemas}})
    exec(compile(source, "models.py", "exec"), {})  # importable: forward references resolve
    # And typed as meant: mypy accepts right values and rejects wrong ones.
    usage = """
detail: Detail = {"id": "d", "class": 2, "next": 1.5}
page: Page_JobView = {}
mode: Mode = None
flag: Flag = True
flags: Map = {"a": True}
wrong: Detail = {"id": "d"}
"""
    checked = tmp_path / "models_check.py"
    checked.write_text(source + usage)
    report, _, status = mypy.api.run(["--strict", "--no-incremental", str(checked)])
    assert status == 1, report
    errors = [line for line in report.splitlines() if ": error:" in line]
    assert len(errors) == 1 and 'Missing key "class"' in errors[0], report
