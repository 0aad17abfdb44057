"""Taxonomies: the aspects a business cares about, who owns each one, and what was learned about them.

A taxonomy is a YAML file a business edits by hand::

    name: restaurant
    description: Sit-down and take-away restaurants.
    aspects:
      - name: food
        description: Taste, freshness, temperature and portion of the dishes.
        department: kitchen
        keywords: [food, dish, meal]          # optional: a word that alone is enough to tag the aspect
        labels: [FOOD#QUALITY]                 # optional: names this aspect goes by in labelled data
        examples:
          - The pasta was cold and bland.

``fit_taxonomy`` adds a ``head:`` block with the learned model (base64 of an ``.npz``; see
:mod:`voxpop.analyze.aspect_head`), so the fitted file travels as one piece. Built-in taxonomies live in
``voxpop/analyze/taxonomies/`` and are loaded by name (``load_taxonomy("hotel")``).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as SchemaError

from voxpop.analyze.aspect_head import AspectHead, decode_head, encode_head
from voxpop.analyze.clauses import Encoder
from voxpop.errors import IngestError, NotFoundError, ValidationError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_Loader: Any
_Dumper: Any
try:  # the C loader reads a fitted taxonomy's megabyte-sized head much faster; both are the *safe* ones
    _Loader, _Dumper = yaml.CSafeLoader, yaml.CSafeDumper
except AttributeError:  # PyYAML built without libyaml
    _Loader, _Dumper = yaml.SafeLoader, yaml.SafeDumper


def _read_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


@dataclass
class Aspect:
    """One thing customers talk about (food, billing, delivery…) and the department that owns it."""

    name: str
    description: str = ""
    examples: list[str] = field(default_factory=list)
    department: str | None = None
    keywords: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    @property
    def prompts(self) -> list[str]:
        """The texts an item is compared with in zero-shot mode: the description and every example."""
        return [text for text in [self.description, *self.examples] if text.strip()]


@dataclass
class Taxonomy:
    """A named list of aspects, plus the zero-shot threshold and, once fitted, the learned head."""

    name: str
    aspects: list[Aspect]
    description: str = ""
    threshold: float | None = None
    head: AspectHead | None = None

    @property
    def names(self) -> list[str]:
        return [aspect.name for aspect in self.aspects]

    def aspect(self, name: str) -> Aspect:
        for aspect in self.aspects:
            if aspect.name == name:
                return aspect
        raise NotFoundError(f"taxonomy {self.name!r} has no aspect {name!r}")

    def department_of(self, name: str) -> str | None:
        return self.aspect(name).department

    def resolve(self, label: str) -> str:
        """The aspect a label from labelled data stands for: an aspect's name or one of its ``labels``.

        Matching ignores case and surrounding spaces; an unknown label is returned as it was written
        (``fit_taxonomy`` turns it into a new aspect).
        """
        wanted = label.strip().casefold()
        for aspect in self.aspects:
            if wanted == aspect.name.casefold() or wanted in (alias.casefold() for alias in aspect.labels):
                return aspect.name
        return label.strip()


# --- the file format, validated with pydantic so an error names the key -------------------------------


class _AspectSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    department: str | None = None
    keywords: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip() or _CONTROL.search(value):
            raise ValueError("must be a non-blank name on one line")
        return value.strip()

    @field_validator("keywords", "labels", "examples")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        if any(not value.strip() for value in values):
            raise ValueError("entries must not be blank")
        return [value.strip() for value in values]


class _HeadSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str
    data: str


class _TaxonomySchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    threshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    aspects: list[_AspectSchema] = Field(min_length=1)
    head: _HeadSchema | None = None


def _key(loc: Sequence[int | str]) -> str:
    """``("aspects", 2, "examples", 0)`` → ``aspects[2].examples[0]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_taxonomy(data: Any, origin: str) -> Taxonomy:
    """Validate a YAML document already read into Python objects; ``origin`` names it in errors."""
    if not isinstance(data, dict):
        raise ValidationError(f"{origin}: a taxonomy must be a mapping with 'name' and 'aspects'")
    try:
        schema = _TaxonomySchema.model_validate(data)
    except SchemaError as exc:
        first = exc.errors()[0]
        raise ValidationError(f"{origin}: key '{_key(first['loc'])}': {first['msg']}") from exc
    seen: dict[str, int] = {}
    for index, aspect in enumerate(schema.aspects):
        folded = aspect.name.casefold()
        if folded in seen:
            raise ValidationError(
                f"{origin}: key 'aspects[{index}].name': {aspect.name!r} repeats aspects[{seen[folded]}]"
            )
        seen[folded] = index
    taxonomy = Taxonomy(
        name=schema.name.strip(),
        description=schema.description.strip(),
        threshold=schema.threshold,
        aspects=[
            Aspect(
                name=a.name,
                description=a.description.strip(),
                examples=a.examples,
                department=(a.department or "").strip() or None,
                keywords=a.keywords,
                labels=a.labels,
            )
            for a in schema.aspects
        ],
    )
    if schema.head is not None:
        try:
            taxonomy.head = decode_head(schema.head.format, schema.head.data)
        except ValueError as exc:
            raise ValidationError(f"{origin}: key 'head': {exc}") from exc
        unknown = sorted(set(taxonomy.head.labels) - set(taxonomy.names))
        if unknown:
            raise ValidationError(f"{origin}: key 'head': learned labels {unknown} are not aspects of the taxonomy")
    return taxonomy


def _builtin_folder() -> Traversable:
    return resources.files("voxpop.analyze").joinpath("taxonomies")


def builtin_names() -> list[str]:
    """The names of the taxonomies shipped with voxpop."""
    folder = _builtin_folder()
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def taxonomy_fingerprint(path_or_name: str | Path) -> str:
    """Names the exact taxonomy content ("<name>:<sha256 prefix of the file>") without parsing it, so
    items analysed under another version of a taxonomy can be found and analysed again."""
    path = Path(path_or_name)
    if isinstance(path_or_name, str) and path_or_name in builtin_names() and not path.exists():
        data = _builtin_folder().joinpath(f"{path_or_name}.yaml").read_bytes()
    elif path.is_file():
        data = path.read_bytes()
    else:
        raise NotFoundError(f"no taxonomy file {str(path_or_name)!r} and no built-in of that name")
    return f"{path.stem}:{hashlib.sha256(data).hexdigest()[:16]}"


def load_taxonomy(path_or_name: str | Path) -> Taxonomy:
    """Read a taxonomy from a YAML file, or a built-in one by name ("general", "restaurant", …)."""
    path = Path(path_or_name)
    if isinstance(path_or_name, str) and path_or_name in builtin_names() and not path.exists():
        source = _builtin_folder().joinpath(f"{path_or_name}.yaml")
        return parse_taxonomy(_read_yaml(source.read_text(encoding="utf-8")), f"{path_or_name}.yaml")
    if not path.is_file():
        raise NotFoundError(
            f"no taxonomy file {str(path_or_name)!r} and no built-in of that name "
            f"(built-ins: {', '.join(builtin_names())})"
        )
    try:
        data = _read_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path}: not a UTF-8 text file") from exc
    except yaml.YAMLError as exc:
        raise ValidationError(f"{path}: not valid YAML: {exc}") from exc
    return parse_taxonomy(data, str(path))


def taxonomy_to_dict(taxonomy: Taxonomy) -> dict[str, Any]:
    """The YAML document of a taxonomy, keys in the order a person reads them; empty fields left out."""
    aspects = []
    for aspect in taxonomy.aspects:
        entry: dict[str, Any] = {"name": aspect.name}
        if aspect.description:
            entry["description"] = aspect.description
        if aspect.department:
            entry["department"] = aspect.department
        for key in ("keywords", "labels", "examples"):
            if getattr(aspect, key):
                entry[key] = list(getattr(aspect, key))
        aspects.append(entry)
    doc: dict[str, Any] = {"name": taxonomy.name}
    if taxonomy.description:
        doc["description"] = taxonomy.description
    if taxonomy.threshold is not None:
        doc["threshold"] = round(float(taxonomy.threshold), 4)
    doc["aspects"] = aspects
    if taxonomy.head is not None:
        fmt, data = encode_head(taxonomy.head)
        doc["head"] = {"format": fmt, "data": data}
    return doc


def save_taxonomy(taxonomy: Taxonomy, path: Path) -> None:
    """Write ``taxonomy`` as YAML (atomically: a reader never sees half a file)."""
    text = yaml.dump(taxonomy_to_dict(taxonomy), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def read_labelled_csv(
    path: Path, *, text_column: str = "text", label_column: str = "label", separator: str = ";"
) -> tuple[list[str], list[list[str]]]:
    """Texts and their label lists from a CSV; several labels in a cell are split on ``separator``.

    An empty label cell means "about none of the aspects". Errors name the file, the row (1 = the first
    data row after the header) and the column.
    """
    name = str(path)
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            for column in (text_column, label_column):
                if column not in columns:
                    found = ", ".join(columns) or "none"
                    raise IngestError(name, f"no column {column!r} (columns: {found})", field=column)
            texts: list[str] = []
            labels: list[list[str]] = []
            for row_number, row in enumerate(reader, start=1):
                text, cell = row.get(text_column), row.get(label_column)
                if text is None or cell is None:
                    raise IngestError(name, "the row has fewer cells than the header", row=row_number)
                if not text.strip():
                    raise IngestError(name, "the text is empty", row=row_number, field=text_column)
                texts.append(text)
                labels.append([label.strip() for label in cell.split(separator) if label.strip()])
    except UnicodeDecodeError as exc:
        raise IngestError(name, "not a UTF-8 text file") from exc
    except csv.Error as exc:
        raise IngestError(name, f"not a readable CSV file ({exc})") from exc
    if not texts:
        raise IngestError(name, "no data rows after the header")
    return texts, labels


def fit_taxonomy(
    texts: Sequence[str],
    labels: Sequence[Sequence[str]],
    *,
    base: Taxonomy | None = None,
    embedder: Encoder | None = None,
    name: str | None = None,
) -> Taxonomy:
    """Learn the aspects from labelled texts (several labels per text allowed; an empty list is "none").

    A label becomes the aspect of the same name, or the aspect of ``base`` that lists it under
    ``labels``; a label the base does not know becomes a new aspect (no department). The aspects of
    ``base`` absent from the data are kept for zero-shot use. The learned head (TF-IDF and embedding
    models stacked, with per-aspect thresholds tuned by cross-validation) is stored in the result.
    """
    if len(texts) != len(labels):
        raise ValidationError(f"fit_taxonomy: {len(texts)} texts but {len(labels)} label lists")
    if isinstance(labels, str) or any(isinstance(row, str) for row in labels):
        raise ValidationError("fit_taxonomy: labels must be a list of label lists, one list per text")
    taxonomy = Taxonomy(
        name=name or (f"{base.name}-fitted" if base else "fitted"),
        description=base.description if base else "",
        threshold=base.threshold if base else None,
        aspects=[
            Aspect(a.name, a.description, list(a.examples), a.department, list(a.keywords), list(a.labels))
            for a in (base.aspects if base else [])
        ],
    )
    resolved: list[list[str]] = []
    for row in labels:
        names: list[str] = []
        for label in row:
            if not label.strip():
                continue
            aspect_name = taxonomy.resolve(label)
            if aspect_name not in taxonomy.names:
                taxonomy.aspects.append(Aspect(name=aspect_name, labels=[]))
            if aspect_name not in names:
                names.append(aspect_name)
        resolved.append(names)
    from voxpop.analyze.aspect_training import train_head  # scikit-learn: only fitting needs it

    taxonomy.head = train_head(list(texts), resolved, embedder=embedder)
    return taxonomy
