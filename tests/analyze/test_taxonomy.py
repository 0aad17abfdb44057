"""Taxonomies: the built-ins, the YAML round trip, validation errors, fitting a head and the CLI."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from voxpop.analyze.aspect_head import (
    HEAD_FORMAT,
    SPLIT_HEAD_FORMAT,
    STACKED_HEAD_FORMAT,
    AspectHead,
    decode_head,
    encode_head,
)
from voxpop.analyze.aspect_training import _decide, _joint_thresholds, _micro_f1
from voxpop.analyze.embeddings import Embedder, get_embedder
from voxpop.analyze.taxonomy import (
    Aspect,
    Taxonomy,
    builtin_names,
    fit_taxonomy,
    load_taxonomy,
    read_labelled_csv,
    save_taxonomy,
)
from voxpop.cli import app
from voxpop.errors import IngestError, NotFoundError, ValidationError
from voxpop.settings import Settings

#: Written for these tests: support tickets of a web shop, each about one aspect or none.
LABELLED = [
    ("My parcel arrived a week late.", "delivery"),
    ("The courier left the box in the rain.", "delivery"),
    ("Tracking has not moved for five days.", "delivery"),
    ("Still waiting for my order to be shipped.", "delivery"),
    ("The package came crushed and late.", "delivery"),
    ("Delivery was fast, next day as promised.", "delivery"),
    ("The driver could not find my street.", "delivery"),
    ("Shipping took three weeks to arrive.", "delivery"),
    ("Where is my parcel? It says delivered but nothing came.", "delivery"),
    ("The delivery van never showed up.", "delivery"),
    ("I was charged twice for one order.", "billing"),
    ("There is a strange fee on my card statement.", "billing"),
    ("The invoice shows the wrong amount.", "billing"),
    ("You billed me after I cancelled my subscription.", "billing"),
    ("My credit card was charged before the order shipped.", "billing"),
    ("Please send me a proper invoice with VAT.", "billing"),
    ("The payment failed but the money left my account.", "billing"),
    ("I was overcharged for shipping costs.", "billing;delivery"),
    ("Double charge on my bank statement again.", "billing"),
    ("The price at checkout was higher than on the page and I paid it.", "billing"),
    ("The blender broke after two uses.", "product"),
    ("The fabric tore the first time I wore it.", "product"),
    ("Great quality, the jacket is warm and solid.", "product"),
    ("The phone case cracked within a week.", "product"),
    ("The lamp flickers and then stops working.", "product"),
    ("Colours faded after one wash.", "product"),
    ("Very sturdy chair, well made.", "product"),
    ("The zipper is cheap and got stuck immediately.", "product"),
    ("The headphones stopped charging after a month.", "product"),
    ("The shoes fell apart at the sole.", "product"),
    ("Hello, just saying hi.", ""),
    ("I will write again next week.", ""),
    ("My name is Sam and I live in Leeds.", ""),
    ("Thanks for reading.", ""),
    ("We were in town for a wedding.", ""),
    ("Happy holidays to the whole team.", ""),
]


@pytest.fixture(scope="module")
def embedder(models_home: Path) -> Embedder:
    return get_embedder(Settings(home=models_home))


@pytest.fixture(scope="module")
def fitted(embedder: Embedder) -> Taxonomy:
    texts = [text for text, _ in LABELLED]
    labels = [[label for label in cell.split(";") if label] for _, cell in LABELLED]
    return fit_taxonomy(texts, labels, embedder=embedder, name="shop")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- built-ins ----------------------------------------------------------------------------------------


def test_the_five_verticals_are_built_in() -> None:
    assert set(builtin_names()) >= {"general", "restaurant", "hotel", "airline", "saas"}


@pytest.mark.parametrize("name", ["general", "restaurant", "hotel", "airline", "saas"])
def test_builtins_are_complete(name: str) -> None:
    taxonomy = load_taxonomy(name)
    assert taxonomy.name == name
    assert len(taxonomy.aspects) >= 6
    for aspect in taxonomy.aspects:
        assert len(aspect.description) > 20, aspect.name
        assert 8 <= len(aspect.examples) <= 20, aspect.name
        assert aspect.department, aspect.name
        assert len(set(aspect.examples)) == len(aspect.examples), aspect.name
    assert taxonomy.head is None


def test_unknown_name_or_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"no taxonomy file 'nope'.*built-ins: airline"):
        load_taxonomy("nope")
    with pytest.raises(NotFoundError, match=r"missing\.yaml"):
        load_taxonomy(tmp_path / "missing.yaml")


# --- the YAML file ------------------------------------------------------------------------------------


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    taxonomy = Taxonomy(
        name="clinic",
        description="A dental clinic.",
        threshold=0.4,
        aspects=[
            Aspect("waiting", "Time in the waiting room.", ["We waited an hour."], "reception", ["wait"], ["WAIT"]),
            Aspect("pain", "Pain during treatment.", ["It hurt a lot.", "Painless!"], None, [], []),
        ],
    )
    path = tmp_path / "clinic.yaml"
    save_taxonomy(taxonomy, path)
    assert load_taxonomy(path) == taxonomy
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(doc) == ["name", "description", "threshold", "aspects"]
    assert doc["aspects"][1] == {
        "name": "pain",
        "description": "Pain during treatment.",
        "examples": ["It hurt a lot.", "Painless!"],
    }


def test_a_builtin_survives_a_round_trip(tmp_path: Path) -> None:
    original = load_taxonomy("hotel")
    save_taxonomy(original, tmp_path / "hotel.yaml")
    assert load_taxonomy(tmp_path / "hotel.yaml") == original
    assert load_taxonomy(str(tmp_path / "hotel.yaml")) == original


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("aspects:\n  - name: food\n", r"key 'name': Field required"),
        ("name: x\naspects: []\n", r"key 'aspects': List should have at least 1 item"),
        ("name: x\naspects:\n  - name: food\n    exampels: [a]\n", r"key 'aspects\[0\]\.exampels': Extra inputs"),
        (
            "name: x\naspects:\n  - name: food\n    examples: hello\n",
            r"key 'aspects\[0\]\.examples': Input should be a valid list",
        ),
        ("name: x\naspects:\n  - name: food\n    examples: ['ok', '  ']\n", r"key 'aspects\[0\]\.examples': .*blank"),
        (
            "name: x\naspects:\n  - name: food\n  - name: Food\n",
            r"key 'aspects\[1\]\.name': 'Food' repeats aspects\[0\]",
        ),
        ("name: x\nthreshold: 2\naspects:\n  - name: food\n", r"key 'threshold': Input should be less than 1"),
        ("name: x\naspects:\n  - name: food\n    department: [a, b]\n", r"key 'aspects\[0\]\.department'"),
        (
            "name: x\naspects:\n  - name: food\nhead:\n  format: other\n  data: abc\n",
            r"key 'head': unknown head format",
        ),
        ("- just\n- a list\n", "a taxonomy must be a mapping"),
        ("name: x\naspects: [\n", "not valid YAML"),
    ],
)
def test_a_bad_file_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ValidationError, match=message) as error:
        load_taxonomy(path)
    assert str(error.value).startswith(str(path))


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(ValidationError, match="not a UTF-8 text file"):
        load_taxonomy(path)


# --- fitting ------------------------------------------------------------------------------------------


def test_fit_learns_the_labels_and_predicts_new_texts(fitted: Taxonomy, embedder: Embedder) -> None:
    head = fitted.head
    assert head is not None
    assert fitted.names == ["delivery", "billing", "product"]  # in order of first appearance
    assert head.labels == ["billing", "delivery", "product"]
    assert not head.exclusive  # a row with two labels and rows with none
    assert not head.at_least_one
    texts = [
        "My order is two weeks late and the courier does not answer.",
        "You charged my card three times.",
        "The kettle stopped working after a day.",
    ]
    assert [row[:1] for row in head.predict(texts, embedder.encode(texts))] == [["delivery"], ["billing"], ["product"]]


def test_fitted_head_travels_inside_the_yaml(fitted: Taxonomy, embedder: Embedder, tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    save_taxonomy(fitted, path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert fitted.head is not None
    stacked_format = SPLIT_HEAD_FORMAT if fitted.head.split else STACKED_HEAD_FORMAT
    assert doc["head"]["format"] == (stacked_format if fitted.head.stacked else HEAD_FORMAT)
    loaded = load_taxonomy(path)
    assert loaded.head is not None
    assert fitted.head is not None
    texts = ["Parcel never came", "Refund the double charge please", "Nice weather today"]
    vectors = embedder.encode(texts)
    np.testing.assert_allclose(loaded.head.scores(texts, vectors), fitted.head.scores(texts, vectors), atol=0.02)
    assert loaded.head.predict(texts, vectors) == fitted.head.predict(texts, vectors)


def test_a_head_saved_before_the_ngram_ranges_were_recorded_still_loads(fitted: Taxonomy) -> None:
    """Files written before the n-gram ranges were saved used word 1–2-grams and character 2–5-grams."""
    assert fitted.head is not None
    fmt, data = encode_head(fitted.head)
    with np.load(io.BytesIO(base64.b64decode(data)), allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    assert meta["char_ngrams"] == list(fitted.head.char_ngrams)
    del meta["word_ngrams"], meta["char_ngrams"]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    old = decode_head(fmt, base64.b64encode(buffer.getvalue()).decode("ascii"))
    assert (old.word_ngrams, old.char_ngrams) == ((1, 2), (2, 5))
    assert old._chars.ngram_range == (2, 5)
    assert old.labels == fitted.head.labels


def _with_stack(head: AspectHead) -> AspectHead:
    """``head`` plus a second level that reproduces its own blend (TF-IDF weight ``blend``)."""
    n = len(head.labels)
    coef = np.hstack([np.diag(head.blend), np.diag(1 - head.blend)]).astype(np.float32)
    fmt, data = encode_head(head)
    copy = decode_head(fmt, data)
    copy.stack_coef, copy.stack_intercept = coef, np.zeros(n, dtype=np.float32)
    return copy


def test_a_stacked_head_travels_as_format_2_and_a_plain_one_as_format_1(fitted: Taxonomy, embedder: Embedder) -> None:
    assert fitted.head is not None
    plain = decode_head(*encode_head(fitted.head))
    plain.stack_coef = plain.stack_intercept = None
    stacked = _with_stack(plain)
    texts = ["Parcel never came", "Refund the double charge please", "Nice weather today"]
    vectors = embedder.encode(texts)
    # The second level sees both models' log-odds of every aspect; this one re-creates the blend.
    np.testing.assert_allclose(stacked.logits(texts, vectors), plain.logits(texts, vectors), atol=1e-3)
    assert encode_head(plain)[0] == HEAD_FORMAT
    fmt, data = encode_head(stacked)
    assert fmt == STACKED_HEAD_FORMAT
    loaded = decode_head(fmt, data)
    assert loaded.stacked
    assert loaded.predict(texts, vectors) == stacked.predict(texts, vectors)
    # The stack only counts under format 2: an older voxpop refuses such a file instead of ignoring it.
    with pytest.raises(ValueError, match="unknown head format"):
        decode_head("voxpop-aspect-head/9+npz+base64", data)


def test_a_head_with_word_and_character_models_travels_as_format_3(fitted: Taxonomy, embedder: Embedder) -> None:
    head = fitted.head
    assert head is not None
    assert head.stacked
    assert head.split
    assert head.stack_coef is not None
    assert head.stack_coef.shape == (3, 12)
    fmt, data = encode_head(head)
    assert fmt == SPLIT_HEAD_FORMAT
    loaded = decode_head(fmt, data)
    texts = ["Parcel never came", "Refund the double charge please", "Nice weather today"]
    vectors = embedder.encode(texts)
    np.testing.assert_allclose(loaded.logits(texts, vectors), head.logits(texts, vectors), atol=0.02)
    # The stack's columns are TF-IDF, words, characters, embedding: without the middle two it is a /2 stack.
    n = len(head.labels)
    two = decode_head(*encode_head(head))
    assert two.stack_coef is not None
    assert two.stack_intercept is not None
    two.word_coef = two.word_intercept = two.char_coef = two.char_intercept = None
    two.stack_coef = np.hstack([two.stack_coef[:, :n], two.stack_coef[:, 3 * n :]])
    assert encode_head(two)[0] == STACKED_HEAD_FORMAT
    four = decode_head(fmt, data)
    assert four.stack_coef is not None
    four.stack_coef[:, n : 3 * n] = 0.0
    np.testing.assert_allclose(four.logits(texts, vectors), two.logits(texts, vectors), atol=1e-4)
    # Read as format 2 (four models' columns where two are expected), the file is refused, not misread.
    with pytest.raises(ValueError, match="stack does not match"):
        decode_head(STACKED_HEAD_FORMAT, data)


def test_word_and_character_models_that_do_not_match_the_vocabulary_are_refused(fitted: Taxonomy) -> None:
    assert fitted.head is not None
    broken = decode_head(*encode_head(fitted.head))
    assert broken.char_coef is not None
    broken.char_coef = broken.char_coef[:, :-1]
    with pytest.raises(ValueError, match="word and character models do not match"):
        decode_head(*encode_head(broken))


def test_a_stack_that_does_not_match_the_labels_is_refused(fitted: Taxonomy) -> None:
    assert fitted.head is not None
    broken = _with_stack(fitted.head)
    broken.stack_coef = np.zeros((len(broken.labels), len(broken.labels)), dtype=np.float32)
    with pytest.raises(ValueError, match="stack does not match"):
        decode_head(*encode_head(broken))


def test_thresholds_are_tuned_for_the_rule_the_head_applies() -> None:
    """Each row has a label; the best per-aspect thresholds leave rows empty, and the top-aspect rule fills
    them. Tuned together under that rule, micro-F1 is never lower than where the tuning started."""
    rng = np.random.default_rng(0)
    y = np.zeros((300, 3), dtype=bool)
    y[np.arange(300), rng.integers(0, 3, 300)] = True
    y[rng.random(300) < 0.2, 0] = True
    z = np.where(y, 1.0, -1.0) + rng.normal(0.0, 1.5, y.shape)
    start = np.full(3, 2.0)  # strict: many rows pass nothing
    chosen = _decide(z, start, at_least_one=True)
    assert chosen.any(axis=1).all()  # the rule names an aspect for every row
    assert not _decide(z, start, at_least_one=False).any(axis=1).all()
    tuned = _joint_thresholds(z, y, start, at_least_one=True)
    assert _micro_f1(y, _decide(z, tuned, True)) > _micro_f1(y, chosen)


def test_exclusive_labels_give_an_exclusive_head(embedder: Embedder) -> None:
    rows = [(text, label) for text, label in LABELLED if label in {"delivery", "product"}]
    taxonomy = fit_taxonomy([t for t, _ in rows], [[label] for _, label in rows], embedder=embedder)
    assert taxonomy.head is not None
    assert taxonomy.head.exclusive
    assert taxonomy.head.at_least_one
    texts = ["The courier lost my parcel", "The handle snapped off the mug"]
    assert taxonomy.head.predict(texts, embedder.encode(texts)) == [["delivery"], ["product"]]


def test_labels_map_onto_the_base_taxonomy(embedder: Embedder) -> None:
    base = Taxonomy(
        name="shop",
        aspects=[
            Aspect("shipping", "Getting the order to the customer.", department="logistics", labels=["delivery"]),
            Aspect("payments", "Charges and invoices.", department="finance", labels=["BILLING"]),
            Aspect("store staff", "People in the shop.", department="retail"),
        ],
    )
    texts = [text for text, _ in LABELLED]
    labels = [[label for label in cell.split(";") if label] for _, cell in LABELLED]
    taxonomy = fit_taxonomy(texts, labels, base=base, embedder=embedder)
    assert taxonomy.names == ["shipping", "payments", "store staff", "product"]
    assert taxonomy.head is not None
    assert sorted(taxonomy.head.labels) == ["payments", "product", "shipping"]
    assert taxonomy.department_of("shipping") == "logistics"
    assert taxonomy.department_of("product") is None
    assert taxonomy.name == "shop-fitted"
    assert base.names == ["shipping", "payments", "store staff"]  # the base is left alone


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a", "b"], [["x"]], "2 texts but 1 label lists"),
        ([], [], "no rows"),
        (["a", "b"], [[], []], "no row has a label"),
        (["a", "b"], [["x"], ["x"]], "single label 'x'"),
        (["a", "b"], ["x", "y"], "list of label lists"),
    ],
)
def test_fit_refuses_what_it_cannot_learn(texts: list[str], labels: list[list[str]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        fit_taxonomy(texts, labels, embedder=_NoEmbedder())


class _NoEmbedder:
    """Validation happens before any embedding; reaching ``encode`` would be a bug."""

    def encode(self, texts: object) -> np.ndarray:
        raise AssertionError("encode() must not be called for invalid input")


def test_a_head_cannot_smuggle_a_pickle(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array([{"evil": True}], dtype=object))
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    path = write(
        tmp_path / "evil.yaml",
        f"name: x\naspects:\n  - name: food\nhead:\n  format: {HEAD_FORMAT}\n  data: {data}\n",
    )
    with pytest.raises(ValidationError, match=r"key 'head': the learned head is damaged"):
        load_taxonomy(path)
    with pytest.raises(ValueError, match="damaged"):
        decode_head(HEAD_FORMAT, "not base64 at all!")


def test_a_head_must_match_the_aspects(fitted: Taxonomy, tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    save_taxonomy(fitted, path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["aspects"] = [a for a in doc["aspects"] if a["name"] != "billing"]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"learned labels \['billing'\] are not aspects"):
        load_taxonomy(path)


# --- labelled CSV files -------------------------------------------------------------------------------


def test_csv_with_several_labels_per_row(tmp_path: Path) -> None:
    path = write(tmp_path / "l.csv", 'id,text,label\n1,"Late, and charged twice",delivery; billing\n2,Hello,\n')
    assert read_labelled_csv(path) == (["Late, and charged twice", "Hello"], [["delivery", "billing"], []])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("body,label\nhi,x\n", r"l\.csv, field 'text': no column 'text' \(columns: body, label\)"),
        ("text,label\nfine,x\n  ,y\n", r"l\.csv, row 2, field 'text': the text is empty"),
        ("text,label\n", r"l\.csv: no data rows"),
        ("text,label\nonly-one-cell\n", r"l\.csv, row 1: the row has fewer cells"),
    ],
)
def test_csv_errors_name_file_row_and_field(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        read_labelled_csv(write(tmp_path / "l.csv", content))


# --- the CLI ------------------------------------------------------------------------------------------


def test_cli_list_and_show() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["taxonomy", "list"])
    assert listed.exit_code == 0, listed.output
    for name in ("general", "restaurant", "hotel", "airline", "saas"):
        assert name in listed.output
    shown = runner.invoke(app, ["taxonomy", "show", "restaurant"])
    assert shown.exit_code == 0, shown.output
    assert "kitchen" in shown.output
    assert "restaurant — 9 aspects" in shown.output


def test_cli_show_reports_a_bad_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", "name: x\naspects:\n  - nam: food\n")
    result = CliRunner().invoke(app, ["taxonomy", "show", str(path)])
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # the console wraps long lines, eating the space it breaks at
    assert f"{path}:" in output
    assert "key 'aspects[0].name': Field required" in output


def test_cli_show_does_not_interpret_markup(tmp_path: Path) -> None:
    path = write(tmp_path / "t.yaml", "name: x\naspects:\n  - name: '[red]food[/red]'\n    department: '[bold]k'\n")
    result = CliRunner().invoke(app, ["taxonomy", "show", str(path)])
    assert result.exit_code == 0, result.output
    assert "[red]food[/red]" in result.output


def test_cli_fit_writes_a_taxonomy_that_predicts(
    tmp_path: Path, embedder: Embedder, models_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXPOP_HOME", str(models_home))  # the data folder whose int8 model is already derived
    rows = "\n".join(f'"{text}",{label}' for text, label in LABELLED)
    csv_path = write(tmp_path / "labelled.csv", f"review,aspect\n{rows}\n")
    base = tmp_path / "base.yaml"
    save_taxonomy(
        Taxonomy("base", [Aspect("shipping", "Getting orders out.", department="logistics", labels=["delivery"])]), base
    )
    out = tmp_path / "out" / "shop.yaml"
    result = CliRunner().invoke(
        app,
        [
            "taxonomy",
            "fit",
            str(csv_path),
            "--text-column",
            "review",
            "--label-column",
            "aspect",
            "--taxonomy",
            str(base),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "shipping 11" in result.output
    taxonomy = load_taxonomy(out)
    assert taxonomy.name == "shop"
    assert taxonomy.department_of("shipping") == "logistics"
    assert taxonomy.head is not None
    texts = ["The parcel is lost somewhere"]
    assert taxonomy.head.predict(texts, embedder.encode(texts))[0][:1] == ["shipping"]
    shown = CliRunner().invoke(app, ["taxonomy", "show", str(out)])
    assert "Learned head: 3 aspects, several aspects per text." in shown.output


def test_cli_fit_reports_a_missing_column(tmp_path: Path) -> None:
    csv_path = write(tmp_path / "labelled.csv", "text,tag\nhello,x\n")
    result = CliRunner().invoke(app, ["taxonomy", "fit", str(csv_path), "-o", str(tmp_path / "o.yaml")])
    assert result.exit_code == 1
    assert f"{csv_path}, field 'label': no column 'label'" in result.output.replace("\n", "")
