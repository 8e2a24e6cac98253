"""Writes persona/models.py from the server's OpenAPI document.

The client's models are generated, never hand-edited, so they cannot drift from the server:
tests/test_models.py regenerates them from a live server's /openapi.json and compares.

    python scripts/gen_models.py openapi.json > persona/models.py
"""

from __future__ import annotations

import json
import keyword
import sys
from typing import Any

HEADER = '''"""Typed models of the persona API, generated from the server's /openapi.json.

Do not edit: run `python scripts/gen_models.py openapi.json > persona/models.py`.
Responses are plain dicts typed with these TypedDicts, so `job["status"]` works as in the API
reference.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict, Union

'''


def type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            parts = [type_of(s) for s in schema[combinator]]
            return union(parts)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_of(schema["allOf"][0])
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
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
        return f"list[{type_of(schema.get('items', {}))}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"dict[str, {type_of(schema['additionalProperties'])}]"
    if kind == "object":
        return "dict[str, Any]"
    return "Any"


def union(parts: list[str]) -> str:
    unique = list(dict.fromkeys(parts))
    if "Any" in unique:
        return "Any"
    if len(unique) == 1:
        return unique[0]
    # A string union (Union[...]) so forward references to later models stay valid at import.
    return "Union[" + ", ".join(unique) + "]"


def render(openapi: dict[str, Any]) -> str:
    out = [HEADER]
    schemas: dict[str, Any] = openapi["components"]["schemas"]
    for name in sorted(schemas):
        schema = schemas[name]
        doc = " ".join(str(schema.get("description", "")).split())
        properties = schema.get("properties")
        if schema.get("type") == "object" and isinstance(properties, dict):
            required = set(schema.get("required", []))
            fields = []
            for field, field_schema in properties.items():
                annotation = type_of(field_schema)
                if field not in required:
                    annotation = f"NotRequired[{annotation}]"
                fields.append((field, annotation))
            if all(f.isidentifier() and not keyword.iskeyword(f) for f, _ in fields):
                out.append(f"\nclass {name}(TypedDict):\n")
                out.append(f"    {json.dumps(doc or name)}\n\n")
                for field, annotation in fields:
                    out.append(f"    {field}: {annotation}\n")
                if not fields:
                    out.append("    pass\n")
                out.append("\n")
            else:
                body = ", ".join(f"{json.dumps(f)}: {a}" for f, a in fields)
                out.append(f"\n{name} = TypedDict({json.dumps(name)}, {{{body}}})\n\n")
        else:
            # Quoted, so an alias may name models defined further down.
            out.append(f"\n{name}: TypeAlias = {json.dumps(type_of(schema))}\n")
            if doc:
                out.append(f"{json.dumps(doc)}\n")
            out.append("\n")
    return "".join(out).rstrip("\n") + "\n"


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as source:
        sys.stdout.write(render(json.load(source)))


if __name__ == "__main__":
    main()
