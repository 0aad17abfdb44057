"""How long the idea board takes to suggest similar ideas while a customer types (``/ideas/similar``).

The suggestion runs on every pause in typing (htmx, 400 ms debounce), so it should answer in well under
200 ms. Each call embeds the typed text once (MiniLM int8) and compares it with the stored vectors of
every idea not merged, which are read from the database (JSON). Ideas are synthetic (feature wishes
built from templates); only the sizes matter here.

    .venv/bin/python benchmarks/bench_ideas_similar.py [--ideas 100 1000 5000] [--queries 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from voxpop.analyze.embeddings import get_embedder
from voxpop.loop.ideas import similar_ideas
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models.loop import Idea

WANTS = [
    "dark mode",
    "a loyalty card",
    "vegan options",
    "gift cards",
    "table booking",
    "Sunday opening",
    "faster delivery",
    "a kids menu",
    "oat milk",
    "online ordering",
    "more parking",
    "quieter music",
    "an English menu",
    "card payments",
    "a bigger terrace",
    "allergy labels",
    "student discounts",
]
WHERE = ["in the app", "on the website", "at the Leeds shop", "for delivery", "at weekends", "in winter", ""]
FRAMES = [
    "Please add {w} {p}",
    "It would be great to have {w} {p}",
    "Could you offer {w} {p}?",
    "I wish there was {w} {p}",
    "{w} {p} please!",
]


def idea_text(rng: random.Random) -> str:
    return rng.choice(FRAMES).format(w=rng.choice(WANTS), p=rng.choice(WHERE)).replace("  ", " ").strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ideas", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(1)
    home = Path(tempfile.mkdtemp())
    settings = Settings(home=home, secret_key="bench-secret-0123456789")  # noqa: S106
    embedder = get_embedder(settings)
    for n in args.ideas:
        store = Store(settings.model_copy(update={"database_url": f"sqlite:///{home / f'ideas-{n}.db'}"}))
        titles = [idea_text(rng) for _ in range(n)]
        vectors = embedder.encode(titles)
        with store.write() as s:
            s.add_all(
                Idea(title=t, body="", status="open", status_note="", embedding=[round(float(x), 6) for x in v])
                for t, v in zip(titles, vectors, strict=True)
            )
        similar_ideas(store.read(), store.settings, "warm-up query")
        times = []
        for _ in range(args.queries):
            query = idea_text(rng)
            with store.read() as s:
                start = time.perf_counter()
                similar_ideas(s, store.settings, query)
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{n:>6} ideas: median {statistics.median(times):6.1f} ms, p95 {p95:6.1f} ms ({args.queries} queries)")
        store.dispose()


if __name__ == "__main__":
    main()
