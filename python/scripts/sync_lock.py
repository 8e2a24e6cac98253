"""Brings python/Cargo.lock in line with the root Cargo.lock: every crate the two builds share is
locked at the root's version, so a shared target dir compiles it once.

    python3 python/scripts/sync_lock.py           # rewrite python/Cargo.lock
    python3 python/scripts/sync_lock.py --check   # exit 1 if a shared crate differs or the
                                                  # lock misses a dependency of Cargo.toml

Run it after the root's dependencies change (`cargo build --locked` of the extension fails
otherwise). It starts from the root lock plus the extension's own crates (pyo3, ...) and lets
cargo drop what the extension does not use (offline when the index cache allows).
Only the standard library is needed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parents[1]
ROOT_LOCK = PYTHON_DIR.parent / "Cargo.lock"
LOCK = PYTHON_DIR / "Cargo.lock"
COMMAND = "python3 python/scripts/sync_lock.py"


def versions(lock: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for package in tomllib.loads(lock.read_text(encoding="utf-8")).get("package", []):
        found.setdefault(package["name"], set()).add(package["version"])
    return found


def mismatches() -> list[str]:
    root, own = versions(ROOT_LOCK), versions(LOCK)
    return sorted(
        f"{name}: root {', '.join(sorted(root[name]))}, python {', '.join(sorted(own[name]))}"
        for name in own.keys() & root.keys()
        if not own[name] <= root[name]
    )


def blocks(text: str) -> list[str]:
    """The `[[package]]` entries of a lock file, as text."""
    return ["[[package]]\n" + part.strip() + "\n" for part in text.split("[[package]]")[1:]]


def cargo_resolves(*flags: str) -> bool:
    """Whether `cargo update --workspace` (index only; locked versions of other crates kept)
    succeeds: with --locked, whether the lock already satisfies the manifests."""
    done = subprocess.run(
        ["cargo", "update", "--workspace", "--quiet", *flags],
        cwd=PYTHON_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
    )
    if done.returncode != 0 and "--locked" not in flags:
        sys.stderr.write(done.stderr)
    return done.returncode == 0


def sync() -> None:
    root_text = ROOT_LOCK.read_text(encoding="utf-8")
    root_names = {p["name"] for p in tomllib.loads(root_text)["package"]}
    own_text = LOCK.read_text(encoding="utf-8") if LOCK.exists() else ""
    own_only = [
        block for block in blocks(own_text)
        if tomllib.loads(block)["package"][0]["name"] not in root_names
    ]
    header = root_text.split("[[package]]")[0]
    LOCK.write_text(header + "\n".join(blocks(root_text) + own_only), encoding="utf-8")
    # Cargo rewrites the lock: drops the root's crates the extension does not use (its dev
    # dependencies, the root package), keeps every locked version it does use.
    if not (cargo_resolves("--offline") or cargo_resolves()):
        raise SystemExit("cargo could not resolve python/Cargo.toml")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="report, change nothing")
    args = parser.parse_args()
    if args.check:
        problems = mismatches()
        if not cargo_resolves("--locked", "--offline") and not cargo_resolves("--locked"):
            problems.append("python/Cargo.lock does not satisfy python/Cargo.toml and ../Cargo.toml")
        if problems:
            raise SystemExit("\n".join(problems) + f"\nrun: {COMMAND}")
        print("python/Cargo.lock agrees with the root Cargo.lock")
        return
    sync()
    problems = mismatches()
    if problems:
        raise SystemExit("still different after syncing:\n" + "\n".join(problems))
    print(f"synced {LOCK}")


if __name__ == "__main__":
    main()
