"""Turn a batch of read rows into validated records, or into row errors.

Per row: map columns -> (transform hook) -> convert each cell with its field's rules.
Per batch: resolve related keys (one query per relation). Per record: `clean_<field>`
then `clean`. Every failure becomes a `RowError` naming line, column and value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models

from .converters import ConvertOptions, build_converter, convert_error
from .importer import Importer
from .mapping import ColumnMap, KeyResolver
from .readers import Row
from .relations import RelatedRows
from .results import RowError

if TYPE_CHECKING:
    from .planning import SeenKeys

NON_FIELD = "__all__"
#: distinct key sets (JSON objects' shapes) remembered per file, unknown keys kept
MAX_SHAPES = 1000


@dataclass(slots=True)
class Shape:
    """How to convert the objects that have one set of keys."""

    sources: list[tuple[str, str]]  # (field name, key)
    plan: list[tuple[str, int | str, Callable[[Any], Any]]]
    convert_row: Callable[[Any], dict[str, Any]]


@dataclass(slots=True)
class Record:
    """One valid row: field name -> value (related rows as model instances)."""

    line: int
    index: int | None
    values: dict[str, Any]
    cells: Any


@dataclass(slots=True)
class Rejected:
    """One rejected row: all its errors, and the cells to write to --errors-file."""

    line: int
    index: int | None
    errors: list[RowError]
    cells: Any


def messages(error: ValidationError) -> list[tuple[str, str]]:
    """Return (code, message) pairs of a ValidationError."""
    return [(e.code or "invalid", m) for e in error.error_list for m in e]


def related_converter(
    field: models.Field, target: models.Field, options: ConvertOptions
) -> Callable[[Any], Any]:
    """Convert a related row's natural key with the rules of the field it names."""
    convert_key = build_converter(target, options)
    null_values = options.null_values
    if field.many_to_many:
        separator = options.m2m_separator

        def convert_keys(raw: Any) -> list[Any]:
            if (
                raw is None
                or raw == ""
                or (isinstance(raw, str) and raw in null_values)
            ):
                return []
            parts = raw.split(separator) if isinstance(raw, str) else raw
            if not isinstance(parts, list):
                raise convert_error("expected a list of keys", "invalid")
            return [convert_key(p.strip() if isinstance(p, str) else p) for p in parts]

        return convert_keys

    def convert_fk(raw: Any) -> Any:
        if raw is None or raw == "" or (isinstance(raw, str) and raw in null_values):
            if field.null:
                return None
            raise convert_error(field.error_messages["null"], "null")
        return convert_key(raw)

    return convert_fk


def compile_row(
    plan: list[tuple[str, int | str, Callable[[Any], Any]]], *, by_key: bool
) -> Callable[[Any], dict[str, Any]]:
    """Build one function converting a whole row into a dict, with no loop.

    A generated dict display (as dataclasses generates __init__) costs a fraction
    of a loop with a try per cell. Any cell error propagates; the caller then takes
    the slow path that collects every error of the row. Only field names (Python
    identifiers) and positions appear in the code; converters and column names are
    bound as default arguments.
    """
    args, items = ["cells"], []
    for i, (name, source, _) in enumerate(plan):
        if not name.isidentifier():
            raise ValueError(f"field name {name!r} is not an identifier")
        args.append(f"c{i}=c{i}")
        if by_key:
            args.append(f"k{i}=k{i}")
            items.append(f"{name!r}: c{i}(cells.get(k{i}))")
        else:
            items.append(f"{name!r}: c{i}(cells[{int(source)}])")
    code = f"def convert_row({', '.join(args)}):\n    return {{{', '.join(items)}}}\n"
    namespace: dict[str, Any] = {}
    for i, (_, source, convert) in enumerate(plan):
        namespace[f"c{i}"] = convert
        namespace[f"k{i}"] = source
    exec(code, namespace)  # code built from identifiers and ints only
    return namespace["convert_row"]


class Validator:
    """Validate rows of one file for one importer; compiled once per file."""

    def __init__(
        self,
        importer: Importer,
        column_map: ColumnMap,
        options: ConvertOptions,
        *,
        file: str,
        lookups: dict[str, str],
        using: str,
        dry_run: bool,
        ignore_unknown: bool = False,
        seen: SeenKeys | None = None,
        keys: KeyResolver | None = None,
    ) -> None:
        self.importer = importer
        self.file = file
        self.columns = dict(column_map.columns)
        self.options = options
        self.lookups = lookups
        self.using = using
        self.dry_run = dry_run
        self.seen = seen
        model_cls = type(importer)
        self.fields = {f.name: f for f in model_cls.get_fields()}
        self.relations: dict[str, RelatedRows] = {}
        self.fk_fields: list[str] = []
        self.m2m_fields: list[str] = []
        self.converters: dict[str, Callable[[Any], Any]] = {}
        self.plan: list[tuple[str, int | str, Callable[[Any], Any]]] = [
            (name, source, self.converter(name))
            for name, source in column_map.sources.items()
        ]
        self.field_hooks = [
            (name, getattr(importer, f"clean_{name}"))
            for name in self.fields
            if callable(getattr(importer, f"clean_{name}", None))
        ]
        self.transforms = type(importer).transform is not Importer.transform
        self.sources = [(name, source) for name, source, _ in self.plan]
        if self.transforms:
            # The transform hook sees, and returns, raw values keyed by field name.
            self.plan = [(name, name, convert) for name, _, convert in self.plan]
        self.cleans = type(importer).clean is not Importer.clean
        self.keys = keys
        self.shapes: dict[tuple, Shape] = {}
        self.ignored: dict[str, None] = {}  # unknown keys skipped (-i), first seen
        self.ignore_unknown = ignore_unknown
        self.convert_row = compile_row(self.plan, by_key=self.transforms)

    def converter(self, name: str) -> Callable[[Any], Any]:
        """Return (building it once) the converter of one field."""
        convert = self.converters.get(name)
        if convert is not None:
            return convert
        field = self.fields[name]
        model_cls = type(self.importer)
        if field.is_relation:
            attr = self.lookups.get(name) or model_cls.get_lookup(field)
            target = field.related_model._meta.get_field(attr)
            convert = related_converter(field, target, self.options)
            seen = self.seen
            self.relations[name] = RelatedRows(
                field,
                attr,
                using=self.using,
                create_missing=name in model_cls.create_missing,
                dry_run=self.dry_run,
                pending=seen.pending.get((field.related_model, attr))
                if self.dry_run and seen is not None
                else None,
            )
            (self.m2m_fields if field.many_to_many else self.fk_fields).append(name)
        else:
            convert = build_converter(field, self.options)
        self.converters[name] = convert
        return convert

    def shape(self, row: Row) -> Shape:
        """Return how to convert an object with this row's keys (cached per key set)."""
        names = tuple(row.cells)
        found = self.shapes.get(names)
        if found is not None:
            return found
        keys = self.keys
        sources: dict[str, str] = {}
        for key in names:
            name = keys.field_of(key)
            if name is None:
                if not self.ignore_unknown:
                    raise keys.unknown(key, row.line)
                if len(self.ignored) < MAX_SHAPES:
                    self.ignored.setdefault(key)
                continue
            if name in sources:
                raise keys.duplicate(sources[name], key, name, row.line)
            sources[name] = key
            self.columns.setdefault(name, key)
        plan = [(name, key, self.converter(name)) for name, key in sources.items()]
        if self.transforms:
            plan = [(name, name, convert) for name, _, convert in plan]
        found = Shape(
            [(name, key) for name, key in sources.items()],
            plan,
            compile_row(plan, by_key=True),
        )
        if len(self.shapes) >= MAX_SHAPES:  # a hostile file: keep memory bounded
            self.shapes.clear()
        self.shapes[names] = found
        return found

    # -- per row -----------------------------------------------------------------
    def error(
        self, row: Row, message: str, code: str, field: str | None = None, value=None
    ) -> RowError:
        column = (
            self.columns.get(field, field) if field and field != NON_FIELD else None
        )
        return RowError(
            file=self.file,
            line=row.line,
            index=row.index,
            column=column,
            value=value,
            message=message,
            code=code,
        )

    def convert(self, row: Row) -> Record | Rejected:
        """Convert one row's cells; collect every cell error of the row."""
        if row.error is not None:
            return Rejected(
                row.line,
                row.index,
                [self.error(row, row.error, row.code or "invalid")],
                row.cells,
            )
        cells = row.cells
        errors: list[RowError] = []
        plan, convert_row, sources = self.plan, self.convert_row, self.sources
        if self.keys is not None:
            if not isinstance(cells, dict):
                raise TypeError("a JSON reader must give dict rows")
            shape = self.shape(row)
            plan, convert_row, sources = shape.plan, shape.convert_row, shape.sources
        if self.transforms:
            cells = self.transformed(cells, sources)
        try:
            return Record(row.line, row.index, convert_row(cells), row.cells)
        except ValidationError:
            pass  # the slow path below names every error of the row
        values: dict[str, Any] = {}
        is_dict = isinstance(cells, dict)
        for name, source, convert in plan:
            raw = cells.get(source) if is_dict else cells[source]
            try:
                values[name] = convert(raw)
            except ValidationError as exc:
                errors.extend(
                    self.error(row, msg, code, name, raw) for code, msg in messages(exc)
                )
        if errors:
            return Rejected(row.line, row.index, errors, row.cells)
        return Record(row.line, row.index, values, row.cells)

    def transformed(self, cells: Any, sources: list) -> dict[str, Any]:
        is_dict = isinstance(cells, dict)
        raw = {
            name: (cells.get(source) if is_dict else cells[source])
            for name, source in sources
        }
        result = self.importer.transform(raw)
        if not isinstance(result, dict):
            raise TypeError(
                f"{type(self.importer).__qualname__}.transform() must return a dict"
            )
        return result

    # -- per batch ---------------------------------------------------------------
    def validate(self, rows: list[Row]) -> tuple[list[Record], list[Rejected]]:
        """Return the batch's valid records and rejected rows, in file order."""
        converted = [self.convert(row) for row in rows]
        records = [r for r in converted if isinstance(r, Record)]
        rejected = {id(r): r for r in converted if isinstance(r, Rejected)}
        self.resolve_relations(records, rejected)
        records = [r for r in records if id(r) not in rejected]
        if self.field_hooks or self.cleans:
            for record in records:
                self.run_hooks(record, rejected)
            records = [r for r in records if id(r) not in rejected]
        ordered = sorted(rejected.values(), key=lambda r: (r.line, r.index or 0))
        return records, ordered

    def reject(self, rejected: dict, record: Record, error: RowError) -> None:
        entry = rejected.get(id(record))
        if entry is None:
            entry = rejected[id(record)] = Rejected(
                record.line, record.index, [], record.cells
            )
        entry.errors.append(error)

    def row_of(self, record: Record) -> Row:
        return Row(record.line, record.cells, record.index)

    def resolve_relations(self, records: list[Record], rejected: dict) -> None:
        for name, related in self.relations.items():
            many = name in self.m2m_fields
            keys: set[Any] = set()
            for record in records:
                value = record.values.get(name)
                if many:
                    keys.update(value or ())
                elif value is not None:
                    keys.add(value)
            found = related.resolve(keys)
            for record in records:
                if name not in record.values:
                    continue  # an object that omits the field
                value = record.values[name]
                if many:
                    missing = [k for k in value if k not in found]
                    record.values[name] = [found[k] for k in value if k in found]
                elif value is None:
                    continue
                else:
                    obj = found.get(value)
                    missing = [] if obj is not None else [value]
                    record.values[name] = obj
                for key in missing:
                    self.reject(
                        rejected,
                        record,
                        self.error(
                            self.row_of(record),
                            related.describe_missing(key),
                            "does_not_exist",
                            name,
                            key,
                        ),
                    )

    def create_related(self, records: list[Record]) -> None:
        """Create the missing related rows (create_missing) these records name."""
        for name, related in self.relations.items():
            if not related.placeholders:
                continue
            objs: list[Any] = []
            for record in records:
                value = record.values.get(name)
                if isinstance(value, list):
                    objs.extend(v for v in value if v.pk is None)
                elif value is not None and value.pk is None:
                    objs.append(value)
            related.create(objs)

    def run_hooks(self, record: Record, rejected: dict) -> None:
        """Run `clean_<field>` then `clean`, as Django forms do."""
        values = record.values
        row = self.row_of(record)
        for name, hook in self.field_hooks:
            if name not in values:
                continue
            try:
                values[name] = hook(values[name])
            except ValidationError as exc:
                for code, msg in messages(exc):
                    self.reject(
                        rejected, record, self.error(row, msg, code, name, values[name])
                    )
        if id(record) in rejected or not self.cleans:
            return
        try:
            result = self.importer.clean(values)
        except ValidationError as exc:
            for field, errs in exc.update_error_dict({}).items():
                for err in errs:
                    for msg in err:
                        self.reject(
                            rejected,
                            record,
                            self.error(
                                row,
                                msg,
                                err.code or "invalid",
                                field,
                                values.get(field),
                            ),
                        )
            return
        if result is not None:
            record.values = result
