"""Writes persona/models.py from the server's OpenAPI document, in one command.

The client's models are generated, never hand-edited, so they cannot drift from the server:
tests/test_models.py renders them from a live server's /openapi.json and compares.

    python3 python/scripts/gen_models.py            # build, ask the real server, write models.py
    python3 python/scripts/gen_models.py --check    # exit 1 (and say so) if models.py is stale
    python3 python/scripts/gen_models.py openapi.json -o -   # from a saved document, to stdout

Without a source it runs `cargo test --locked --no-run` (a no-op after `cargo test`; the same
build CI makes, so nothing is compiled twice), starts `persona serve` on a free port with a
temporary database and reads `/openapi.json`. Only the standard library is needed.
"""

from __future__ import annotations

import argparse
import json
import keyword
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
MODELS = PYTHON_DIR / "persona" / "models.py"
COMMAND = "python3 python/scripts/gen_models.py"

HEADER = f'''"""Typed models of the persona API, generated from the server's /openapi.json.

Do not edit: run `{COMMAND}` (see docs/python.md).
Responses are plain dicts typed with these TypedDicts, so `job["status"]` works as in the API
reference.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict, Union

'''

Schema = dict[str, Any]


def python_name(name: str) -> str:
    """A schema name as a Python identifier (utoipa may name generic schemas `Page<Job>`)."""
    cleaned = re.sub(r"\W+", "_", name).strip("_") or "Schema"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned):
        cleaned = f"_{cleaned}"
    return cleaned


def literal(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    return json.dumps(value)  # strings and numbers: valid Python literals as JSON writes them


def type_of(schema: Schema) -> str:
    if "$ref" in schema:
        return python_name(str(schema["$ref"]).rsplit("/", 1)[-1])
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return union([type_of(s) for s in schema[combinator]])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_of(schema["allOf"][0])
    if "const" in schema:
        return f"Literal[{literal(schema['const'])}]"
    if "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        literal_type = "Literal[" + ", ".join(literal(v) for v in values) + "]" if values else "None"
        return union([literal_type, "None"]) if None in schema["enum"] and values else literal_type
    kind = schema.get("type")
    if isinstance(kind, list):
        return union([type_of({**schema, "type": k}) for k in kind])
    if kind == "string":
        return "str"
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if kind == "null":
        return "None"
    if kind == "array":
        return f"list[{type_of(schema.get('items') or {})}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"dict[str, {type_of(schema['additionalProperties'])}]"
    if kind == "object" or "properties" in schema:
        return "dict[str, Any]"
    return "Any"


def union(parts: list[str]) -> str:
    unique = list(dict.fromkeys(parts))
    if "Any" in unique:
        return "Any"
    if len(unique) == 1:
        return unique[0]
    # Union[...] rather than `|`, so that forward references to later models stay valid.
    return "Union[" + ", ".join(unique) + "]"


def object_fields(
    schema: Schema, schemas: dict[str, Schema], seen: frozenset[str] = frozenset()
) -> list[tuple[str, str, bool]] | None:
    """`(field, annotation, required)` of an object schema, `allOf` parts merged (a detail view
    is its summary view plus fields); None when the schema is not a plain object."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        if name in seen or name not in schemas:
            return None
        return object_fields(schemas[name], schemas, seen | {name})
    if "allOf" in schema:
        merged: dict[str, tuple[str, bool]] = {}
        for part in schema["allOf"]:
            fields = object_fields(part, schemas, seen)
            if fields is None:
                return None
            for field, annotation, is_required in fields:
                merged[field] = (annotation, is_required or merged.get(field, ("", False))[1])
        return [(f, a, r) for f, (a, r) in merged.items()]
    properties = schema.get("properties")
    if not isinstance(properties, dict) or schema.get("type", "object") != "object":
        return None
    required = set(schema.get("required", []))
    return [(field, type_of(s), field in required) for field, s in properties.items()]


def render(openapi: Schema) -> str:
    out = [HEADER]
    schemas: dict[str, Schema] = openapi.get("components", {}).get("schemas", {})
    for original in sorted(schemas):
        schema = schemas[original]
        name = python_name(original)
        doc = " ".join(str(schema.get("description", "")).split())
        fields = object_fields(schema, schemas)
        if fields is not None:
            annotated = [(f, a if r else f"NotRequired[{a}]") for f, a, r in fields]
            if all(f.isidentifier() and not keyword.iskeyword(f) for f, _ in annotated):
                out.append(f"\nclass {name}(TypedDict):\n")
                out.append(f"    {json.dumps(doc or original)}\n\n")
                out.extend(f"    {field}: {annotation}\n" for field, annotation in annotated)
                if not annotated:
                    out.append("    pass\n")
                out.append("\n")
            else:
                # Field names Python cannot spell: the functional form, annotations quoted so
                # that models defined further down may be named.
                body = ", ".join(f"{json.dumps(f)}: {json.dumps(a)}" for f, a in annotated)
                out.append(f"\n{name} = TypedDict({json.dumps(name)}, {{{body}}})\n")
                out.append(f"{json.dumps(doc or original)}\n\n")
        else:
            # Quoted, so an alias may name models defined further down.
            out.append(f"\n{name}: TypeAlias = {json.dumps(type_of(schema))}\n")
            if doc:
                out.append(f"{json.dumps(doc)}\n")
            out.append("\n")
    return "".join(out).rstrip("\n") + "\n"


# -- reading the document ------------------------------------------------------------------


def default_binary() -> Path:
    configured = os.environ.get("PERSONA_BIN")
    if configured:
        return Path(configured)
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug" / "persona"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str, timeout: float = 5) -> Schema:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        document: Schema = json.load(response)
        return document


def from_server(binary: Path, startup_timeout: float = 30) -> Schema:
    """The document of a real `persona serve` on a free port, in a throw-away folder."""
    if not binary.exists():
        raise SystemExit(f"{binary} is missing: build it (cargo build) or set PERSONA_BIN")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONA_")}
    with tempfile.TemporaryDirectory(prefix="persona-openapi-") as root:
        for _ in range(5):  # a port taken between probing and binding: try another
            port = free_port()
            with open(Path(root) / "server.log", "wb") as log:
                process = subprocess.Popen(
                    [
                        str(binary), "serve", "--port", str(port), "--workers", "1",
                        "--db", f"{root}/persona.db", "--data-dir", root,
                        "--output-dir", f"{root}/output", "--log-level", "warn",
                    ],
                    env=env, stdout=log, stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + startup_timeout
                while time.monotonic() < deadline and process.poll() is None:
                    try:
                        return fetch(f"http://127.0.0.1:{port}/openapi.json")
                    except (urllib.error.URLError, ConnectionError):
                        time.sleep(0.05)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        log_text = (Path(root) / "server.log").read_text(errors="replace")
    raise SystemExit(f"persona serve did not answer /openapi.json:\n{log_text}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", nargs="?", help="OpenAPI JSON file or URL (default: a server)")
    parser.add_argument("-o", "--output", default=str(MODELS), help="file to write, - for stdout")
    parser.add_argument("--check", action="store_true", help="compare with --output, write nothing")
    parser.add_argument(
        "--binary", type=Path, help="persona binary (default: $PERSONA_BIN, else target/debug)"
    )
    parser.add_argument("--no-build", action="store_true", help="use the binary as it is")
    args = parser.parse_args()

    if args.source and re.match(r"https?://", args.source):
        openapi = fetch(args.source)
    elif args.source:
        openapi = json.loads(Path(args.source).read_text(encoding="utf-8"))
    else:
        if not args.no_build and args.binary is None and "PERSONA_BIN" not in os.environ:
            subprocess.run(["cargo", "test", "--locked", "--no-run", "--quiet"], cwd=REPO, check=True)
        openapi = from_server(args.binary or default_binary())
    text = render(openapi)

    if args.output == "-":
        sys.stdout.write(text)
        return
    output = Path(args.output)
    current = output.read_text(encoding="utf-8") if output.exists() else None
    if args.check:
        if current != text:
            raise SystemExit(f"{output} is stale: run `{COMMAND}`")
        print(f"{output} is up to date")
        return
    if current != text:
        output.write_text(text, encoding="utf-8")
    print(f"{'wrote' if current != text else 'unchanged:'} {output}")


if __name__ == "__main__":
    main()
