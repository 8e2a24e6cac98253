"""Writes a survey CSV of N participants for the benchmark (deterministic: same N, same file).

    python bench/make_data.py 10000 /tmp/participants-10000.csv
"""

from __future__ import annotations

import random
import sys

ROLES = ["designer", "engineer", "researcher", "manager", "analyst", "student", "teacher", "nurse"]
GOALS = [
    "export reports to PDF without reformatting",
    "share dashboards with my team quickly",
    "find old interview notes by topic",
    "track how customers feel over time",
    "spend less time cleaning survey data",
]
PAINS = [
    "the app crashes when I import large files",
    "search never finds the right transcript",
    "syncing between laptop and phone is slow",
    "I cannot tell which quotes came from whom",
    "pricing is confusing for small teams",
]
LIKES = [
    "the tagging is quick once it is set up",
    "I like the weekly summary email",
    "support answered within an hour",
    "the charts look great in presentations",
]


def main() -> None:
    count = int(sys.argv[1])
    path = sys.argv[2]
    rng = random.Random(count)
    with open(path, "w", encoding="utf-8") as out:
        out.write("participant_id,age,role,country,what do you want to achieve,what frustrates you,what do you like\n")
        for i in range(count):
            out.write(
                f"p{i:05d},{rng.randint(19, 70)},{rng.choice(ROLES)},{rng.choice(['UK', 'DE', 'US', 'IN', 'BR'])},"
                f"\"I want to {rng.choice(GOALS)} and {rng.choice(GOALS)}\","
                f"\"Honestly {rng.choice(PAINS)}; also {rng.choice(PAINS)}\","
                f"\"{rng.choice(LIKES)}\"\n"
            )


if __name__ == "__main__":
    main()
