"""Convert one raw cell into the value its model field stores, by the field's rules.

Pipeline place: after columns are mapped to fields, before related keys are resolved
(validation.py). `build_converter` decides everything once per field and returns a
closure run for every cell: a type check, a parse, a bounds check. Every failure is
a `ValidationError` with Django's code and message, made by `convert_error`.
"""

from __future__ import annotations

import math
import operator
import re
import sys
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.core import validators as dv
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time

Converter = Callable[[object], object]
TRUE_VALUES = frozenset({"true", "t", "yes", "y", "1", "on"})
FALSE_VALUES = frozenset({"false", "f", "no", "n", "0", "off"})
NUMBERS = (int, float, Decimal)
PROBLEMS = (TypeError, ValueError, ArithmeticError, AttributeError)
NUL = dv.ProhibitNullCharactersValidator.message


@dataclass(frozen=True)
class ConvertOptions:
    """How raw cells are read: missing-value markers, date formats, booleans."""

    null_values: frozenset[str] = frozenset()
    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    time_formats: tuple[str, ...] = ()
    true_values: frozenset[str] = TRUE_VALUES
    false_values: frozenset[str] = FALSE_VALUES
    m2m_separator: str = ";"

    def __post_init__(self) -> None:
        both = {v.lower() for v in self.true_values}
        both &= {v.lower() for v in self.false_values}
        if both:
            raise ValueError(f"values both true and false: {', '.join(sorted(both))}")


DEFAULT_OPTIONS = ConvertOptions()


def convert_error(
    message: str, code: str, params: dict | None = None
) -> ValidationError:
    """Return the error a converter raises: a final message (params applied), a code.

    The params are not kept: ValidationError would apply them again when iterated,
    which breaks on values containing "%".
    """
    text = message
    if params:
        with suppress(KeyError, TypeError, ValueError):
            text = message % params
    return ValidationError(str(text), code=code)


def build_converter(
    field: models.Field, options: ConvertOptions = DEFAULT_OPTIONS
) -> Converter:
    """Compile the converter of one concrete, non-relational model field.

    DateTimeField reads settings.USE_TZ and the current time zone here, once.
    """
    if field.is_relation:
        raise TypeError(f"{field!r} is a relation: the engine resolves it by key")
    empties = frozenset({"", *options.null_values})
    on_empty = _empty_handler(field)
    cls = type(field)
    for kind, builder in _BUILDERS.items():
        if isinstance(field, kind):
            # A subclass with its own to_python() or validation keeps Django's path.
            if cls.to_python is kind.to_python and all(
                getattr(cls, name) is getattr(models.Field, name)
                for name in ("validate", "run_validators", "clean")
            ):
                parse, covered = builder(field, empties, on_empty, options)
                return _checked(field, parse, covered)
            break
    return _generic(field, empties, on_empty)


# -- errors and checks shared by every kind ---------------------------------------


def _invalid(field, value, code="invalid") -> ValidationError:
    message = field.error_messages.get(code, dv.RegexValidator.message)
    try:
        message %= {"value": value}
    except (KeyError, TypeError, ValueError):
        message = dv.RegexValidator.message
    return convert_error(message, code)


def _wrong_type(value, expected="a single value") -> ValidationError:
    """Name a JSON value's type as the file's author knows it."""
    if isinstance(value, dict):
        kind = "an object"
    elif isinstance(value, (list, tuple)):
        kind = "a list"
    else:
        kind = "a boolean" if isinstance(value, bool) else f"a {type(value).__name__}"
    return convert_error(f"expected {expected}, got {kind}", "invalid")


def _raise(errors: list[ValidationError]):
    raise errors[0] if len(errors) == 1 else ValidationError(errors)


def _own(field, error: ValidationError) -> list[ValidationError]:
    """Restate Django's errors as final messages, with the field's own overrides."""
    return [
        convert_error(field.error_messages.get(e.code, e.message), e.code, e.params)
        for e in error.error_list
    ]


def _empty_handler(field: models.Field) -> Callable[[object], object]:
    """Return what a missing cell becomes: None, "", the default, or an error."""
    text = isinstance(field, (models.CharField, models.TextField))
    if field.null:
        return lambda value: None
    if text and field.blank:
        return lambda value: ""
    if field.has_default():
        return lambda value: field.get_default()

    def missing(value):
        # As Django: None "cannot be null"; an empty text "cannot be blank".
        code = "blank" if text and value is not None else "null"
        raise convert_error(field.error_messages[code], code)

    return missing


def _choice_values(field) -> frozenset | tuple | None:
    if field.choices is None or not field.editable:
        return None
    values = [value for value, _ in field.flatchoices]
    try:
        return frozenset(values)
    except TypeError:
        return tuple(values)


def _reject(field, value, errors=()):
    """Raise all the errors Django's validate() and run_validators() give, in order."""
    choices = _choice_values(field)
    if choices is not None and value not in choices:
        raise _invalid(field, value, "invalid_choice")
    errors = list(errors)
    for validator in field.validators:
        try:
            validator(value)
        except ValidationError as error:
            errors.extend(_own(field, error))
    if errors:
        _raise(errors)
    return value


def _checked(field, parse: Converter, covered) -> Converter:
    """Add the choices and the validators the kind's fast checks leave out, if any."""
    choices = _choice_values(field)
    extras = tuple(v for v in field.validators if not covered(v))
    if choices is None and not extras:
        return parse

    def convert(value):
        result = parse(value)
        if result is None or result == "":
            return result
        if choices is not None and result not in choices:
            raise _invalid(field, result, "invalid_choice")
        try:
            for validator in extras:
                validator(result)
        except ValidationError:
            return _reject(field, result)
        return result

    return convert


def _limits(field, *kinds):
    """Return the fixed limits of the field's validators of exactly these kinds."""
    found = [v for v in field.validators if type(v) in kinds]
    return [v.limit_value for v in found if isinstance(v.limit_value, NUMBERS)]


def _folded(*kinds):
    return lambda v: type(v) in kinds and isinstance(v.limit_value, NUMBERS)


# -- text, booleans, numbers ------------------------------------------------------


def _text(field, empties, on_empty, options):
    longest = min(_limits(field, dv.MaxLengthValidator), default=sys.maxsize)

    def parse(value):
        if value.__class__ is not str:
            if value is None:
                return on_empty(value)
            if isinstance(value, str):
                return parse(str(value))
            value = _text_of(value)
        elif value in empties:
            return on_empty(value)
        if len(value) > longest or "\x00" in value:
            nul = "\x00" in value and [
                convert_error(NUL, "null_characters_not_allowed")
            ]
            return _reject(field, value, nul or ())
        return value

    return parse, _folded(dv.MaxLengthValidator)


def _text_of(value) -> str:
    if value.__class__ is float:
        return repr(value)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        with suppress(ValueError):  # an int past Python's 4300-digit str limit
            return str(value)
    raise _wrong_type(value, "text")


def _boolean(field, empties, on_empty, options):
    words = {v.lower(): True for v in options.true_values}
    words.update({v.lower(): False for v in options.false_values})
    code = "invalid_nullable" if field.null else "invalid"

    def parse(value):
        if value.__class__ is str:
            if value in empties:
                return on_empty(value)
            result = words.get(value.lower())
            if result is not None:
                return result
        elif value is True or value is False:
            return value
        elif value is None:
            return on_empty(value)
        elif value.__class__ is int and (value == 0 or value == 1):
            return value == 1
        elif isinstance(value, (list, dict)):
            raise _wrong_type(value)
        raise convert_error(field.error_messages[code], "invalid", {"value": value})

    return parse, lambda v: False


def _integer(field, empties, on_empty, options):
    low = max(_limits(field, dv.MinValueValidator), default=-math.inf)
    high = min(_limits(field, dv.MaxValueValidator), default=math.inf)

    def parse(value):
        if value.__class__ is str:
            if value in empties:
                return on_empty(value)
            # int() takes "1_000" and other scripts' digits too: no file means those.
            if not value.isascii() or "_" in value:
                raise _invalid(field, value)
            try:
                number = int(value)
            except ValueError:
                raise _invalid(field, value) from None
        elif value.__class__ is int:
            number = value
        elif value is None:
            return on_empty(value)
        elif isinstance(value, str):
            return parse(str(value))
        else:
            number = _integer_of(field, value)
        if low <= number <= high:
            return number
        return _reject(field, number)

    return parse, _folded(dv.MinValueValidator, dv.MaxValueValidator)


def _integer_of(field, value) -> int:
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        # adjusted() bounds the digits before int() can build a huge number.
        finite = value.is_finite() and value.adjusted() < 4300
        if finite and value == value.to_integral_value():
            return int(value)
    elif isinstance(value, (list, dict)):
        raise _wrong_type(value)
    elif not isinstance(value, bool):
        with suppress(TypeError):
            return operator.index(value)  # numpy integers and the like
    raise _invalid(field, value)


def _decimal(field, empties, on_empty, options):
    places = sys.maxsize if field.decimal_places is None else field.decimal_places
    total = sys.maxsize if field.max_digits is None else field.max_digits
    whole = sys.maxsize if sys.maxsize in (places, total) else total - places

    def parse(value):
        if value.__class__ is str:
            if value in empties:
                return on_empty(value)
            if not value.isascii() or "_" in value:
                raise _invalid(field, value)
            try:
                number = Decimal(value)
            except PROBLEMS:
                raise _invalid(field, value) from None
        elif value.__class__ is Decimal:
            number = value
        elif value is None:
            return on_empty(value)
        elif isinstance(value, str):
            return parse(str(value))
        elif isinstance(value, (list, dict)):
            raise _wrong_type(value)
        elif isinstance(value, NUMBERS) and not isinstance(value, bool):
            number = Decimal(repr(value) if isinstance(value, float) else value)
        else:
            raise _invalid(field, value)
        if not number.is_finite():
            raise _invalid(field, value)
        # DecimalValidator's counts, read off the canonical string: as_tuple() costs
        # five times more. Scientific notation is left to the validator itself.
        text = str(number)
        if "E" not in text:
            sign = text[0] == "-"
            point = text.find(".")
            if point < 0:
                digits, decimals = len(text) - sign, 0
            else:
                digits, decimals = point - sign, len(text) - point - 1
                if digits == 1 and text[sign] == "0":
                    digits = 0
            if digits <= whole and decimals <= places and digits + decimals <= total:
                return number
        return _reject(field, number)

    mine = dv.DecimalValidator(field.max_digits, field.decimal_places)
    return parse, lambda v: type(v) is dv.DecimalValidator and v == mine


def _float(field, empties, on_empty, options):
    def parse(value):
        if value.__class__ is str:
            if value in empties:
                return on_empty(value)
            if not value.isascii() or "_" in value:
                raise _invalid(field, value)
            try:
                number = float(value)
            except ValueError:
                raise _invalid(field, value) from None
        elif value is None:
            return on_empty(value)
        elif isinstance(value, str):
            return parse(str(value))
        elif isinstance(value, (list, dict)):
            raise _wrong_type(value)
        elif isinstance(value, NUMBERS) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                raise _invalid(field, value) from None
        else:
            raise _invalid(field, value)
        # SQLite stores NaN as NULL and MySQL refuses it: reject it here.
        if math.isfinite(number):
            return number
        raise _invalid(field, value)

    return parse, lambda v: False


# -- dates and times --------------------------------------------------------------

FORMAT_PARTS = {
    "Y": ("year", r"\d{4}"),
    "m": ("month", r"\d{1,2}"),
    "d": ("day", r"\d{1,2}"),
    "H": ("hour", r"\d{1,2}"),
    "M": ("minute", r"\d{1,2}"),
    "S": ("second", r"\d{1,2}"),
    "f": ("microsecond", r"\d{1,6}"),
}


def _format_parser(fmt: str) -> Callable[[str], datetime | None]:
    """Compile a numeric strptime format to one regex: strptime costs ~6 µs a call.

    The parser returns None for another shape and raises ValueError for the right
    shape but no real date. Formats with other directives (%b, %z, ...) keep strptime.
    """
    pattern, names = [], []
    for part in re.split(r"(%.)", fmt):
        if len(part) == 2 and part[0] == "%" and part != "%%":
            name, digits = FORMAT_PARTS.get(part[1], (None, None))
            if name is None or name in names:
                return lambda value: _strptime(value, fmt)
            names.append(name)
            pattern.append(f"({digits})")
        else:
            words = re.split(r"\s+", part.replace("%%", "%"))
            pattern.append(r"\s+".join(map(re.escape, words)))
    regex = re.compile("".join(pattern), re.ASCII)

    def parse(value):
        match = regex.fullmatch(value)
        if match is None:
            return None
        parts = {"year": 1900, "month": 1, "day": 1}
        for name, digits in zip(names, match.groups(), strict=True):
            parts[name] = int(digits.ljust(6, "0") if name == "microsecond" else digits)
        return datetime(**parts)

    return parse


def _strptime(value: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(value, fmt)
    except ValueError as error:
        if str(error).startswith(("time data", "unconverted data")):
            return None
        raise


def _temporal(field, empties, on_empty, iso, formats, shape, checks, other):
    """Build a date, datetime or time kind: ISO 8601 first, then declared formats."""
    parsers = [_format_parser(f) for f in formats]

    def parse(value):
        if value.__class__ is str:
            if value in empties:
                return on_empty(value)
            try:
                return iso(value)
            except ValueError:
                pass
            shaped = False
            if value.isascii():  # strptime's \d takes any script's digits
                for parser in parsers:
                    try:
                        moment = parser(value)
                    except (ValueError, OverflowError):
                        shaped = True
                    else:
                        if moment is not None:
                            return shape(moment)
            raise _unparsed(field, value, shaped, checks)
        if value is None:
            return on_empty(value)
        if isinstance(value, str):
            return parse(str(value))
        if isinstance(value, (list, dict)):
            raise _wrong_type(value)
        result = other(value)
        if result is None:
            raise _invalid(field, value)
        return result

    return parse


def _unparsed(field, value, shaped, checks) -> ValidationError:
    """Tell an impossible date ("2023-02-30") from a wrong format, as Django does."""
    if shaped:
        return _invalid(field, value, checks[0][1])
    for django_parse, code in checks:
        try:
            django_parse(value)
        except (ValueError, OverflowError):
            return _invalid(field, value, code)
    return _invalid(field, value)


def _date(field, empties, on_empty, options):
    def other(value):
        if isinstance(value, datetime):
            # A spreadsheet's date cell is a naive datetime at midnight.
            midnight = value.tzinfo is None and value.time() == time()
            return value.date() if midnight else None
        return value if isinstance(value, date) else None

    checks = ((parse_date, "invalid_date"),)
    parse = _temporal(
        field,
        empties,
        on_empty,
        date.fromisoformat,
        options.date_formats,
        datetime.date,
        checks,
        other,
    )
    return parse, lambda v: False


def _time(field, empties, on_empty, options):
    def iso(value):
        # As Django's parse_time: an offset on a bare time means nothing.
        return time.fromisoformat(value).replace(tzinfo=None)

    def other(value):
        return value if isinstance(value, time) else None

    checks = ((parse_time, "invalid_time"),)
    parse = _temporal(
        field,
        empties,
        on_empty,
        iso,
        options.time_formats,
        datetime.time,
        checks,
        other,
    )
    return parse, lambda v: False


def _datetime(field, empties, on_empty, options):
    use_tz = settings.USE_TZ
    zone = timezone.get_current_timezone()  # read once: it costs ~3 µs a call

    def other(value):
        if isinstance(value, datetime):
            return value
        return datetime.combine(value, time()) if isinstance(value, date) else None

    checks = ((parse_datetime, "invalid_datetime"), (parse_date, "invalid_date"))
    moment_of = _temporal(
        field,
        empties,
        on_empty,
        datetime.fromisoformat,
        options.datetime_formats,
        lambda moment: moment,
        checks,
        other,
    )

    def parse(value):
        moment = moment_of(value)
        if not isinstance(moment, datetime):
            return moment  # empty: None or the default
        try:
            if moment.tzinfo is None:
                if not use_tz:
                    return moment
                moment = moment.replace(tzinfo=zone)
            elif not use_tz:
                return moment.astimezone(zone).replace(tzinfo=None)
            if not 1 < moment.year < 9999:
                moment.astimezone(UTC)  # saving converts to UTC: it must fit
        except (OverflowError, ValueError):
            raise _invalid(field, value, "invalid_datetime") from None
        return moment

    return parse, lambda v: False


# -- everything else: Django's own clean() ------------------------------------------


def _generic(field, empties, on_empty) -> Converter:
    """Duration, UUID, JSON, binary, IP address, custom fields: Django's clean()."""
    is_json = isinstance(field, models.JSONField)
    takes_bool = is_json or isinstance(field, models.BooleanField)
    plain_json = is_json and field.encoder is None

    def convert(value):
        if value is None or (value.__class__ is str and value in empties):
            return on_empty(value)
        if plain_json:
            value = _plain_json(value)
        elif isinstance(value, (list, dict)) and not is_json:
            raise _wrong_type(value)
        elif isinstance(value, bool) and not takes_bool:
            raise _invalid(field, value)  # UUIDField would read True as UUID int 1
        try:
            return field.clean(value, None)
        except ValidationError as error:
            _raise(_own(field, error))
        except PROBLEMS:
            raise _invalid(field, value) from None

    return convert


def _plain_json(value):
    """Turn the JSON reader's Decimals into floats, which json.dumps can write."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_plain_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain_json(item) for key, item in value.items()}
    return value


_BUILDERS = {
    models.BooleanField: _boolean,
    models.IntegerField: _integer,
    models.DecimalField: _decimal,
    models.FloatField: _float,
    models.DateTimeField: _datetime,
    models.DateField: _date,
    models.TimeField: _time,
    models.CharField: _text,
    models.TextField: _text,
}
