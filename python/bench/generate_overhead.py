"""In-process `persona.generate` vs the CLI's wall time on the same data (default 10,000
participants), with the release builds of both.

    cargo build --release                                # the CLI
    maturin develop --release -m python/Cargo.toml       # the extension
    python python/bench/generate_overhead.py [--participants 10000] [--repeat 5]

Prints the median wall time of each and the in-process overhead in percent (target: <= 5 %), and
the median CPU time of each (steadier on a loaded machine). The CLI's time includes starting its
process; the in-process time is the Python call alone (with turning the result into objects).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import persona

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    parser.add_argument("--cli", default=str(target / "release" / "persona"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / f"participants-{args.participants}.csv"
        subprocess.run([sys.executable, str(HERE / "make_data.py"), str(args.participants), str(data)], check=True)
        env = {k: v for k, v in os.environ.items() if k != "PERSONA_CONFIG"}
        cli_times: list[float] = []
        sdk_times: list[float] = []

        # CPU seconds too: on a loaded machine they move far less than wall time.
        cli_cpu: list[float] = []
        sdk_cpu: list[float] = []

        def run_cli(round_: int) -> None:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(
                [args.cli, "generate", "--data", str(data), "--output", str(Path(scratch) / f"cli-{round_}")],
                check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            cli_times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cli_cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

        def run_sdk(round_: int) -> persona.GenerateResult:
            cpu_before = time.process_time()
            started = time.perf_counter()
            result = persona.generate(data, output_dir=Path(scratch) / f"sdk-{round_}")
            sdk_times.append(time.perf_counter() - started)
            sdk_cpu.append(time.process_time() - cpu_before)
            return result

        for round_ in range(args.repeat):
            # Interleaved, and each first in turn, so that machine load hits both alike.
            if round_ % 2 == 0:
                run_cli(round_)
                result = run_sdk(round_)
            else:
                result = run_sdk(round_)
                run_cli(round_)
        # The same work: both wrote the same personas.
        (cli_personas,) = (Path(scratch) / "cli-0").glob("*/personas.json")
        (sdk_personas,) = (Path(scratch) / "sdk-0").glob("*/personas.json")
        assert cli_personas.read_bytes() == sdk_personas.read_bytes(), "different personas"
        cli = statistics.median(cli_times)
        sdk = statistics.median(sdk_times)
        overhead = (sdk - cli) / cli * 100
        print(f"persona module: {persona.__file__}")
        print(f"participants: {result.metadata['participants']}")
        print(f"cli  median {cli * 1000:.1f} ms  (runs: {', '.join(f'{t * 1000:.0f}' for t in cli_times)})")
        print(f"sdk  median {sdk * 1000:.1f} ms  (runs: {', '.join(f'{t * 1000:.0f}' for t in sdk_times)})")
        cpu_overhead = (statistics.median(sdk_cpu) - statistics.median(cli_cpu)) / statistics.median(cli_cpu) * 100
        print(f"cpu  median cli {statistics.median(cli_cpu) * 1000:.1f} ms, sdk {statistics.median(sdk_cpu) * 1000:.1f} ms ({cpu_overhead:+.1f} %)")
        print(f"in-process overhead: {overhead:+.1f} % (target <= 5 %)")
        sys.exit(0 if overhead <= 5 else 1)


if __name__ == "__main__":
    main()
