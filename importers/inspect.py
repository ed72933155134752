"""`inspect_data`: from a file no model fits yet to a model and an Importer, as code.

Beside the pipeline, before it: like `inspectdb` does for a database, it reads a
sample of the file with pandas, guesses one model field per column from the values
(in the forms the import converters accept), and writes Python that explains its
guesses in comments. Guesses are made on the sample; review them before migrating.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any

from .converters import FALSE_VALUES, TRUE_VALUES
from .registry import file_stem, get_importer, registered

WHOLE_FILE = 100 << 20  # bytes: smaller files are read whole
INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+|[+-]?[0-9]+\.?")
FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*")
INTEGER_SIZES = (
    ("SmallIntegerField", -(2**15), 2**15 - 1),
    ("IntegerField", -(2**31), 2**31 - 1),
    ("BigIntegerField", -(2**63), 2**63 - 1),
)
CHAR_STEPS = (10, 20, 50, 100, 150, 200, 255)
RESERVED = {"pk", "objects", "save", "delete", "clean", "check", "id", "model"}
KEY_HINTS = ("id", "key", "slug", "code", "uuid", "sku", "username", "email")


@dataclass
class Guess:
    """One column's field: its code, and why it was chosen."""

    header: str
    name: str
    code: str = ""
    why: list[str] = field(default_factory=list)
    kind: str = "text"
    unique: bool = False
    null: bool = False
    lookup: tuple[str, str] | None = None  # (app_label.Model, attribute)


def field_name(header: str, taken: set[str]) -> str:
    """Return a snake_case Python identifier for a header, unique in `taken`."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(header).strip())
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    name = re.sub(r"_+", "_", name) or "column"
    if name[0].isdigit() or keyword.iskeyword(name) or name in RESERVED:
        name = f"{name}_value" if not name[0].isdigit() else f"column_{name}"
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def class_name(stem: str) -> str:
    words = re.findall(r"[0-9a-zA-Z]+", stem) or ["Row"]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if name.endswith("s") and not name.endswith("ss") and len(name) > 3:
        name = name[:-1]
    return name if name[0].isalpha() else f"Row{name}"


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def as_cell(value: Any) -> Any:
    """Return a JSON value as the text form the converters would read, or itself."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


def guess_field(
    header: str, name: str, values: Sequence[Any], nulls: set[str], choices: bool
) -> Guess:
    """Guess one column's model field from its sample values."""
    guess = Guess(header, name)
    total = len(values)
    cells = [as_cell(v) for v in values if not missing(v)]
    present = [v for v in cells if not (isinstance(v, str) and (v == "" or v in nulls))]
    empty = total - len(present)
    null = guess.null = empty > 0
    if null:
        guess.why.append(
            f"{math.ceil(empty * 100 / max(total, 1))}% empty -> null=True"
        )
    if present and all(isinstance(v, (list, dict)) for v in present):
        guess.kind = "json"
        return _finish(guess, "models.JSONField(null=True, blank=True)", [])
    text = [v if isinstance(v, str) else str(v) for v in present]
    distinct = set(text)
    guess.unique = bool(text) and not null and len(distinct) == len(text)
    options: list[str] = []
    if not text:
        guess.why.append("no values in the sample -> text")
        return _finish(guess, "models.TextField(blank=True)", [])
    lowered = {v.lower() for v in distinct}
    if lowered <= TRUE_VALUES | FALSE_VALUES and not lowered <= {"t", "f", "y", "n"}:
        guess.kind = "boolean"
        guess.unique = False
        guess.why.append(f"only {'/'.join(sorted(lowered))} -> boolean")
        args = "null=True, blank=True" if null else ""
        return _finish(guess, f"models.BooleanField({args})", [])
    null_args = ["null=True", "blank=True"] if null else []
    numeric = _numeric(guess, text, null_args)
    if numeric is not None:
        return numeric
    if all(ISO_DATE.fullmatch(v) and _parses(date.fromisoformat, v) for v in text):
        guess.kind = "date"
        guess.why.append("ISO 8601 dates -> DateField")
        return _finish(guess, "models.DateField({})", null_args)
    if all(
        ISO_DATETIME.fullmatch(v) and _parses(datetime.fromisoformat, v) for v in text
    ):
        guess.kind = "datetime"
        aware = all(datetime.fromisoformat(v).tzinfo is not None for v in text)
        guess.why.append(
            "ISO 8601 date-times with offsets -> aware DateTimeField"
            if aware
            else "ISO 8601 date-times without offsets: read in TIME_ZONE"
        )
        return _finish(guess, "models.DateTimeField({})", null_args)
    longest = max(len(v) for v in text)
    blank = ["blank=True"] if null else []
    if null:  # text: Django stores an empty value as "", not NULL
        guess.why[0] = guess.why[0].replace("null=True", "blank=True")
    if choices and len(distinct) <= 10 and len(text) >= 2 * len(distinct):
        guess.unique = False
        pairs = ", ".join(f"({v!r}, {v!r})" for v in sorted(distinct))
        options = [f"max_length={_rounded(longest)}", f"choices=[{pairs}]"]
        guess.why.append(f"{len(distinct)} distinct values -> choices (--choices)")
        return _finish(guess, "models.CharField({})", options + blank)
    if longest > 255 or any("\n" in v for v in text):
        guess.unique = False
        guess.why.append(f"text up to {longest} characters -> TextField")
        return _finish(guess, "models.TextField({})", blank)
    guess.why.append(
        f"text up to {longest} characters -> max_length {_rounded(longest)}"
    )
    options = [f"max_length={_rounded(longest)}"]
    return _finish(guess, "models.CharField({})", options + blank)


def _numeric(guess: Guess, text: list[str], null_args: list[str]) -> Guess | None:
    """Guess an integer, decimal or float field, or None for another kind."""
    if any(_padded(v) for v in text if DECIMAL.fullmatch(v)):
        guess.why.append("numbers with leading zeros or a + sign -> kept as text")
        return None
    if all(INTEGER.fullmatch(v) for v in text):
        numbers = [int(v) for v in text]
        low, high = min(numbers), max(numbers)
        for kind, lo, hi in INTEGER_SIZES:
            if lo <= low and high <= hi:
                guess.kind = "integer"
                guess.why.append(f"integers {low}..{high} -> {kind}")
                return _finish(guess, f"models.{kind}({{}})", null_args)
    if all(DECIMAL.fullmatch(v) for v in text):
        parts = [_digits(v) for v in text]
        places = max(p for _, p in parts)
        whole = max(w for w, _ in parts)
        if whole + places <= 28:
            guess.kind = "decimal"
            guess.unique = False
            guess.why.append(
                f"up to {whole} digits before the point, {places} after -> decimal"
            )
            options = [f"max_digits={whole + places}", f"decimal_places={places}"]
            return _finish(guess, "models.DecimalField({})", options + null_args)
    if all(FLOAT.fullmatch(v) for v in text):
        guess.kind = "float"
        guess.unique = False
        guess.why.append("numbers that a decimal does not fit -> float")
        return _finish(guess, "models.FloatField({})", null_args)
    return None


def _finish(guess: Guess, template: str, options: list[str]) -> Guess:
    guess.code = template.format(", ".join(options)) if "{}" in template else template
    return guess


def _padded(value: str) -> bool:
    """A leading zero or sign is part of the text (zip codes, phone numbers)."""
    whole = value.lstrip("+-").partition(".")[0]
    return value[0] == "+" or (len(whole) > 1 and whole[0] == "0")


def _digits(value: str) -> tuple[int, int]:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return (99, 99)
    _, digits, exponent = number.as_tuple()
    places = max(0, -int(exponent))
    return (max(1, len(digits) - places), places)


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _rounded(length: int) -> int:
    return next((step for step in CHAR_STEPS if step >= length), length)


# -- related rows -------------------------------------------------------------------


def find_relation(values: Sequence[str], using: str) -> tuple[str, str] | None:
    """Return (model label, attribute) if every value is a key of a registered model."""
    from .importer import default_lookup

    wanted = {v for v in values if v != ""}
    if not wanted:
        return None
    for importer in registered().values():
        model = importer.model
        attr = default_lookup(model)
        target = model._meta.get_field(attr)
        if target.primary_key:
            continue
        try:
            found = (
                model._base_manager.db_manager(using)
                .filter(**{f"{attr}__in": list(wanted)})
                .count()
            )
        except (ValueError, TypeError, Exception):
            continue
        if found == len(wanted):
            return (model._meta.label, attr)
    return None


# -- the code ----------------------------------------------------------------------


@dataclass
class Inspection:
    """What inspect_data found in a file."""

    path: str
    rows: int
    guesses: list[Guess]
    null_values: list[str]
    key: str | None
    sampled: bool


IMPORTERS_MARK = "# ---- importers.py ----"


def render(inspection: Inspection, model: str, app: str | None) -> tuple[str, str]:
    """Return two modules: models.py with the model, importers.py with its Importer.

    The Importer cannot live in models.py: its lookups name related models, which
    are only ready once every app's models are loaded (importers.py is imported
    then, by autodiscovery).
    """
    stem = file_stem(inspection.path)
    name = stem if get_importer(stem) is None else f"{app or 'inspected'}-{stem}"
    sample = (
        f"a sample of {inspection.rows} rows" if inspection.sampled else "every row"
    )
    lines = [
        f'"""{model}: generated by `inspect_data {Path(inspection.path).name}`.',
        "",
        f"Guessed from {sample}; review the comments before running makemigrations.",
        '"""',
        "",
        "from django.db import models",
        "",
        "",
        f"class {model}(models.Model):",
    ]
    for g in inspection.guesses:
        if g.lookup:
            label, attr = g.lookup
            null = ", null=True, blank=True" if g.null else ""
            code = (
                f'models.ForeignKey("{label}", on_delete=models.PROTECT, '
                f'related_name="+"{null})'
            )
            why = [f"every value is a {label}.{attr}", *g.why]
        else:
            code, why = g.code, g.why
        if g.name == inspection.key:
            code = code[:-1] + (", unique=True)" if code[-2] != "(" else "unique=True)")
            why = [*why, "unique in the sample -> the importer's key"]
        lines.append(f"    # {'; '.join(why)}")
        lines.append(f"    {g.name} = {code}")
    if app:
        lines += ["", "    class Meta:", f"        app_label = {app!r}"]
    aliases = {g.header: g.name for g in inspection.guesses if g.header != g.name}
    lookups = {g.name: g.lookup[1] for g in inspection.guesses if g.lookup}
    head = [
        f'"""The importer of {model}, generated by `inspect_data` with the model."""',
        "",
        "import importers",
        "",
        f"from .models import {model}",
        "",
        "",
        "@importers.register",
        f"class {model}Importer(importers.Importer):",
        f"    model = {model}",
        f"    name = {name!r}  # load_data {stem}.* finds it"
        if name == stem
        else f"    name = {name!r}  # {stem!r} is taken: load_data --importer {name}",
    ]
    if aliases:
        head.append(f"    columns = {aliases!r}  # the file's headers")
    if lookups:
        head.append(f"    lookups = {lookups!r}")
    if inspection.null_values:
        head.append(f"    null_values = {inspection.null_values!r}")
    if not inspection.key:
        head.append("    # no column is unique in the sample: every row is created")
    return "\n".join(lines) + "\n", "\n".join(head) + "\n"


def pick_key(guesses: list[Guess]) -> str | None:
    """Return the unique column most likely to be an identity."""
    candidates = [g for g in guesses if g.unique and g.kind in ("text", "integer")]
    for hint in KEY_HINTS:
        for g in candidates:
            if g.name == hint or g.name.endswith(f"_{hint}"):
                return g.name
    return candidates[0].name if candidates else None


def inspect_frame(
    path: str, frame: Any, *, nulls: set[str], choices: bool, using: str, sampled: bool
) -> Inspection:
    taken: set[str] = set()
    guesses = []
    for header in frame.columns:
        values = frame[header].tolist()
        guess = guess_field(
            str(header), field_name(header, taken), values, nulls, choices
        )
        guesses.append(guess)
    key = pick_key(guesses)
    for guess in guesses:
        if guess.kind == "text" and guess.name != key:
            cells = [as_cell(v) for v in frame[guess.header].tolist() if not missing(v)]
            texts = [c for c in cells if isinstance(c, str) and c not in nulls]
            guess.lookup = find_relation(texts, using)
    return Inspection(path, len(frame), guesses, sorted(nulls - {""}), key, sampled)


def read_sample(
    path: str,
    *,
    sample: int,
    format: str | None,
    delimiter: str | None,
    encoding: str | None,
) -> tuple[Any, bool]:
    """Read the file (or its first `sample` rows, past 100 MB) with pandas."""
    import os

    import pandas as pd

    from .readers import reader_for
    from .readers.csv import sniff
    from .sources import open_source

    whole = os.path.getsize(path) < WHOLE_FILE
    nrows = None if whole else sample
    with open_source(path, encoding=encoding, format=format) as source:
        fmt = source.format
        first = "" if fmt not in ("csv", "tsv") else next(source.text().lines(), "")
    if fmt in ("csv", "tsv"):
        sep = delimiter or ("\t" if fmt == "tsv" else sniff(first))
        frame = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=encoding or "utf-8-sig",
            nrows=nrows,
        )
    elif fmt in ("json", "jsonl"):
        # JSON through the engine's own streaming reader, so numbers are what an
        # import sees (Decimal, int) and a ragged object's missing keys are NaN;
        # dtype=object keeps pandas from turning integers with gaps into floats.
        with open_source(path, encoding=encoding, format=format) as source:
            rows = (row.cells for row in reader_for(source)(source) if not row.error)
            frame = pd.DataFrame(list(islice(rows, nrows)), dtype=object)
    else:
        raise ValueError(f"inspect_data reads csv, tsv, json and jsonl, not {fmt}")
    return frame, not whole


def inspect_file(
    path: str,
    *,
    sample: int = 10_000,
    null_values: Sequence[str] = (),
    choices: bool = False,
    using: str = "default",
    format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Inspection:
    frame, sampled = read_sample(
        path, sample=sample, format=format, delimiter=delimiter, encoding=encoding
    )
    return inspect_frame(
        path,
        frame,
        nulls={"", *null_values},
        choices=choices,
        using=using,
        sampled=sampled,
    )
