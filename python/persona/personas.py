"""Persona objects for notebooks: dicts (the persona JSON as is) with typed accessors, an HTML
card for Jupyter and a DataFrame conversion when pandas is installed."""

from __future__ import annotations

import html
import importlib
from collections.abc import Iterable
from typing import Any


class Persona(dict[str, Any]):
    """One persona, exactly the persona JSON of the CLI and API (see the `models.Persona` keys)."""

    @property
    def id(self) -> str:
        return str(self.get("id", ""))

    @property
    def name(self) -> str:
        return str(self.get("name", ""))

    @property
    def title(self) -> str:
        return str(self.get("title", ""))

    @property
    def summary(self) -> str:
        return str(self.get("summary", ""))

    @property
    def demographics(self) -> dict[str, str]:
        return dict(self.get("demographics") or {})

    @property
    def goals(self) -> list[str]:
        return list(self.get("goals") or [])

    @property
    def pain_points(self) -> list[str]:
        return list(self.get("pain_points") or [])

    @property
    def behaviours(self) -> list[str]:
        return list(self.get("behaviours") or [])

    @property
    def motivations(self) -> list[str]:
        return list(self.get("motivations") or [])

    @property
    def quotes(self) -> list[str]:
        return list(self.get("quotes") or [])

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return list(self.get("evidence") or [])

    @property
    def segment_size(self) -> int:
        return int(self.get("segment_size") or 0)

    def __repr__(self) -> str:
        return f"Persona(id={self.id!r}, name={self.name!r}, title={self.title!r})"

    def _repr_html_(self) -> str:
        """A card: name, title, summary, demographics and the evidence-backed lists."""
        e = html.escape
        parts = [
            '<div class="persona-card" style="border:1px solid #ccc;border-radius:8px;'
            'padding:12px;margin:6px 0;max-width:720px;font-family:sans-serif">',
            f"<h3 style='margin:0'>{e(self.name)}</h3>",
            f"<div style='color:#555'><em>{e(self.title)}</em> &middot; "
            f"<code>{e(self.id)}</code> &middot; {self.segment_size} participant(s)</div>",
            f"<p>{e(self.summary)}</p>",
        ]
        if self.demographics:
            items = ", ".join(f"<b>{e(k)}</b>: {e(v)}" for k, v in self.demographics.items())
            parts.append(f"<p>{items}</p>")
        for label, values in (
            ("Goals", self.goals),
            ("Pain points", self.pain_points),
            ("Behaviours", self.behaviours),
            ("Motivations", self.motivations),
        ):
            if values:
                rows = "".join(f"<li>{e(v)}</li>" for v in values)
                parts.append(f"<b>{label}</b><ul style='margin-top:2px'>{rows}</ul>")
        if self.quotes:
            rows = "".join(
                f"<blockquote style='margin:4px 12px;color:#333'>&ldquo;{e(q)}&rdquo;</blockquote>"
                for q in self.quotes
            )
            parts.append(f"<b>Quotes</b>{rows}")
        parts.append("</div>")
        return "".join(parts)


class PersonaList(list[Persona]):
    """Personas of a run; renders as cards and converts to a DataFrame."""

    def _repr_html_(self) -> str:
        return "".join(p._repr_html_() for p in self)

    def to_records(self) -> list[dict[str, Any]]:
        """One flat row per persona: scalars as they are, lists joined with "; ",
        demographics as `demographics.<key>` columns."""
        rows = []
        for persona in self:
            row: dict[str, Any] = {}
            for key, value in persona.items():
                if key == "demographics" and isinstance(value, dict):
                    for name, item in value.items():
                        row[f"demographics.{name}"] = item
                elif key == "evidence" and isinstance(value, list):
                    row["evidence_count"] = len(value)
                elif isinstance(value, list):
                    row[key] = "; ".join(str(v) for v in value)
                elif key == "quality" and isinstance(value, dict):
                    row["quality_score"] = value.get("overall_score")
                else:
                    row[key] = value
            rows.append(row)
        return rows

    def to_dataframe(self) -> Any:
        """A pandas DataFrame, one row per persona (needs `pip install persona[pandas]`)."""
        return to_dataframe(self)


def to_dataframe(personas: Iterable[dict[str, Any]]) -> Any:
    """Personas (any dicts of the persona JSON) as a pandas DataFrame indexed by id.

    Typed `Any` because pandas is an optional dependency (and ships no stubs by default)."""
    try:
        pandas: Any = importlib.import_module("pandas")
    except ImportError as missing:
        raise ImportError(
            "to_dataframe needs pandas: pip install pandas (or persona[pandas])"
        ) from missing
    records = PersonaList(Persona(p) for p in personas).to_records()
    frame = pandas.DataFrame.from_records(records)
    if "id" in frame.columns:
        frame = frame.set_index("id")
    return frame
