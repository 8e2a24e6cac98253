"""The in-process functions give what the CLI gives on the example data."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import persona
from conftest import EXAMPLES, persona_binary


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(persona_binary()), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Path]:
    out = tmp_path_factory.mktemp("cli")
    done = cli("generate", "--data", EXAMPLES, "--count", "3", "--seed", "7", "--json", "--output", out)
    assert done.returncode == 0, done.stderr
    run_folder = Path(done.stderr.split("Output: ")[1].splitlines()[0].strip())
    return json.loads(done.stdout), run_folder


@pytest.fixture(scope="module")
def sdk_run(tmp_path_factory: pytest.TempPathFactory) -> persona.GenerateResult:
    return persona.generate(
        EXAMPLES, 3, seed=7, output_dir=tmp_path_factory.mktemp("sdk")
    )


def test_generate_matches_the_cli(
    cli_run: tuple[list[dict[str, Any]], Path], sdk_run: persona.GenerateResult
) -> None:
    cli_personas, cli_folder = cli_run
    assert len(sdk_run.personas) == 3
    assert [dict(p) for p in sdk_run.personas] == cli_personas
    # The run folders are written by the same code: the persona files are identical bytes.
    sdk_folder = Path(sdk_run.output_path)
    assert (sdk_folder / "personas.json").read_bytes() == (cli_folder / "personas.json").read_bytes()
    cli_metadata = json.loads((cli_folder / "metadata.json").read_text())
    for volatile in ("generated_at", "duration_ms"):
        cli_metadata.pop(volatile)
        sdk_run.metadata.pop(volatile)
    assert sdk_run.metadata == cli_metadata
    assert sdk_run.metadata["participants"] > 0 and sdk_run.metadata["seed"] == 7


def test_personas_are_typed_and_render_as_cards(sdk_run: persona.GenerateResult) -> None:
    first = sdk_run.personas[0]
    assert isinstance(first, persona.Persona)
    assert first.id.startswith("persona-") and first.name and first.goals
    card = first._repr_html_()
    assert first.name.replace("&", "&amp;") in card and "persona-card" in card
    records = sdk_run.personas.to_records()
    assert [r["id"] for r in records] == [p.id for p in sdk_run.personas]


def test_to_dataframe_builds_a_frame_when_pandas_is_installed(
    sdk_run: persona.GenerateResult,
) -> None:
    pytest.importorskip("pandas")  # python/ci.sh installs it
    frame = sdk_run.personas.to_dataframe()
    assert list(frame.index) == [p.id for p in sdk_run.personas]
    first = sdk_run.personas[0]
    assert frame.loc[first.id, "name"] == first.name
    assert frame.loc[first.id, "goals"] == "; ".join(first.goals)
    assert frame.loc[first.id, "evidence_count"] == len(first.evidence)
    assert persona.to_dataframe([dict(p) for p in sdk_run.personas]).equals(frame)


def test_to_dataframe_without_pandas_names_it(
    sdk_run: persona.GenerateResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if not installed
    with pytest.raises(ImportError, match="pip install pandas"):
        sdk_run.personas.to_dataframe()


def test_cards_escape_what_they_show(sdk_run: persona.GenerateResult) -> None:
    hostile = persona.Persona({**sdk_run.personas[0], "name": "<script>x</script>"})
    card = hostile._repr_html_()
    assert "<script>" not in card and "&lt;script&gt;" in card
    listed = sdk_run._repr_html_()
    assert listed.count("persona-card") == len(sdk_run.personas)
    assert str(sdk_run.metadata["participants"]) in listed
    odd_folder = dataclasses.replace(sdk_run, output_path="/tmp/<b>runs</b>")
    assert "&lt;b&gt;runs" in odd_folder._repr_html_()


def test_score_matches_the_cli(cli_run: tuple[list[dict[str, Any]], Path]) -> None:
    personas, folder = cli_run
    done = cli("score", folder, "--json", "--preset", "strict")
    assert done.returncode == 0, done.stderr
    expected = json.loads(done.stdout)
    assert persona.score(folder, preset="strict") == expected
    assert persona.score(personas, preset="strict") == expected


def test_script_matches_the_cli_byte_for_byte(cli_run: tuple[list[dict[str, Any]], Path]) -> None:
    _, folder = cli_run
    for args, kwargs in (
        ((), {}),
        (("--format", "system_prompt"), {"format": "system_prompt"}),
        (("--yaml",), {"yaml": True}),
    ):
        done = cli("script", folder, "--index", "1", *args)
        assert done.returncode == 0, done.stderr
        result = persona.script(folder, index=1, **kwargs)
        assert result.output + ("" if result.output.endswith("\n") else "\n") == done.stdout
        assert result.privacy_audit["passed"] is True


def test_errors_carry_the_api_codes(tmp_path: Path, sdk_run: persona.GenerateResult) -> None:
    with pytest.raises(persona.PersonaError) as missing:
        persona.generate(tmp_path / "nothing-here.csv", output_dir=tmp_path)
    assert missing.value.code == "invalid_input"
    with pytest.raises(persona.PersonaError) as count:
        persona.generate(EXAMPLES, 0, output_dir=tmp_path)
    assert count.value.code == "validation_error"
    assert count.value.details["fields"][0]["field"] == "count"
    with pytest.raises(persona.PersonaError) as provider:
        persona.generate(EXAMPLES, provider="nope", output_dir=tmp_path)
    assert provider.value.code in {"validation_error", "invalid_input"}
    with pytest.raises(persona.PersonaError) as preset:
        persona.score(sdk_run.personas, preset="harsh")
    assert preset.value.code == "validation_error"
    with pytest.raises(persona.PersonaError) as choose:
        persona.script(sdk_run.personas)
    assert choose.value.code == "validation_error"
    with pytest.raises(persona.PersonaError) as unknown:
        persona.script(sdk_run.personas, persona_id="persona-nope")
    assert unknown.value.code == "not_found"
    leaky = dict(sdk_run.personas[0])
    leaky["demographics"] = {**leaky.get("demographics", {}), "location": "maya.okafor@example.com"}
    with pytest.raises(persona.PersonaError) as audit:
        persona.script(leaky)
    assert audit.value.code == "privacy_audit_failed"
    assert "leakage_score" in audit.value.details
    # Nothing half-written: the failed runs left no run folder.
    assert not any(p.is_dir() for p in tmp_path.iterdir())


def test_data_with_no_usable_persona_raises_naming_each_drop(tmp_path: Path) -> None:
    data = tmp_path / "chatter.csv"
    data.write_text(
        "participant_id,response\nA,Sunshine over the harbour today.\nB,Sunshine and harbour boats today.\n"
    )
    with pytest.raises(persona.PersonaError) as raised:
        persona.generate(data, output_dir=tmp_path / "out")
    assert raised.value.code == "invalid_input"
    assert str(raised.value.message).startswith("no persona could be made from this data")
    assert raised.value.details["reason"] == "no_usable_persona"
    # Asking for every persona however thin keeps one.
    kept = persona.generate(data, output_dir=tmp_path / "out", min_claims=1)
    assert len(kept.personas) == 1


def test_generate_releases_the_gil(tmp_path: Path) -> None:
    """Another Python thread keeps running while generation works in Rust."""
    data = tmp_path / "big.csv"
    rows = ["participant_id,age,role,answer"]
    rows += [f"p{i},{20 + i % 40},role{i % 5},I want faster exports and fewer crashes {i}" for i in range(3000)]
    data.write_text("\n".join(rows) + "\n")
    ticks = 0
    finished = threading.Event()

    def count_ticks() -> None:
        nonlocal ticks
        while not finished.is_set():
            ticks += 1
            time.sleep(0.001)

    ticker = threading.Thread(target=count_ticks)
    ticker.start()
    started = time.monotonic()
    try:
        # Identical answers make thin personas: ask for them (min_claims 1), as this is about the GIL.
        persona.generate(data, output_dir=tmp_path / "out", min_claims=1)
    finally:
        finished.set()
        ticker.join()
    elapsed = time.monotonic() - started
    # A held GIL would starve the ticker for the whole call.
    assert ticks >= max(1, int(elapsed / 0.001 * 0.1)), (ticks, elapsed)


def test_inspect_matches_the_cli(tmp_path: Path) -> None:
    for target, names in ((EXAMPLES, []), (EXAMPLES / "transcript-p16.md", ["Interviewer"])):
        flags = [arg for name in names for arg in ("--interviewer", name)]
        done = cli("inspect", "--data", target, "--json", *flags)
        assert done.returncode == 0, done.stderr
        expected = json.loads(done.stdout)
        report = persona.inspect(target, interviewers=names or None)
        # Same keys in the same order, same values.
        assert json.dumps(report) == json.dumps(expected)
        assert report["participants"] and report["files"]
    # The content of one file (bytes, or a file object), read as an upload of that name.
    csv = EXAMPLES / "interviews.csv"
    expected = json.loads(cli("inspect", "--data", csv, "--json").stdout)
    assert persona.inspect(csv.read_bytes(), filename="interviews.csv") == expected
    with open(csv, "rb") as handle:
        assert persona.inspect(handle) == expected


def test_inspect_errors_carry_the_api_codes(tmp_path: Path) -> None:
    with pytest.raises(persona.PersonaError) as missing:
        persona.inspect(tmp_path / "nothing-here.csv")
    assert missing.value.code == "invalid_input"
    with pytest.raises(persona.PersonaError) as unnamed:
        persona.inspect(b"participant_id,answer\np1,hello\n")
    assert unnamed.value.code == "validation_error"
    assert unnamed.value.details["fields"][0]["field"] == "filename"
    with pytest.raises(persona.PersonaError) as unsupported:
        persona.inspect(b"\x00\x01", filename="data.bin")
    assert unsupported.value.code == "invalid_input"
    config = tmp_path / "bad.toml"
    config.write_text("[storage\n")
    with pytest.raises(persona.PersonaError) as bad_config:
        persona.inspect(EXAMPLES, config=config)
    assert bad_config.value.code == "validation_error"
