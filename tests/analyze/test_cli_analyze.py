"""``voxpop analyze FILE -o OUT.jsonl``: every row out, in order, ids kept; bad input named precisely."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxpop.cli import app

FIELDS = {
    "id", "sentiment", "sentiment_score", "confidence", "aspects", "department", "language", "is_question",
    "urgency", "authenticity_risk", "topics", "evidence",
}  # fmt: skip
TEXTS = [
    "The delivery arrived two days late and the box was crushed.",
    "Lovely staff, the pasta was delicious!",
    "Is there parking near the restaurant?",
    "I was charged twice for one order, I want a refund or I'll do a chargeback.",
    "",
    "😡😡😡",
    "La comida estaba fría y el camarero fue muy grosero.",
    "The room was spotless and quiet. " * 300,
    "My parcel never came and support never answered my emails.",
    "Great coffee, friendly barista, will come back.",
    "The app crashes every time I open the camera.",
    "Food poisoning after the seafood special, calling the health department.",
]


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["analyze", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_rows_come_out_in_order_with_their_ids(tmp_path: Path) -> None:
    rows = [
        {
            "review_id": f"r-{n:03d}",
            "body": TEXTS[n % len(TEXTS)],
            "stars": str(1 + n % 5),
            "when": f"2026-02-{n % 28 + 1:02d}",
        }
        for n in range(40)
    ]
    source = _write_csv(tmp_path / "reviews.csv", rows)
    out = tmp_path / "out.jsonl"
    code, output = _run(
        str(source), "-o", str(out), "--text-column", "body", "--id-column", "review_id",
        "--map", "rating=stars,created_at=when",
    )  # fmt: skip
    assert code == 0, output
    results = _read(out)
    assert [r["id"] for r in results] == [row["review_id"] for row in rows]
    assert all(set(r) >= FIELDS for r in results)
    by_text = {rows[i]["body"]: results[i] for i in range(len(TEXTS))}
    assert by_text["Is there parking near the restaurant?"]["is_question"] is True
    assert by_text[""]["sentiment"] is None
    assert by_text["😡😡😡"]["language"] is None
    assert by_text[TEXTS[6]]["language"] == "es"
    assert by_text[TEXTS[6]]["evidence"]["sentiment"]["language"] == "es"
    assert by_text[TEXTS[1]]["sentiment"] == "positive"
    assert by_text[TEXTS[0]]["sentiment"] == "negative"
    assert by_text[TEXTS[11]]["urgency"] > by_text[TEXTS[9]]["urgency"]
    assert "health department" in by_text[TEXTS[11]]["evidence"]["urgency"]["escalation_terms"]
    assert all(0.0 <= r["authenticity_risk"] <= 1.0 for r in results)
    assert isinstance(by_text[TEXTS[0]]["evidence"]["authenticity"], list)
    # The same texts come back under other ids: the repeats carry near-duplicate evidence.
    twins = {row["review_id"] for row in rows if row["body"] == TEXTS[0]} - {"r-012"}
    repeat = results[len(TEXTS)]["evidence"]["authenticity"]
    assert any(e["signal"] == "near_duplicate" and e["similar_to"] in twins for e in repeat)
    summary = json.loads((tmp_path / "out.jsonl.topics.json").read_text())
    assert summary["items"] == 40
    assert all(isinstance(r["topics"], list) for r in results)
    assert not list(tmp_path.glob(".voxpop-topics-*"))  # temporary files cleaned up


def test_a_row_is_read_the_same_whatever_else_is_in_the_file(tmp_path: Path) -> None:
    # The model's vectors do not depend on the texts batched with a row, so neither do its own readings
    # (the file-wide ones, topics and near-duplicates, may differ).
    own = ("sentiment", "sentiment_score", "confidence", "aspects", "department", "language", "is_question")
    mixes = {
        "alone": [TEXTS[0], TEXTS[8]],
        "among others": [TEXTS[7], TEXTS[0], *TEXTS[1:4], "x" * 400, TEXTS[8], *TEXTS[9:]],
    }
    readings = []
    for name, texts in mixes.items():
        source = _write_csv(tmp_path / f"{name}.csv", [{"text": text} for text in texts])
        code, output = _run(str(source), "-o", str(tmp_path / f"{name}.jsonl"))
        assert code == 0, output
        by_text = dict(zip(texts, _read(tmp_path / f"{name}.jsonl"), strict=True))
        readings.append({text: {key: by_text[text][key] for key in own} for text in (TEXTS[0], TEXTS[8])})
    for text, reading in readings[0].items():
        for key, value in reading.items():
            # Equal up to float rounding (a batch's shape orders its floating-point sums).
            expected = pytest.approx(value, abs=1e-6) if isinstance(value, float) else value
            assert readings[1][text][key] == expected, (text, key)


def test_dash_writes_the_results_to_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"id": f"r{n}", "text": TEXTS[n % len(TEXTS)]} for n in range(30)]
    source = _write_csv(tmp_path / "in.csv", rows)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["analyze", str(source), "-o", "-"])
    assert result.exit_code == 0, result.output
    results = [json.loads(line) for line in result.stdout.splitlines()]  # nothing else on standard output
    assert [r["id"] for r in results] == [row["id"] for row in rows]
    assert all(set(r) >= FIELDS for r in results)
    assert "30 items analysed" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no file named "-", nothing left over


def test_jsonl_without_ids_numbers_the_rows(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"text": t}) for t in TEXTS[:5]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, output = _run(str(source), "-o", str(out), "--no-topics")
    assert code == 0, output
    assert [r["id"] for r in _read(out)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("body,id\nhello,1\n", [], r"in\.csv, row 1, field 'text': no text column 'text'"),
        ("text,id\nfine,1\n", ["--id-column", "review_id"], r"field 'review_id': no id column 'review_id'"),
        ("text\nfine\n", ["--map", "colour=text"], r"unknown field 'colour'"),
        ("text\nfine\n", ["--rating-scale", "five"], r"--rating-scale 'five'"),
    ],
)
def test_bad_csv_input_is_named(tmp_path: Path, content: str, args: list[str], message: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text(content, encoding="utf-8")
    code, output = _run(str(source), "-o", str(tmp_path / "out.jsonl"), *args)
    assert code == 1
    assert re.search(message, " ".join(output.split())), output


def test_an_unreadable_value_is_left_out_and_named_and_the_run_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "id,text,stars,created_at\n"
        "1,Lovely stay.,5,2026-01-02\n"
        "2,Room was cold.,0,2026-01-03\n"
        "3,Is there parking?,,yesterday\n"
        "4,Great breakfast.,11,someday\n"
        "5,Fine.,4,2026-01-05\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code, output = _run(str(source), "-o", str(out), "--map", "rating=stars", "--no-topics")
    assert code == 0, output
    rows = _read(out)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert all(set(r) >= FIELDS for r in rows)  # every row analysed, the bad ones too
    assert "problems" not in rows[0]
    assert "problems" not in rows[4]
    assert rows[1]["problems"] == ["field 'stars': cannot read '0' as rating (outside the rating scale 1–5); left out"]
    assert [p.split(":")[0] for p in rows[3]["problems"]] == ["field 'stars'", "field 'created_at'"]
    assert rows[2]["is_question"] is True
    said = " ".join(output.split())
    assert "3 rows had a value or a line that could not be read" in said
    assert "in.csv, row 2, field 'stars': cannot read '0' as rating" in said


def test_a_line_that_cannot_be_read_gets_its_row_of_results_and_the_run_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "fine"}\n{"text": broken\n[1, 2]\n{"text": "Is it open?"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, output = _run(str(source), "-o", str(out), "--no-topics")
    assert code == 0, output
    rows = _read(out)
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert rows[1]["problems"][0].startswith("row 2 (line 2) could not be read: is not valid JSON")
    assert rows[2]["problems"] == ["row 3 (line 3) could not be read: is not a JSON object; analysed as an empty text"]
    assert rows[1]["sentiment"] is None
    assert rows[3]["is_question"] is True
    assert "problems" not in rows[0]
    said = " ".join(output.split())
    assert "2 rows had a value or a line that could not be read" in said
    assert "in.jsonl: row 2 (line 2) could not be read: is not valid JSON" in said


def test_files_are_read_as_voxpop_ingest_reads_them(tmp_path: Path) -> None:
    """Semicolons or tabs between the fields, a UTF-16 export, gzip, a JSON array with nested keys, a record
    without text (a rating-only review), a row with a field too many: all read, every row out in order."""
    import gzip

    texts = ["Café très bon; service rapide", "The soup was cold.", "Is there parking?"]
    semicolon = tmp_path / "semicolon.csv"
    semicolon.write_text("id;text\n" + "".join(f'{n};"{t}"\n' for n, t in enumerate(texts, 1)), encoding="utf-8")
    tab = tmp_path / "tab.tsv.gz"
    tab.write_bytes(gzip.compress(("id\ttext\n" + "".join(f"{n}\t{t}\n" for n, t in enumerate(texts, 1))).encode()))
    utf16 = tmp_path / "excel.csv"
    utf16.write_text("id,text\n" + "".join(f'{n},"{t}"\n' for n, t in enumerate(texts, 1)), encoding="utf-16")
    array = tmp_path / "export.json"
    array.write_text(
        json.dumps({"reviews": [{"id": n, "review": {"comment": t}} for n, t in enumerate(texts, 1)]}), encoding="utf-8"
    )
    for source, extra in [(semicolon, []), (tab, []), (utf16, []), (array, ["--text-column", "review.comment"])]:
        out = tmp_path / f"{source.name}.out.jsonl"
        code, output = _run(str(source), "-o", str(out), "--no-topics", *extra)
        assert code == 0, (source.name, output)
        rows = _read(out)
        assert [str(r["id"]) for r in rows] == ["1", "2", "3"], source.name
        assert [r["is_question"] for r in rows] == [False, False, True], source.name
        assert rows[1]["sentiment"] == "negative", source.name

    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,text\n1,Lovely stay.\n2,Cold room,extra,fields\n3,Is breakfast included?\n", encoding="utf-8")
    code, output = _run(str(ragged), "-o", str(tmp_path / "ragged.jsonl"), "--no-topics")
    assert code == 0, output
    rows = _read(tmp_path / "ragged.jsonl")
    assert [r["id"] for r in rows] == ["1", 2, "3"]  # the unreadable row is numbered
    assert rows[1]["problems"] == [
        "row 2 (line 3) could not be read: has 4 fields, the header has 2; analysed as an empty text"
    ]

    ratings_only = tmp_path / "takeout.jsonl"
    ratings_only.write_text('{"id": "a", "text": "Great!", "rating": 5}\n{"id": "b", "rating": 1}\n', encoding="utf-8")
    code, output = _run(str(ratings_only), "-o", str(tmp_path / "takeout.out.jsonl"), "--no-topics")
    assert code == 0, output
    rows = _read(tmp_path / "takeout.out.jsonl")
    assert [(r["id"], r["sentiment"]) for r in rows] == [("a", "positive"), ("b", None)]
    assert "problems" not in rows[1]


def test_another_encoding_is_named_and_read_with_encoding(tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes(
        "id,text\n1,Lovely stay.\n2,Caf\u00e9 froid et serveur d\u00e9sagr\u00e9able\n".encode("latin-1")
    )
    out = tmp_path / "out.jsonl"
    code, output = _run(str(source), "-o", str(out), "--no-topics")
    assert code == 1
    said = " ".join(output.split())
    assert "latin1.csv, row 2, field 'text': byte 0xe9 is not valid UTF-8" in said
    assert "try --encoding latin-1" in said
    code, output = _run(str(source), "-o", str(out), "--no-topics", "--encoding", "latin-1")
    assert code == 0, output
    assert [r["language"] for r in _read(out)][1] == "fr"
    code, output = _run(str(source), "-o", str(out), "--encoding", "klingon")
    assert code == 1
    assert "unknown encoding 'klingon'" in " ".join(output.split())


def test_missing_file_is_named(tmp_path: Path) -> None:
    code, output = _run(str(tmp_path / "nope.csv"), "-o", str(tmp_path / "out.jsonl"))
    assert code == 1
    assert "nope.csv: no such file" in " ".join(output.split())


def test_skipping_enrichers(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,The soup was cold.\n2,Can I book a table?\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, output = _run(str(source), "-o", str(out), "--skip", "aspects", "--skip", "topics")
    assert code == 0, output
    rows = _read(out)
    assert [r["aspects"] for r in rows] == [[], []]
    assert rows[1]["is_question"] is True
    assert not (tmp_path / "out.jsonl.topics.json").exists()
    code, output = _run(str(source), "-o", str(out), "--skip", "sentiment")
    assert code == 1
    assert "--skip sentiment: aspects, urgency needs it" in " ".join(output.split())
    code, output = _run(str(source), "-o", str(out), "--skip", "nonsense")
    assert code == 1
    assert "no enricher named 'nonsense'" in output


def test_topics_of_a_file_larger_than_the_fitting_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voxpop.analyze import stream
    from voxpop.analyze.pipeline import Analyzer
    from voxpop.settings import Settings

    monkeypatch.setattr(stream, "FIT_SAMPLE", 45)  # the reservoir keeps 45 of the 120 texts
    themes = [
        "The parking garage was full again tonight.",
        "Wifi kept dropping in our room all evening.",
        "Breakfast buffet had fresh pastries and coffee.",
    ]
    rows = [
        {"id": f"i{n}", "text": f"{themes[n % 3]} Visit {n}.", "created_at": f"2026-03-{1 + n % 20:02d}"}
        for n in range(120)
    ]
    source = _write_csv(tmp_path / "big.csv", rows)
    out = tmp_path / "big.jsonl"
    analyzer = Analyzer(Settings(home=tmp_path / "home"), enrichers=["language", "topics"])
    summary = stream.analyze_file(source, out, analyzer, batch_size=16)
    assert summary.rows == 120
    results = _read(out)
    assert [r["id"] for r in results] == [row["id"] for row in rows]
    assert summary.topics
    assert sum(t.size for t in summary.topics) == sum(1 for r in results if r["topics"])
    named = [r["topics"][0] for r in results if r["topics"]]
    assert len(named) >= 60
    assert sum(sum(t.volume_by_week.values()) for t in summary.topics) == len(named)


class _BatchSizes:
    """Records the size of every batch it sees, and numbers each item within the run."""

    name = "batch_sizes"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: object) -> None:
        self.sizes: list[int] = []

    def enrich(self, batch: object) -> None:
        from voxpop.analyze.registry import Batch

        assert isinstance(batch, Batch)
        for result in batch.results:
            result["seen_in_batch"] = len(self.sizes)
        self.sizes.append(len(batch))


@pytest.mark.parametrize("window", [1, 40, 10_000])
def test_the_embedding_window_leaves_the_enrichers_batches_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    # Rows are prepared (embedded) a window at a time, but enrichers still see batches of 8, then
    # ``batch_size`` — so batch-level evidence is the same whatever the window.
    from voxpop.analyze import stream
    from voxpop.analyze.pipeline import Analyzer
    from voxpop.analyze.registry import Registry
    from voxpop.settings import Settings

    monkeypatch.setattr(stream, "EMBED_WINDOW", window)
    registry = Registry()
    registry.register(_BatchSizes)
    analyzer = Analyzer(Settings(home=tmp_path / "home"), registry=registry)
    prepared: list[int] = []
    stage = analyzer.stage  # each window is staged (tokenised) once, then embedded

    def counting_stage(records: list[object]) -> object:
        prepared.append(len(records))
        return stage(records)  # type: ignore[arg-type]

    monkeypatch.setattr(analyzer, "stage", counting_stage)
    rows = [{"id": f"r{n}", "text": f"Row number {n}."} for n in range(120)]
    out = tmp_path / "out.jsonl"
    stream.analyze_file(_write_csv(tmp_path / "rows.csv", rows), out, analyzer, batch_size=16)
    enricher = analyzer._enricher("batch_sizes")
    assert isinstance(enricher, _BatchSizes)
    assert enricher.sizes == [8] + [16] * 7
    results = _read(out)
    assert [r["id"] for r in results] == [row["id"] for row in rows]
    assert [r["seen_in_batch"] for r in results] == [0] * 8 + [b for b in range(1, 8) for _ in range(16)]
    assert sum(prepared) == 120
    expected = {1: [8, 16, 16] + [16] * 5, 40: [8, 16, 16, 32, 32, 16], 10_000: [8, 16, 16, 80]}[window]
    assert prepared == expected


def test_each_text_goes_through_the_model_once(
    tmp_path: Path, models_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window is embedded once and cut into the enrichers' batches with its vectors, the layered ones
    included: the sentiment and aspect enrichers must not embed the texts again."""
    from voxpop.analyze import stream
    from voxpop.analyze.pipeline import Analyzer
    from voxpop.settings import Settings

    monkeypatch.setattr(stream, "EMBED_WINDOW", 64)
    analyzer = Analyzer(Settings(home=models_home), "restaurant", enrichers=["sentiment", "aspects"])
    embedder = analyzer.context.embedder
    fed: list[int] = []
    run = embedder._session.run

    def counting_run(names: object, feed: dict[str, object]) -> object:
        fed.append(len(feed["input_ids"]))  # type: ignore[arg-type]
        return run(names, feed)  # type: ignore[arg-type]

    analyzer.analyze([{"id": "warm", "text": "Warm up"}])  # the taxonomy's prompts are embedded once, here
    monkeypatch.setattr(embedder._session, "run", counting_run)
    rows = [{"id": f"r{n}", "text": f"Dish {n} was cold but the waiter was lovely."} for n in range(60)]
    out = tmp_path / "out.jsonl"
    stream.analyze_file(_write_csv(tmp_path / "rows.csv", rows), out, analyzer, batch_size=16)
    assert sum(fed) == 60  # each row once
    results = _read(out)
    assert {r["sentiment"] for r in results} <= {"negative", "neutral", "positive"}
    assert all(r["aspects"] for r in results)


def test_result_lines_are_written_as_the_plain_json_of_the_result() -> None:
    import datetime as dt

    import numpy as np

    from voxpop.analyze.pipeline import _jsonable
    from voxpop.analyze.stream import _dumps

    row = {
        "id": 7,
        "sentiment_score": np.float64(-0.123456789),
        "confidence": np.float32(0.7),
        "is_question": np.bool_(True),
        "aspects": [{"name": "délai", "score": np.float32(0.25)}],
        "evidence": {"urgency": {"reach": np.int64(3), "terms": ("bbb", "sue")}, "at": dt.datetime(2026, 1, 2)},
        "topics": [],
    }
    assert _dumps(row) == json.dumps(_jsonable(row), ensure_ascii=False, separators=(",", ":"))
    odd = {"evidence": {1: "a", np.int64(2): "b"}}  # keys that are not strings take the careful path
    assert _dumps(odd) == json.dumps(_jsonable(odd), ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("count", [1, 8, 9, 24, 40, 41])
def test_only_the_last_batch_is_flagged_last(tmp_path: Path, count: int) -> None:
    # ``analyze_file`` starts the topic fit as soon as the last rows are embedded, so the flag must be
    # on the last batch only, also when the rows end exactly at a batch boundary.
    from voxpop.analyze.file_rows import Columns, RowConverter
    from voxpop.analyze.stream import _batches

    source = _write_csv(tmp_path / "rows.csv", [{"id": str(n), "text": f"Row {n}."} for n in range(count)])
    batches = list(_batches(RowConverter(source, Columns()), 16, 32))
    assert [last for _, last in batches] == [False] * (len(batches) - 1) + [True]
    assert [record.id for records, _ in batches for record in records] == [str(n) for n in range(count)]
    assert [len(records) for records, _ in batches[:3]] == [min(8, count), *[len(r) for r, _ in batches[1:3]]]
    assert all(len(records) <= 32 for records, _ in batches)


class _BlasThreads:
    """Records how many threads the BLAS libraries may use while it runs."""

    name = "blas_threads"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: object) -> None:
        self.seen: list[int] = []

    def enrich(self, batch: object) -> None:
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

        self.seen.extend(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


def test_the_blas_runs_on_one_thread_during_the_run_only(tmp_path: Path) -> None:
    from threadpoolctl import threadpool_info

    from voxpop.analyze import stream
    from voxpop.analyze.pipeline import Analyzer
    from voxpop.analyze.registry import Registry
    from voxpop.settings import Settings

    before = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    registry = Registry()
    registry.register(_BlasThreads)
    analyzer = Analyzer(Settings(home=tmp_path / "home"), registry=registry)
    rows = [{"id": f"r{n}", "text": f"Row number {n}."} for n in range(20)]
    stream.analyze_file(_write_csv(tmp_path / "rows.csv", rows), tmp_path / "out.jsonl", analyzer, batch_size=16)
    enricher = analyzer._enricher("blas_threads")
    assert isinstance(enricher, _BlasThreads)
    assert enricher.seen
    assert set(enricher.seen) == {1}
    assert [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"] == before


def test_analysing_a_file_does_not_import_the_store(tmp_path: Path) -> None:
    """``voxpop analyze`` on a file needs no database: SQLAlchemy and the store stay unimported (they were
    a good part of its start-up). Run in a fresh interpreter, as the command runs; the enrichers that need
    the embedding model are skipped (a fresh interpreter would derive it first), every enricher module is
    still imported."""
    source = _write_csv(tmp_path / "in.csv", [{"text": "The parcel came late."}, {"text": "Is it open?"}])
    skip = [f"--skip={name}" for name in ("topics", "aspects", "urgency", "sentiment", "authenticity")]
    script = (
        "import sys\n"
        "from voxpop.cli import main\n"
        f"sys.argv = ['voxpop', 'analyze', {str(source)!r}, '-o', {str(tmp_path / 'out.jsonl')!r}, *{skip!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'}),"
        " sorted(m for m in sys.modules if m.startswith('voxpop.store')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[] []"
    assert [row["is_question"] for row in _read(tmp_path / "out.jsonl")] == [False, True]
