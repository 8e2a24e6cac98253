"""The persona library in-process: the same Rust functions the CLI calls, with the GIL released
while they run. Results equal the CLI's for the same input and settings."""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from . import _native, models
from .errors import PersonaError
from .personas import Persona, PersonaList

PathArg = str | os.PathLike[str]
PersonasArg = PathArg | Mapping[str, Any] | Iterable[Mapping[str, Any]]
DataArg = PathArg | bytes | IO[bytes]

T = TypeVar("T")

__all__ = ["GenerateResult", "ScriptResult", "generate", "inspect", "score", "script"]


@dataclass(frozen=True)
class GenerateResult:
    """What a run produced: the personas, the run's metadata (`metadata.json` of the run
    folder), the run folder and the warnings."""

    personas: PersonaList
    metadata: dict[str, Any]
    output_path: str
    warnings: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return (
            f"<p>{len(self.personas)} persona(s) from "
            f"{html.escape(str(self.metadata.get('participants')))} participant(s), run folder "
            f"<code>{html.escape(self.output_path)}</code></p>"
            + self.personas._repr_html_()
        )


@dataclass(frozen=True)
class ScriptResult:
    """A conversation script: `output` is what `persona script` prints (without the final
    newline the CLI adds)."""

    script_id: str
    format: str
    output: str
    character_card: dict[str, Any]
    privacy_audit: dict[str, Any]


def _call(function: Callable[[], T]) -> T:
    """Runs a native call, turning its errors into `PersonaError` with the API's code."""
    try:
        return function()
    except _native.NativeError as error:
        code, message, details = error.args
        raise PersonaError(str(code), str(message), json.loads(str(details))) from None


def generate(
    data: PathArg,
    count: int | None = None,
    *,
    seed: int | None = None,
    provider: str | None = None,
    model: str | None = None,
    output_dir: PathArg | None = None,
    config: PathArg | None = None,
    **options: Any,
) -> GenerateResult:
    """Generates personas from a file or folder of research data, as `persona generate` does,
    and writes the run folder under `output_dir` (default `storage.output_dir`, `./output`).

    Unset arguments take the configuration's values (`config`, else `$PERSONA_CONFIG`, else the
    built-in defaults: 3 personas, seed 42, the `local` provider). Extra keyword `options` are the
    run's generation options (the API's `config` object).
    """
    options_json = json.dumps(options) if options else None
    personas_json, metadata_json, output_path, warnings_json = _call(
        lambda: _native.generate(
            data, count, seed, provider, model, output_dir, config, options_json
        )
    )
    return GenerateResult(
        personas=PersonaList(Persona(p) for p in json.loads(personas_json)),
        metadata=json.loads(metadata_json),
        output_path=output_path,
        warnings=list(json.loads(warnings_json)),
    )


def inspect(
    data: DataArg,
    *,
    filename: str | None = None,
    interviewers: list[str] | None = None,
    config: PathArg | None = None,
) -> models.InspectionView:
    """What ingestion makes of research data before any generation, as `persona inspect --json`
    prints it: who was read as a participant, who as an interviewer or staff and why, and which
    rows, columns and files were left out.

    `data` is a file or folder path, or the content of one file (bytes or a binary file object)
    whose format comes from `filename` (else the file object's name), as an upload's does.
    `interviewers` names the interviewers instead of detecting them (default
    `ingest.interviewers` of the configuration).
    """
    if isinstance(data, (str, os.PathLike)):
        return _inspect_path(data, interviewers, config)
    name = filename or os.path.basename(str(getattr(data, "name", "")))
    if not name:
        raise PersonaError(
            "validation_error",
            "filename: name the file (its extension gives the format)",
            {"fields": [{"field": "filename", "message": "required for bytes"}]},
        )
    content = data if isinstance(data, bytes) else data.read()
    with tempfile.TemporaryDirectory(prefix="persona-inspect-") as folder:
        path = Path(folder) / os.path.basename(name)
        path.write_bytes(content)
        return _inspect_path(path, interviewers, config)


def _inspect_path(
    path: PathArg, interviewers: list[str] | None, config: PathArg | None
) -> models.InspectionView:
    text = _call(lambda: _native.inspect(path, interviewers, config))
    return cast(models.InspectionView, json.loads(text))


def _personas_source(personas: PersonasArg) -> tuple[PathArg | None, str | None]:
    if isinstance(personas, (str, os.PathLike)):
        return personas, None
    listed = [dict(personas)] if isinstance(personas, Mapping) else [dict(p) for p in personas]
    return None, json.dumps(listed)


def score(personas: PersonasArg, preset: str = "default") -> dict[str, Any]:
    """Quality scores, as `persona score --json` prints them: `personas` is a personas.json, a
    run folder, one persona or a list of personas (dicts or `Persona`)."""
    path, personas_json = _personas_source(personas)
    result: dict[str, Any] = json.loads(_call(lambda: _native.score(path, personas_json, preset)))
    return result


def script(
    personas: PersonasArg,
    *,
    persona_id: str | None = None,
    index: int | None = None,
    format: str = "character_card",
    yaml: bool = False,
    threshold: float | None = None,
    template: str | None = None,
) -> ScriptResult:
    """A privacy-audited conversation script of one persona, as `persona script` writes it.

    Raises `PersonaError` with code `privacy_audit_failed` (details: `leakage_score`,
    `threshold`, `leakages`) when the card would leak participants' words.
    """
    path, personas_json = _personas_source(personas)

    def run() -> str:
        if threshold is None:
            return _native.script(
                path, personas_json, persona_id, index, format, yaml, template=template
            )
        return _native.script(
            path, personas_json, persona_id, index, format, yaml, threshold, template
        )

    result = json.loads(_call(run))
    return ScriptResult(
        script_id=result["script_id"],
        format=result["format"],
        output=result["output"],
        character_card=result["character_card"],
        privacy_audit=result["privacy_audit"],
    )
