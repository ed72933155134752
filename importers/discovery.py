"""What a command accepts, without reading code: `load_data --list/--describe`.

Beside the pipeline, not in it: reads the importer declarations (importer.py,
registry.py) and the field rules the converters apply, and says them in plain words.
`describe()` returns plain data (printed as text, or as JSON with --report json);
`example_row()` builds one row that imports cleanly, for `--template --example`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core import validators as dv
from django.core.management.base import CommandError
from django.db import models

from .exporting import Column, export_columns, header_of
from .importer import Importer
from .mapping import is_required, normalize
from .registry import get_importer, importer_for_model, registered

USAGE = 2


def find_importer(name: str | None, model: str | None) -> type[Importer]:
    """Return the importer registered as `name`, or the one for `app_label.Model`."""
    if model:
        try:
            return importer_for_model(apps.get_model(model))
        except (LookupError, ValueError):
            raise CommandError(
                f"unknown model {model!r}; use app_label.ModelName", returncode=USAGE
            ) from None
    if not name:
        raise CommandError(
            "name an importer (load_data --list shows them) or give --model "
            "app_label.Model",
            returncode=USAGE,
        )
    importer = get_importer(name)
    if importer is None:
        known = ", ".join(registered()) or "none"
        raise CommandError(
            f"no importer named {name!r}; registered: {known}. "
            "Use --model app_label.Model for any model",
            returncode=USAGE,
        )
    return importer


def readable_formats() -> list[str]:
    """Return the formats `load_data` can read here (plug-ins that load)."""
    from .errors import SourceError
    from .readers import formats, get_reader

    usable = []
    for name in formats():
        try:
            reader = get_reader(name)
        except SourceError:
            continue
        if name == "xlsx" and not _importable("openpyxl"):
            continue
        usable.append(reader.format)
    return usable


def _importable(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def listing() -> list[dict[str, Any]]:
    """Return one entry per registered importer: name, model, key."""
    return [
        {
            "name": name,
            "model": importer.model._meta.label,
            "key": list(importer.get_key()),
            "importer": f"{importer.__module__}.{importer.__qualname__}",
        }
        for name, importer in registered().items()
    ]


# -- describing one importer ----------------------------------------------------


def _limits(field: models.Field) -> tuple[Any, Any]:
    low = [v.limit_value for v in field.validators if type(v) is dv.MinValueValidator]
    high = [v.limit_value for v in field.validators if type(v) is dv.MaxValueValidator]
    numbers = (int, float, Decimal)
    low = [x for x in low if isinstance(x, numbers)]
    high = [x for x in high if isinstance(x, numbers)]
    return (max(low) if low else None, min(high) if high else None)


def _formats(extra: tuple[str, ...] | list[str], iso: str) -> str:
    return iso + "".join(f", or {f}" for f in extra)


def type_words(field: models.Field, importer: type[Importer]) -> str:
    """Say what a column accepts, in plain words."""
    if field.choices is not None:
        return "one of: " + "/".join(str(v) for v, _ in field.flatchoices)
    if isinstance(field, models.BooleanField):
        return "boolean: true/false, yes/no, 1/0"
    if isinstance(field, models.IntegerField):
        low, high = _limits(field)
        span = f" {'' if low is None else low}..{'' if high is None else high}"
        return "integer" + (span if (low, high) != (None, None) else "")
    if isinstance(field, models.DecimalField):
        return (
            f"decimal with {field.decimal_places} places, at most "
            f"{field.max_digits} digits"
        )
    if isinstance(field, models.FloatField):
        return "number"
    if isinstance(field, models.DateTimeField):
        return "date and time: " + _formats(
            importer.datetime_formats,
            "ISO 8601 (2024-05-01T12:30:00+02:00; without an offset: the "
            "project's time zone)",
        )
    if isinstance(field, models.DateField):
        return "date: " + _formats(importer.date_formats, "ISO 8601 (2024-05-01)")
    if isinstance(field, models.TimeField):
        return "time: " + _formats(importer.time_formats, "ISO 8601 (12:30:00)")
    if isinstance(field, models.DurationField):
        return "duration: ISO 8601 (P1DT2H) or [D ]HH:MM:SS"
    if isinstance(field, models.JSONField):
        return "JSON value"
    if isinstance(field, models.UUIDField):
        return "UUID"
    kind = {
        models.EmailField: "e-mail address",
        models.URLField: "URL",
        models.SlugField: "slug (letters, digits, - and _)",
        models.GenericIPAddressField: "IP address",
    }
    words = next((w for cls, w in kind.items() if isinstance(field, cls)), "text")
    if getattr(field, "max_length", None):
        words += f", at most {field.max_length} characters"
    return words


def describe_column(importer: type[Importer], field: models.Field) -> dict[str, Any]:
    header = header_of(importer, field)
    accepted = {normalize(field.name), normalize(field.verbose_name)}
    accepted |= {normalize(a) for a, n in importer.columns.items() if n == field.name}
    aliases = sorted(a for a in accepted if a != normalize(header))
    entry: dict[str, Any] = {
        "column": header,
        "field": field.name,
        "required": field.name in importer.get_key() or is_required(field, importer),
        "aliases": aliases,
    }
    if field.is_relation:
        lookup = importer.get_lookup(field)
        related = field.related_model._meta
        target = related.get_field(lookup)
        entry["related"] = {"model": related.label, "by": lookup}
        words = type_words(target, importer)
        if field.many_to_many:
            entry["type"] = (
                f"{related.verbose_name_plural} by {lookup} ({words}), separated "
                f"by {importer.m2m_separator!r}; a list in JSON"
            )
        else:
            entry["type"] = f"{related.verbose_name} by {lookup} ({words})"
        entry["create_missing"] = field.name in importer.create_missing
    else:
        entry["type"] = type_words(field, importer)
    if field.name in importer.defaults:
        entry["default"] = importer.defaults[field.name]
    elif field.has_default() and not callable(field.default):
        entry["default"] = getattr(field.default, "value", field.default)  # enums
    if field.null and not field.many_to_many:
        entry["empty"] = "stored as NULL"
    return entry


def describe(importer: type[Importer]) -> dict[str, Any]:
    """Return everything a file for `importer` must know, as plain data."""
    key = list(importer.get_key())
    return {
        "name": importer.get_name(),
        "model": importer.model._meta.label,
        "key": key,
        "mode": "upsert by key" if key else "create (no key: every row is new)",
        "columns": [describe_column(importer, f) for f in importer.get_fields()],
        "create_missing": list(importer.create_missing),
        "defaults": dict(importer.defaults),
        "null_values": list(importer.null_values),
        "m2m_separator": importer.m2m_separator,
        "formats": readable_formats(),
    }


def describe_text(info: dict[str, Any]) -> list[str]:
    """Return `describe()` as lines for a terminal."""
    lines = [
        f"{info['name']}: {info['model']}",
        f"  key: {', '.join(info['key']) or '(none)'} -> {info['mode']}",
        f"  formats: {', '.join(info['formats'])}",
        "  columns:",
    ]
    for c in info["columns"]:
        need = "required" if c["required"] else "optional"
        lines.append(f"    {c['column']:<16} {need:<9} {c['type']}")
        extra = []
        if c["field"] != c["column"]:
            extra.append(f"field {c['field']}")
        if c["aliases"]:
            extra.append("also read as: " + ", ".join(c["aliases"]))
        if c.get("create_missing"):
            extra.append("missing related rows are created")
        if "default" in c:
            extra.append(f"default {c['default']!r}")
        if "empty" in c:
            extra.append(f"empty: {c['empty']}")
        if extra:
            lines.append(" " * 31 + "; ".join(extra))
    if info["create_missing"]:
        lines.append(f"  create_missing: {', '.join(info['create_missing'])}")
    if info["null_values"]:
        lines.append(f"  missing-value markers: {', '.join(info['null_values'])}")
    return lines


# -- an example row ---------------------------------------------------------------


def example_value(field: models.Field, importer: type[Importer], using: str) -> Any:
    """Return a value this field accepts; related rows are named by existing keys."""
    if field.is_relation:
        lookup = importer.get_lookup(field)
        manager = field.related_model._base_manager.db_manager(using)
        key = manager.order_by("pk").values_list(lookup, flat=True).first()
        if key is None:
            key = example_value(
                field.related_model._meta.get_field(lookup), importer, using
            )
        return [key] if field.many_to_many else key
    if field.name in importer.defaults:
        return importer.defaults[field.name]
    if field.choices is not None:
        return field.flatchoices[0][0]
    if isinstance(field, models.BooleanField):
        return True
    if isinstance(field, models.IntegerField):
        low, high = _limits(field)
        return max(low or 0, min(1, high if high is not None else 1))
    if isinstance(field, models.DecimalField):
        whole = field.max_digits - field.decimal_places
        return Decimal(1 if whole > 0 else 0).quantize(
            Decimal(1).scaleb(-field.decimal_places)
        )
    if isinstance(field, models.FloatField):
        return 1.5
    if isinstance(field, models.DateTimeField):
        return datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    if isinstance(field, models.DateField):
        return date(2024, 5, 1)
    if isinstance(field, models.TimeField):
        return time(12, 30)
    if isinstance(field, models.DurationField):
        return timedelta(hours=1)
    if isinstance(field, models.JSONField):
        return {"example": 1}
    if isinstance(field, models.UUIDField):
        return "12345678-1234-5678-1234-567812345678"
    if isinstance(field, models.EmailField):
        return "someone@example.com"
    if isinstance(field, models.URLField):
        return "https://example.com/"
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.1"
    text = "example"
    return text[: field.max_length] if getattr(field, "max_length", None) else text


def example_row(
    importer: type[Importer], columns: list[Column], using: str
) -> list[Any]:
    return [example_value(c.field, importer, using) for c in columns]


# -- the load_data options ----------------------------------------------------------

DISCOVERY = ("list", "describe", "template")


def add_discovery_arguments(parser: Any) -> None:
    """Add --list, --describe, --template to `load_data`; FILE becomes optional."""
    for action in parser._actions:
        if action.dest == "files":
            action.nargs = "*"
    group = parser.add_argument_group("what this command accepts")
    group.add_argument(
        "--list",
        action="store_true",
        help="list the registered importers: model, key, readable formats",
    )
    group.add_argument(
        "--describe",
        nargs="?",
        const=True,
        metavar="NAME",
        help="describe the columns importer NAME (or --model) accepts; "
        "--report json for JSON",
    )
    group.add_argument(
        "--template",
        nargs="?",
        const=True,
        metavar="NAME",
        help="write a file with the header row of importer NAME (or --model), "
        "to -o FILE (its extension names the format) or stdout as CSV",
    )
    group.add_argument(
        "-o", "--output", metavar="FILE", help="with --template: the file to write"
    )
    group.add_argument(
        "--example",
        action="store_true",
        help="with --template: add one example row that imports cleanly",
    )


def discover(command: Any, options: dict[str, Any]) -> None:
    """Run --list, --describe or --template for `command` (a load_data Command)."""
    import json

    as_json = options.get("report") == "json"
    if options["files"]:
        raise CommandError(
            "--list, --describe and --template take no FILE", returncode=USAGE
        )
    if options["list"]:
        entries = listing()
        formats = readable_formats()
        if as_json:
            command.stdout.write(json.dumps({"importers": entries, "formats": formats}))
            return
        for e in entries:
            key = ", ".join(e["key"]) or "(none: rows are created)"
            command.stdout.write(f"{e['name']:<16} {e['model']:<20} key: {key}")
        command.stdout.write(f"Readable formats: {', '.join(formats)}")
        return
    which = options["describe"] or options["template"]
    name = which if isinstance(which, str) else None
    importer = find_importer(name or options.get("importer"), options.get("model"))
    if options["describe"]:
        info = describe(importer)
        if as_json:
            command.stdout.write(json.dumps(info, default=str))
        else:
            command.stdout.write("\n".join(describe_text(info)))
        return
    write_template(command, importer, options)


def write_template(command: Any, importer: type[Importer], options: dict[str, Any]):
    """Write the importer's header row (and --example's row) as -o names."""
    from .exportfiles import WRITERS, format_of, open_output
    from .progress import OutputAdapter

    output = options.get("output") or "-"
    try:
        fmt = format_of(output, options.get("format"))
    except ValueError as exc:
        raise CommandError(str(exc), returncode=USAGE) from None
    columns = export_columns(importer)
    rows = (
        [example_row(importer, columns, options["database"])]
        if options["example"]
        else []
    )
    writer_class = WRITERS[fmt]
    if output == "-":
        if writer_class.binary:
            raise CommandError(f"{fmt} is binary: use -o FILE", returncode=USAGE)
        stream = OutputAdapter(command.stdout)
        _write(writer_class(stream, columns, importer.m2m_separator), rows)
        return
    with open_output(output, writer_class.binary) as stream:
        _write(writer_class(stream, columns, importer.m2m_separator), rows)
    if options["verbosity"] >= 1:
        command.stderr.write(f"Wrote the {importer.get_name()} template to {output}.")


def _write(writer: Any, rows: list[list[Any]]) -> None:
    writer.header()
    writer.write(rows)
    writer.close()
