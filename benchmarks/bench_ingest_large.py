"""A multi-gigabyte platform export imported with flat memory: Google Takeout-like ``reviews.json``.

    .venv/bin/python benchmarks/bench_ingest_large.py              # ~2 GB, into a fresh SQLite home
    .venv/bin/python benchmarks/bench_ingest_large.py --gb 1       # ~1 GB
    .venv/bin/python benchmarks/bench_ingest_large.py --gb 0.05    # a quick check

Writes ``{"reviews": [Review, ...]}`` with the Google Business Profile Review shape (reviewer, starRating,
comment, createTime, updateTime and, for every third review, the owner's reviewReply) to a temp folder,
runs the real ``voxpop ingest FILE --no-analyze`` on it (the format is detected, nothing is mapped),
samples the child's resident memory every half second from ``/proc/<pid>/status`` and prints the peak
(VmHWM), the RSS at 10/50/90 % of the run (flat memory means these do not grow with the rows read), rows/s
and MB/s. The export and the data folder are deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOXPOP = ROOT / ".venv" / "bin" / "voxpop"
STARS = ["ONE", "TWO", "THREE", "FOUR", "FIVE"]
WORDS = [
    "coffee",
    "staff",
    "queue",
    "table",
    "booking",
    "wait",
    "price",
    "bread",
    "service",
    "clean",
    "noisy",
    "friendly",
    "slow",
    "cold",
    "warm",
    "lovely",
    "rude",
    "terrace",
    "music",
    "parking",
    "manager",
    "refund",
    "breakfast",
    "barista",
    "croissant",
    "view",
    "window",
    "dessert",
]


def comment(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60))).capitalize() + "."


def generate(path: Path, target_bytes: int) -> int:
    """Write the export; returns how many reviews it holds."""
    rng = random.Random(7)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"reviews": [\n')
        while True:
            created = start + timedelta(seconds=count * 37)
            review: dict[str, object] = {
                "name": f"accounts/104598/locations/{count % 40}/reviews/R{count:010d}",
                "reviewId": f"R{count:010d}",
                "reviewer": {"displayName": f"Reviewer {rng.randint(1, 400_000)}", "isAnonymous": False},
                "starRating": rng.choice(STARS),
                "comment": comment(rng),
                "createTime": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updateTime": (created + timedelta(hours=rng.choice([0, 0, 5]))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            if count % 3 == 0:
                review["reviewReply"] = {
                    "comment": "Thank you! " + comment(rng),
                    "updateTime": (created + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            if count:
                out.write(",\n")
            out.write(json.dumps(review, ensure_ascii=False))
            count += 1
            if count % 10_000 == 0 and out.tell() >= target_bytes:
                break
        out.write("\n]}\n")
    return count


def status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gb", type=float, default=2.0, help="size of the generated export in GB (1e9 bytes)")
    parser.add_argument("--tmp", default=None, help="folder for the export and the data folder (default: /tmp)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="voxpop-bench-large-", dir=args.tmp) as tmp:
        data = Path(tmp) / "reviews.json"
        t0 = time.perf_counter()
        rows = generate(data, int(args.gb * 1e9))
        size = data.stat().st_size
        print(f"generated {rows:,} reviews, {size / 1e9:.2f} GB, in {time.perf_counter() - t0:.0f} s")
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOXPOP_")}
        env["VOXPOP_HOME"] = str(Path(tmp) / "home")
        subprocess.run([str(VOXPOP), "db", "upgrade"], env=env, check=True, capture_output=True)
        command = [str(VOXPOP), "ingest", str(data), "--no-analyze"]
        t0 = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples: list[tuple[float, int]] = []
        peak = 0
        while child.poll() is None:
            rss = status_kb(child.pid, "VmRSS")
            hwm = status_kb(child.pid, "VmHWM")
            if rss is not None:
                samples.append((time.perf_counter() - t0, rss))
            peak = max(peak, hwm or 0)
            time.sleep(0.5)
        seconds = time.perf_counter() - t0
        out, err = child.communicate()
        if child.returncode != 0:
            sys.exit(f"voxpop ingest failed ({child.returncode}):\n{out}\n{err[-3000:]}")
        print(out.strip())
        print(f"rows/s: {rows / seconds:,.0f} ({rows:,} reviews in {seconds:.0f} s, whole command)")
        print(f"MB/s: {size / 1e6 / seconds:,.1f}")
        print(f"peak RSS (VmHWM) of the import process: {peak / 1024:.0f} MB")
        if samples:
            at = {pct: min(samples, key=lambda s, p=pct: abs(s[0] - seconds * p / 100))[1] for pct in (10, 50, 90)}
            print("RSS at 10/50/90 % of the run: " + " / ".join(f"{at[p] / 1024:.0f} MB" for p in (10, 50, 90)))
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores shared, timings noisy")


if __name__ == "__main__":
    main()
