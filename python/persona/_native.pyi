"""The Rust library in-process (built by maturin). Use the wrappers in `persona.core`."""

from os import PathLike

class NativeError(Exception): ...

def generate(
    data: str | PathLike[str],
    count: int | None = None,
    seed: int | None = None,
    provider: str | None = None,
    model: str | None = None,
    output_dir: str | PathLike[str] | None = None,
    config: str | PathLike[str] | None = None,
    options_json: str | None = None,
) -> tuple[str, str, str, str]: ...
def inspect(
    data: str | PathLike[str],
    interviewers: list[str] | None = None,
    config: str | PathLike[str] | None = None,
) -> str: ...
def score(
    path: str | PathLike[str] | None = None,
    personas_json: str | None = None,
    preset: str = "default",
) -> str: ...
def script(
    path: str | PathLike[str] | None = None,
    personas_json: str | None = None,
    persona_id: str | None = None,
    index: int | None = None,
    format: str = "character_card",
    yaml: bool = False,
    threshold: float = ...,
    template: str | None = None,
) -> str: ...
def version() -> str: ...
