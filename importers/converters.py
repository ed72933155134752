"""Convert one raw cell into the value its model field stores, by the field's rules.

Pipeline place: after columns are mapped to fields, before related keys are resolved
(validation.py). `build_converter` decides everything once per field and returns a
closure run for every cell: a type check, a parse, a bounds check. Every failure is
a `ValidationError` with Django's code and message, made by `convert_error`.
"""

from __future__ import annotations

import json
import math
import operator
import re
import sys
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import validators as dv
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time

Converter = Callable[[object], object]
TRUE_VALUES = frozenset({"true", "t", "yes", "y", "1", "on"})
FALSE_VALUES = frozenset({"false", "f", "no", "n", "0", "off"})
NUMBERS = (int, float, Decimal)
PROBLEMS = (TypeError, ValueError, ArithmeticError, AttributeError)
NUL = dv.ProhibitNullCharactersValidator.message
AUTO_VALIDATE = AutoFieldMixin.validate  # a no-op: AutoField is an IntegerField here


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
    #: cells are text (CSV, spreadsheets): a JSONField's cell is JSON to parse
    json_text: bool = False

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
    kind = _kind_of(field)
    if kind is None:  # Django's own clean() runs the choices and validators
        from_str = from_other = _generic(field)
        if options.json_text and isinstance(field, models.JSONField):
            from_str = _json_text(field, from_other)
        check, containers = None, isinstance(field, models.JSONField)
    else:
        from_str, from_other, covered = kind(field, options)
        check, containers = _checker(field, covered), False
    expected = "text" if kind is _text else "a single value"

    def convert(value):
        if value.__class__ is str:
            if value in empties:
                return on_empty(value)
            result = from_str(value)
        elif value is None:
            return on_empty(value)
        elif isinstance(value, str):
            return convert(str(value))
        elif isinstance(value, (list, dict)) and not containers:
            raise _wrong_type(value, expected)
        else:
            result = from_other(value)
        return result if check is None else check(result)

    return convert


def _kind_of(field):
    """Return the kind whose rules we reimplement, unless the field changes them."""
    cls = type(field)
    for base, kind in _KINDS.items():
        if isinstance(field, base):
            own = cls.to_python is base.to_python and all(
                getattr(cls, name) in (getattr(models.Field, name), AUTO_VALIDATE)
                for name in ("validate", "run_validators", "clean")
            )
            return kind if own else None
    return None


# -- errors, empties, choices and validators ----------------------------------------


def _invalid(field, value, code="invalid") -> ValidationError:
    message = field.error_messages.get(code, dv.RegexValidator.message)
    try:
        message %= {"value": value}
    except (KeyError, TypeError, ValueError):
        message = dv.RegexValidator.message
    return convert_error(message, code)


def _wrong_type(value, expected) -> ValidationError:
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
    if field.null or isinstance(field, AutoFieldMixin):  # the database numbers it
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


def _checker(field, covered) -> Converter | None:
    """Check the choices and the validators a kind's fast checks leave out, if any."""
    choices = _choice_values(field)
    extras = tuple(_quick(v) for v in field.validators if not covered(v))
    if choices is None and not extras:
        return None

    def check(result):
        if choices is not None and result not in choices:
            raise _invalid(field, result, "invalid_choice")
        try:
            for validator in extras:
                validator(result)
        except ValidationError:
            return _reject(field, result)
        return result

    return check


def _quick(validator):
    """Unwrap a RegexValidator's lazy regex: the proxy costs ~4 µs a call."""
    if type(validator) is not dv.RegexValidator:
        return validator
    search = re.compile(validator.regex.pattern, validator.regex.flags).search
    inverse = validator.inverse_match

    def check(value):
        if (search(str(value)) is None) is not inverse:
            raise ValidationError("")  # _reject() then asks the validator itself

    return check


def _limits(field, kind):
    """Return the fixed limits of the field's validators of exactly this kind."""
    found = [v.limit_value for v in field.validators if type(v) is kind]
    return [limit for limit in found if isinstance(limit, NUMBERS)]


def _folded(*kinds):
    return lambda v: type(v) in kinds and isinstance(v.limit_value, NUMBERS)


def _nothing(validator):
    return False


# -- text, booleans, numbers ----------------------------------------------------------

SURROGATE = (
    "the text holds a character no database can store (a lone surrogate, as "
    "decoding with the wrong encoding leaves): check the file's encoding"
)


def _encodable(value: str) -> bool:
    """Return whether text can be stored: lone surrogates cannot (UTF-8 refuses)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(field, options):
    longest = min(_limits(field, dv.MaxLengthValidator), default=sys.maxsize)

    def from_str(value):
        if len(value) > longest or "\x00" in value:
            nul = [convert_error(NUL, "null_characters_not_allowed")]
            return _reject(field, value, nul if "\x00" in value else ())
        if not value.isascii() and not _encodable(value):
            raise convert_error(SURROGATE, "surrogates_not_allowed")
        return value

    def from_other(value):
        if value.__class__ is float:
            return from_str(repr(value))
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            with suppress(ValueError):  # an int past Python's 4300-digit str limit
                return from_str(str(value))
        raise _wrong_type(value, "text")

    return from_str, from_other, _folded(dv.MaxLengthValidator)


def _boolean(field, options):
    words = {v.lower(): True for v in options.true_values}
    words.update({v.lower(): False for v in options.false_values})
    message = field.error_messages["invalid_nullable" if field.null else "invalid"]

    def from_str(value):
        result = words.get(value.lower())
        if result is None:
            raise convert_error(message, "invalid", {"value": value})
        return result

    def from_other(value):
        if value is True or value is False:
            return value
        if value.__class__ is int and (value == 0 or value == 1):
            return value == 1
        raise convert_error(message, "invalid", {"value": value})

    return from_str, from_other, _nothing


def _integer(field, options):
    low = max(_limits(field, dv.MinValueValidator), default=-math.inf)
    high = min(_limits(field, dv.MaxValueValidator), default=math.inf)

    def from_str(value):
        # int() takes "1_000" and other scripts' digits too: no file means those.
        if not value.isascii() or "_" in value:
            raise _invalid(field, value)
        try:
            number = int(value)
        except ValueError:
            raise _invalid(field, value) from None
        return number if low <= number <= high else _reject(field, number)

    def from_other(value):
        number = value if value.__class__ is int else _integer_of(field, value)
        return number if low <= number <= high else _reject(field, number)

    return from_str, from_other, _folded(dv.MinValueValidator, dv.MaxValueValidator)


def _integer_of(field, value) -> int:
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        # adjusted() bounds the digits before int() can build a huge number.
        whole = value.is_finite() and value.adjusted() < 4300
        if whole and value == value.to_integral_value():
            return int(value)
    elif not isinstance(value, bool):
        with suppress(TypeError):
            return operator.index(value)  # numpy integers and the like
    raise _invalid(field, value)


def _decimal(field, options):
    def limit(number):
        return sys.maxsize if number is None else number

    places, total = limit(field.decimal_places), limit(field.max_digits)
    whole = total - places if sys.maxsize not in (places, total) else sys.maxsize

    def from_str(value):
        if not value.isascii() or "_" in value:
            raise _invalid(field, value)
        try:
            number = Decimal(value)
        except PROBLEMS:
            raise _invalid(field, value) from None
        return fit(number, value, value)

    def from_other(value):
        if value.__class__ is Decimal:  # what the JSON reader gives
            return fit(value, str(value), value)
        if isinstance(value, bool) or not isinstance(value, NUMBERS):
            raise _invalid(field, value)
        number = Decimal(repr(value) if isinstance(value, float) else value)
        return fit(number, str(number), value)

    def fit(number, text, value):
        """Count digits as DecimalValidator does, on the text: as_tuple() is slower.

        The raw text never has fewer digits than the canonical one (leading zeros,
        "+", spaces), so passing here is proof; anything else asks the validator.
        """
        if not number.is_finite():
            raise _invalid(field, value)
        if "e" not in text and "E" not in text:
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
    return from_str, from_other, lambda v: type(v) is dv.DecimalValidator and v == mine


def _float(field, options):
    def convert(value):
        try:
            if isinstance(value, str) and (not value.isascii() or "_" in value):
                raise ValueError
            if isinstance(value, bool) or not isinstance(value, (str, *NUMBERS)):
                raise TypeError
            number = float(value)
        except (ValueError, TypeError, OverflowError):
            raise _invalid(field, value) from None
        # SQLite stores NaN as NULL and MySQL refuses it: reject it here.
        if math.isfinite(number):
            return number
        raise _invalid(field, value)

    return convert, convert, _nothing


# -- dates and times ------------------------------------------------------------------

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
    pattern, names, adjacent = [], [], False
    for part in re.split(r"(%.)", fmt):
        if len(part) == 2 and part[0] == "%" and part != "%%":
            name, digits = FORMAT_PARTS.get(part[1], (None, None))
            # Adjacent numbers ("%Y%m%d") split as strptime's own regexes decide.
            if name is None or name in names or adjacent:
                return lambda value: _strptime(value, fmt)
            names.append(name)
            pattern.append(f"({digits})")
            adjacent = True
        else:
            words = re.split(r"\s+", part.replace("%%", "%"))
            pattern.append(r"\s+".join(map(re.escape, words)))
            adjacent = adjacent and not part
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


def _temporal(field, formats, iso, shape, checks, other):
    """Read ISO 8601 first, then the declared formats; never guess another one."""
    parsers = [_format_parser(f) for f in formats]

    def from_str(value):
        try:
            return iso(value)
        except ValueError:
            return shape(_declared(field, parsers, checks, value))

    def from_other(value):
        result = other(value)
        if result is None:
            raise _invalid(field, value)
        return result

    return from_str, from_other, _nothing


def _declared(field, parsers, checks, value: str) -> datetime:
    """Return the first declared format's reading, or raise the error Django would.

    As Django, a value of the right shape but no real date ("2023-02-30") gets the
    kind's "invalid_date" code rather than "invalid".
    """
    shaped = False
    if value.isascii():  # strptime's \d takes any script's digits
        for parse in parsers:
            try:
                moment = parse(value)
            except (ValueError, OverflowError):
                shaped = True
            else:
                if moment is not None:
                    return moment
    if shaped:
        raise _invalid(field, value, checks[0][1])
    for django_parse, code in checks:
        try:
            django_parse(value)
        except (ValueError, OverflowError):
            raise _invalid(field, value, code) from None
    raise _invalid(field, value)


def _time_of(value: str) -> time:
    # As Django's parse_time: an offset on a bare time means nothing.
    moment = time.fromisoformat(value)
    return moment if moment.tzinfo is None else moment.replace(tzinfo=None)


def _date(field, options):
    def other(value):
        if isinstance(value, datetime):  # a spreadsheet's date cell: midnight
            midnight = value.tzinfo is None and value.time() == time()
            return value.date() if midnight else None
        return value if isinstance(value, date) else None

    checks = ((parse_date, "invalid_date"),)
    formats = options.date_formats
    return _temporal(field, formats, date.fromisoformat, datetime.date, checks, other)


def _time(field, options):
    def other(value):
        return value if isinstance(value, time) else None

    checks = ((parse_time, "invalid_time"),)
    formats = options.time_formats
    return _temporal(field, formats, _time_of, datetime.time, checks, other)


def _datetime(field, options):
    use_tz = settings.USE_TZ
    zone = timezone.get_current_timezone()  # read once: it costs ~3 µs a call
    parsers = [_format_parser(f) for f in options.datetime_formats]
    checks = ((parse_datetime, "invalid_datetime"), (parse_date, "invalid_date"))

    def from_str(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = _declared(field, parsers, checks, value)
        if use_tz and moment.tzinfo is not None and 1 < moment.year < 9999:
            return moment  # the common case, without another call
        return finish(moment, value)

    def finish(moment, value):
        try:
            if moment.tzinfo is None:
                if not use_tz:
                    return moment
                # combine() attaches the zone three times faster than replace().
                moment = datetime.combine(moment.date(), moment.time(), zone)
            elif not use_tz:
                return moment.astimezone(zone).replace(tzinfo=None)
            if not 1 < moment.year < 9999:
                moment.astimezone(UTC)  # saving converts to UTC: it must fit
        except (OverflowError, ValueError):
            raise _invalid(field, value, "invalid_datetime") from None
        return moment

    def from_other(value):
        if isinstance(value, datetime):
            return finish(value, value)
        if isinstance(value, date):
            return finish(datetime.combine(value, time()), value)
        raise _invalid(field, value)

    return from_str, from_other, _nothing


# -- everything else: Django's own clean() ------------------------------------------


def _generic(field) -> Converter:
    """Duration, UUID, JSON, binary, IP address, custom fields: Django's clean()."""
    is_json = isinstance(field, models.JSONField)
    takes_bool = is_json or isinstance(field, models.BooleanField)
    plain_json = is_json and field.encoder is None

    def convert(value):
        if isinstance(value, bool) and not takes_bool:
            raise _invalid(field, value)  # UUIDField would read True as UUID int 1
        try:
            return field.clean(_plain_json(value) if plain_json else value, None)
        except ValidationError as error:
            _raise(_own(field, error))
        except RecursionError:
            raise _too_deep() from None
        except PROBLEMS:
            raise _invalid(field, value) from None

    return convert


def _json_text(field, convert: Converter) -> Converter:
    """Parse a text cell as JSON first, as Django's forms.JSONField does."""

    def from_text(value):
        try:
            parsed = json.loads(value, cls=field.decoder)
        except json.JSONDecodeError:
            raise convert_error("Enter a valid JSON.", "invalid") from None
        except RecursionError:
            raise _too_deep() from None
        return convert(parsed)

    return from_text


def _too_deep() -> ValidationError:
    return convert_error("the JSON value is nested too deeply", "too_deep")


def _plain_json(value):
    """Turn the JSON reader's Decimals into floats, which json.dumps can write.

    Iterative, so a deeply nested document is copied without recursion.
    """
    todo: list[tuple[Any, Any]] = []

    def plain(item):
        if isinstance(item, Decimal):
            return float(item)
        if isinstance(item, list):
            copy: Any = [None] * len(item)
        elif isinstance(item, dict):
            copy = {}
        else:
            return item
        todo.append((item, copy))
        return copy

    result = plain(value)
    while todo:
        source, copy = todo.pop()
        if isinstance(source, list):
            for i, item in enumerate(source):
                copy[i] = plain(item)
        else:
            for key, item in source.items():
                copy[key] = plain(item)
    return result


_KINDS = {
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
