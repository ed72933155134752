"""Tables of valid and invalid cells per field kind, run through build_converter.

No test here uses the database: integer ranges come from `connection.ops`, which
needs no query (pytest-django would fail a test that touched the database).
"""

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from importers.converters import ConvertOptions, build_converter, convert_error
from mysite.blog.models import Author, Post

UTC = dt.UTC
PLUS_ONE = dt.timezone(dt.timedelta(hours=1))
NA = ConvertOptions(null_values=frozenset({"NA", "NULL"}))
DMY = ConvertOptions(date_formats=("%d/%m/%Y",), datetime_formats=("%d/%m/%Y %H:%M",))
# Digits that Python's int() and strptime() read, which no file means: refused.
ARABIC_123 = "\u0661\u0662\u0663"
ARABIC_DATE = "\u0660\u0661/\u0660\u0662/\u0662\u0660\u0662\u0663"
SI = ConvertOptions(true_values=frozenset({"Si"}), false_values=frozenset({"No"}))
SMALL_MIN, SMALL_MAX = connection.ops.integer_field_range("SmallIntegerField")
POSITIVE_MAX = connection.ops.integer_field_range("PositiveIntegerField")[1]


def post(name):
    return lambda: Post._meta.get_field(name)


def adhoc(cls, **kwargs):
    def make():
        field = cls(**kwargs)
        field.set_attributes_from_name("x")
        return field

    return make


# name: (field factory, options, valid [(raw, expected)], invalid [(raw, code, text)])
KINDS = {
    "char": (
        post("title"),
        NA,
        [
            ("Hello", "Hello"),
            ("  padded ", "  padded "),
            (ARABIC_123, ARABIC_123),
            (5, "5"),
            (Decimal("2.50"), "2.50"),
            (2.35, "2.35"),
            ("x" * 200, "x" * 200),
        ],
        [
            ("", "blank", "This field cannot be blank."),
            ("NA", "blank", "This field cannot be blank."),
            (None, "null", "This field cannot be null."),
            ("x" * 201, "max_length", "at most 200 characters (it has 201)."),
            ("a\x00b", "null_characters_not_allowed", "Null characters are not"),
            (True, "invalid", "expected text, got a boolean"),
            ([1], "invalid", "expected text, got a list"),
            ({"a": 1}, "invalid", "expected text, got an object"),
        ],
    ),
    "char_blank": (
        adhoc(models.CharField, max_length=5, blank=True),
        NA,
        [("", ""), ("NA", ""), (None, ""), ("na", "na"), ("abcde", "abcde")],
        [("abcdef", "max_length", "Ensure this value has at most 5 characters")],
    ),
    "slug": (
        post("slug"),
        ConvertOptions(),
        [("hello-world", "hello-world"), ("a_1", "a_1"), (12, "12")],
        [
            ("hello world", "invalid", "Enter a valid “slug”"),
            ("", "blank", "cannot be blank"),
        ],
    ),
    "email": (
        lambda: Author._meta.get_field("email"),
        ConvertOptions(),
        [("a@example.com", "a@example.com"), ("", "")],
        [("nope", "invalid", "Enter a valid email address.")],
    ),
    "choices": (
        post("status"),
        NA,
        [("draft", "draft"), ("published", "published"), ("", Post.Status.DRAFT)],
        [
            ("Draft", "invalid_choice", "Value 'Draft' is not a valid choice."),
            ("x" * 20, "invalid_choice", "is not a valid choice"),
        ],
    ),
    "int_choices": (
        adhoc(models.IntegerField, choices=[(1, "one"), (2, "two")]),
        ConvertOptions(),
        [("1", 1), (2, 2)],
        [
            ("3", "invalid_choice", "Value 3 is not a valid choice."),
            ("", "null", "This field cannot be null."),
        ],
    ),
    "positive_int": (
        post("views"),
        ConvertOptions(),
        [
            ("12", 12),
            (" 7 ", 7),
            ("+5", 5),
            ("-0", 0),
            ("007", 7),
            (3, 3),
            (Decimal("3.0"), 3),
            (2.0, 2),
            ("", 0),
            (None, 0),
        ],
        [
            ("-1", "min_value", "Ensure this value is greater than or equal to 0."),
            ("1.5", "invalid", "“1.5” value must be an integer."),
            ("1e3", "invalid", "“1e3” value must be an integer."),
            ("1_000", "invalid", "value must be an integer"),
            (ARABIC_123, "invalid", "value must be an integer"),
            ("  ", "invalid", "value must be an integer"),
            ("\x00", "invalid", "value must be an integer"),
            ("NA", "invalid", "value must be an integer"),
            (str(POSITIVE_MAX + 1), "max_value", f"or equal to {POSITIVE_MAX}."),
            ("9" * 400, "max_value", "Ensure this value is less than or equal to"),
            ("9" * 5000, "invalid", "value must be an integer"),
            (True, "invalid", "“True” value must be an integer."),
            (Decimal("3.5"), "invalid", "“3.5” value must be an integer."),
            (Decimal("1E+999999999"), "invalid", "value must be an integer"),
            (float("nan"), "invalid", "value must be an integer"),
            ([1], "invalid", "expected a single value, got a list"),
            ({"a": 1}, "invalid", "expected a single value, got an object"),
        ],
    ),
    "small_int": (
        adhoc(models.SmallIntegerField),
        ConvertOptions(),
        [(str(SMALL_MAX), SMALL_MAX), (str(SMALL_MIN), SMALL_MIN)],
        [
            (str(SMALL_MAX + 1), "max_value", f"less than or equal to {SMALL_MAX}."),
            (str(SMALL_MIN - 1), "min_value", f"greater than or equal to {SMALL_MIN}."),
        ],
    ),
    "decimal": (
        post("rating"),
        NA,
        [
            ("2.35", Decimal("2.35")),
            ("0", Decimal("0")),
            ("0.00", Decimal("0.00")),
            ("-0.5", Decimal("-0.5")),
            (" 1.5 ", Decimal("1.5")),
            ("1e0", Decimal("1")),
            (Decimal("9.99"), Decimal("9.99")),
            (2.35, Decimal("2.35")),
            (3, Decimal("3")),
            ("", None),
            ("NA", None),
        ],
        [
            ("2.350", "max_digits", "no more than 3 digits in total."),
            ("1.234", "max_digits", "no more than 3 digits in total."),
            ("0.001", "max_decimal_places", "no more than 2 decimal places."),
            ("10", "max_whole_digits", "no more than 1 digit before the decimal"),
            ("1e1", "max_whole_digits", "no more than 1 digit before the decimal"),
            ("NaN", "invalid", "“NaN” value must be a decimal number."),
            ("-Infinity", "invalid", "value must be a decimal number"),
            ("sNaN", "invalid", "value must be a decimal number"),
            ("abc", "invalid", "value must be a decimal number"),
            ("1_0", "invalid", "value must be a decimal number"),
            ("na", "invalid", "value must be a decimal number"),
            (True, "invalid", "“True” value must be a decimal number."),
            ([2], "invalid", "expected a single value, got a list"),
        ],
    ),
    "float": (
        adhoc(models.FloatField),
        ConvertOptions(),
        [("1.5", 1.5), ("1e3", 1000.0), (3, 3.0), (Decimal("2.5"), 2.5), (0.1, 0.1)],
        [
            ("nan", "invalid", "“nan” value must be a float."),
            ("inf", "invalid", "value must be a float"),
            ("1e400", "invalid", "value must be a float"),
            (10**400, "invalid", "value must be a float"),
            ("1_0", "invalid", "value must be a float"),
            (False, "invalid", "value must be a float"),
        ],
    ),
    "boolean": (
        adhoc(models.BooleanField),
        ConvertOptions(),
        [
            ("yes", True),
            ("NO", False),
            ("t", True),
            ("F", False),
            ("1", True),
            ("0", False),
            ("On", True),
            ("off", False),
            (True, True),
            (False, False),
            (1, True),
            (0, False),
        ],
        [
            ("maybe", "invalid", "“maybe” value must be either True or False."),
            (" yes", "invalid", "must be either True or False"),
            (2, "invalid", "“2” value must be either True or False."),
            (Decimal("1"), "invalid", "must be either True or False"),
            ("", "null", "This field cannot be null."),
            ([True], "invalid", "expected a single value, got a list"),
        ],
    ),
    "boolean_null": (
        adhoc(models.BooleanField, null=True),
        NA,
        [("", None), (None, None), ("NA", None), ("Y", True)],
        [("maybe", "invalid", "must be either True, False, or None.")],
    ),
    "boolean_words": (
        adhoc(models.BooleanField),
        SI,
        [("si", True), ("SI", True), ("no", False)],
        [("yes", "invalid", "must be either True or False")],
    ),
    "date": (
        adhoc(models.DateField),
        ConvertOptions(),
        [
            ("2023-02-01", dt.date(2023, 2, 1)),
            ("20230201", dt.date(2023, 2, 1)),
            (dt.date(2023, 2, 1), dt.date(2023, 2, 1)),
            (dt.datetime(2023, 2, 1), dt.date(2023, 2, 1)),
        ],
        [
            ("2023-02-30", "invalid_date", "has the correct format (YYYY-MM-DD) but"),
            ("2023-02-01T10:00", "invalid", "has an invalid date format"),
            ("01/02/2023", "invalid", "It must be in YYYY-MM-DD format."),
            ("2023-1-5", "invalid", "has an invalid date format"),
            ("10000-01-01", "invalid", "has an invalid date format"),
            ("0000-01-01", "invalid_date", "but it is an invalid date."),
            (dt.datetime(2023, 2, 1, 10), "invalid", "has an invalid date format"),
            (20230201, "invalid", "has an invalid date format"),
            ("", "null", "This field cannot be null."),
        ],
    ),
    "date_dmy": (
        adhoc(models.DateField),
        DMY,
        [
            ("01/02/2023", dt.date(2023, 2, 1)),
            ("1/2/2023", dt.date(2023, 2, 1)),
            ("2023-02-01", dt.date(2023, 2, 1)),
        ],
        [
            ("31/02/2023", "invalid_date", "but it is an invalid date."),
            (ARABIC_DATE, "invalid", "has an invalid date format"),
            ("01/02/23", "invalid", "has an invalid date format"),
            ("01/02/2023 10:00", "invalid", "has an invalid date format"),
        ],
    ),
    "datetime": (
        post("published_at"),
        ConvertOptions(),
        [
            ("2023-02-01T10:00:00+01:00", dt.datetime(2023, 2, 1, 10, tzinfo=PLUS_ONE)),
            ("2023-02-01 10:00Z", dt.datetime(2023, 2, 1, 10, tzinfo=UTC)),
            ("2023-02-01T10:00", dt.datetime(2023, 2, 1, 10, tzinfo=UTC)),
            ("2023-02-01", dt.datetime(2023, 2, 1, tzinfo=UTC)),
            ("", None),
        ],
        [
            ("03/04/2023", "invalid", "has an invalid format. It must be in YYYY-MM"),
            ("2023-02-30T10:00", "invalid_datetime", "“2023-02-30T10:00” value has "),
            ("2023-02-30", "invalid_date", "(YYYY-MM-DD) but it is an invalid date."),
            ("2023-02-01T24:00", "invalid_datetime", "but it is an invalid date/time"),
            ("garbage", "invalid", "has an invalid format"),
            ("9999-12-31T23:59:59-01:00", "invalid_datetime", "invalid date/time"),
            ("0001-01-01T00:00+01:00", "invalid_datetime", "invalid date/time"),
            (5, "invalid", "“5” value has an invalid format"),
            (["2023-02-01"], "invalid", "expected a single value, got a list"),
        ],
    ),
    "datetime_dmy": (
        post("published_at"),
        DMY,
        [("03/04/2023 10:30", dt.datetime(2023, 4, 3, 10, 30, tzinfo=UTC))],
        [("31/02/2023 10:00", "invalid_datetime", "invalid date/time")],
    ),
    "time": (
        adhoc(models.TimeField),
        ConvertOptions(time_formats=("%Hh%M",)),
        [
            ("10:30", dt.time(10, 30)),
            ("10:30:15.5", dt.time(10, 30, 15, 500000)),
            ("10:30+01:00", dt.time(10, 30)),
            ("10h30", dt.time(10, 30)),
            (dt.time(9), dt.time(9)),
        ],
        [
            ("25:00", "invalid_time", "(HH:MM[:ss[.uuuuuu]]) but it is an invalid"),
            ("25h00", "invalid_time", "but it is an invalid time."),
            ("ten", "invalid", "has an invalid format. It must be in HH:MM"),
        ],
    ),
    "duration": (
        adhoc(models.DurationField),
        ConvertOptions(),
        [("1 10:00:00", dt.timedelta(days=1, hours=10)), ("P2D", dt.timedelta(2))],
        [
            ("abc", "invalid", "“abc” value has an invalid format."),
            (5, "invalid", "“5” value has an invalid format."),
            ([1], "invalid", "expected a single value, got a list"),
        ],
    ),
    "uuid": (
        adhoc(models.UUIDField),
        ConvertOptions(),
        [
            (
                "12345678-1234-5678-1234-567812345678",
                uuid.UUID("12345678-1234-5678-1234-567812345678"),
            )
        ],
        [
            ("nope", "invalid", "“nope” is not a valid UUID."),
            (True, "invalid", "“True” is not a valid UUID."),
        ],
    ),
    "json": (
        adhoc(models.JSONField),
        ConvertOptions(),
        [
            ({"a": 1}, {"a": 1}),
            ([1, 2], [1, 2]),
            ({"p": [Decimal("1.5")]}, {"p": [1.5]}),
            ('{"a": 1}', '{"a": 1}'),
            (True, True),
        ],
        [("", "null", "This field cannot be null.")],
    ),
    "ip": (
        adhoc(models.GenericIPAddressField),
        ConvertOptions(),
        [("1.2.3.4", "1.2.3.4"), ("2001:0db8::0001", "2001:db8::1")],
        [
            ("1.2.3", "invalid", "Enter a valid IPv4 or IPv6 address."),
            (True, "invalid", "Enter a valid value."),
        ],
    ),
}


def _id(value):
    return repr(value)[:30]


VALID = [
    pytest.param(kind, raw, expected, id=f"{kind}-{_id(raw)}")
    for kind, (_, _, valid, _) in KINDS.items()
    for raw, expected in valid
]
INVALID = [
    pytest.param(kind, raw, code, text, id=f"{kind}-{_id(raw)}")
    for kind, (_, _, _, invalid) in KINDS.items()
    for raw, code, text in invalid
]


def converter(kind):
    make, options, _, _ = KINDS[kind]
    return build_converter(make(), options)


@pytest.mark.parametrize(("kind", "raw", "expected"), VALID)
def test_valid_inputs(kind, raw, expected):
    result = converter(kind)(raw)
    assert result == expected
    assert type(result) is type(expected)
    if isinstance(expected, dt.datetime):
        assert result.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(("kind", "raw", "code", "text"), INVALID)
def test_invalid_inputs(kind, raw, code, text):
    with pytest.raises(ValidationError) as caught:
        converter(kind)(raw)
    errors = caught.value.error_list
    assert [e.code for e in errors][:1] == [code]
    assert text in errors[0].message


# Inputs Django's own field.clean() accepts too: both must give the same value.
SAME_AS_DJANGO = [
    ("char", "Hello"),
    ("slug", "hello-world"),
    ("choices", "published"),
    ("int_choices", "2"),
    ("positive_int", "12"),
    ("positive_int", Decimal("3.0")),
    ("small_int", str(SMALL_MIN)),
    ("decimal", "2.35"),
    ("decimal", "-0.5"),
    ("decimal", Decimal("0.00")),
    ("float", "1.5"),
    ("boolean", "t"),
    ("boolean", "0"),
    ("boolean", True),
    ("date", "2023-02-01"),
    ("datetime", "2023-02-01T10:00:00+01:00"),
    ("time", "10:30:15.5"),
    ("duration", "P2D"),
    ("uuid", "12345678-1234-5678-1234-567812345678"),
    ("ip", "2001:0db8::0001"),
]
# Inputs both reject: the same codes and messages, in the same order.
REJECTED_AS_DJANGO = [
    ("char", "x" * 201),
    ("slug", "not a slug " * 20),
    ("choices", "nope"),
    ("int_choices", "3"),
    ("positive_int", "abc"),
    ("positive_int", "-1"),
    ("small_int", str(SMALL_MAX + 1)),
    ("decimal", "2.350"),
    ("decimal", "12.5"),
    ("decimal", "x"),
    ("boolean", "maybe"),
    ("date", "2023-02-30"),
    ("date", "Feb 1"),
    ("datetime", "2023-02-30T10:00"),
    ("datetime", "2023-02-30"),
    ("time", "25:00"),
    ("uuid", "nope"),
]


def _django(kind, raw):
    make, _, _, _ = KINDS[kind]
    return make().clean(raw, None)


@pytest.mark.parametrize(("kind", "raw"), SAME_AS_DJANGO)
def test_same_value_as_django_clean(kind, raw):
    assert converter(kind)(raw) == _django(kind, raw)


@pytest.mark.parametrize(("kind", "raw"), REJECTED_AS_DJANGO)
def test_same_errors_as_django_clean(kind, raw):
    with pytest.raises(ValidationError) as ours:
        converter(kind)(raw)
    with pytest.raises(ValidationError) as theirs:
        _django(kind, raw)
    assert [e.code for e in ours.value.error_list] == [
        e.code for e in theirs.value.error_list
    ]
    assert ours.value.messages == theirs.value.messages


def test_naive_datetime_takes_the_current_time_zone():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    with timezone.override(paris):
        convert = build_converter(Post._meta.get_field("published_at"))
    result = convert("2023-07-01 10:00")
    assert result.tzinfo is paris
    assert result == dt.datetime(2023, 7, 1, 8, tzinfo=UTC)
    # An explicit offset is kept as written, whatever the current time zone.
    assert convert("2023-07-01T10:00+01:00").tzinfo == PLUS_ONE


def test_without_use_tz_datetimes_are_naive(settings):
    settings.USE_TZ = False
    convert = build_converter(Post._meta.get_field("published_at"))
    assert convert("2023-02-01 10:00") == dt.datetime(2023, 2, 1, 10)
    # An aware value becomes the same instant in the (UTC) local time.
    assert convert("2023-02-01T10:00+01:00") == dt.datetime(2023, 2, 1, 9)
    assert convert("2023-02-01T10:00+01:00").tzinfo is None


def test_adjacent_numbers_in_a_format_split_as_strptime_does():
    options = ConvertOptions(date_formats=("%d%m%Y",))
    convert = build_converter(models.DateField(name="x"), options)
    assert convert("01022023") == dt.date(2023, 2, 1)
    assert convert("1122023") == dt.datetime.strptime("1122023", "%d%m%Y").date()


def test_declared_formats_that_strptime_keeps():
    options = ConvertOptions(datetime_formats=("%d %b %Y %H:%M %z",))
    convert = build_converter(Post._meta.get_field("published_at"), options)
    assert convert("01 Feb 2023 10:00 +0100") == dt.datetime(
        2023, 2, 1, 10, tzinfo=PLUS_ONE
    )
    with pytest.raises(ValidationError) as caught:
        convert("30 Feb 2023 10:00 +0100")
    assert caught.value.code == "invalid_datetime"


def test_an_auto_field_is_an_integer_and_empty_means_numbered_by_the_database():
    convert = build_converter(Post._meta.get_field("id"))
    assert convert("12") == 12
    assert convert("") is None
    with pytest.raises(ValidationError):
        convert("1_2")


@pytest.mark.parametrize(
    "name", ["author", "category", "tags"], ids=["fk", "nullable_fk", "m2m"]
)
def test_relations_are_refused(name):
    with pytest.raises(TypeError, match="relation"):
        build_converter(Post._meta.get_field(name))


def test_reverse_relation_is_refused():
    with pytest.raises(TypeError):
        build_converter(Author._meta.get_field("posts"))


def test_field_error_messages_override_django_messages():
    field = models.CharField(max_length=3, error_messages={"max_length": "Too long!"})
    field.set_attributes_from_name("x")
    with pytest.raises(ValidationError) as caught:
        build_converter(field)("abcd")
    assert caught.value.messages == ["Too long!"]


def test_added_validators_run_and_callable_limits_are_not_folded():
    field = models.IntegerField(
        validators=[MinValueValidator(10), MaxValueValidator(lambda: 20)]
    )
    field.set_attributes_from_name("x")
    convert = build_converter(field)
    assert convert("15") == 15
    with pytest.raises(ValidationError, match="greater than or equal to 10"):
        convert("5")
    with pytest.raises(ValidationError, match="less than or equal to 20"):
        convert("21")


def test_a_subclass_with_its_own_to_python_keeps_it():
    class LowerField(models.CharField):
        def to_python(self, value):
            return super().to_python(value).lower()

    field = LowerField(max_length=10)
    field.set_attributes_from_name("x")
    assert build_converter(field)("ABC") == "abc"


def test_all_errors_of_a_cell_are_reported():
    with pytest.raises(ValidationError) as caught:
        converter("slug")("a b" * 100)
    assert [e.code for e in caught.value.error_list] == ["invalid", "max_length"]


def test_convert_error_interpolates_once():
    error = convert_error("“%(value)s” is bad.", "invalid", {"value": "50%"})
    assert error.code == "invalid"
    assert error.messages == ["“50%” is bad."]
    assert list(error) == ["“50%” is bad."]


def test_true_and_false_values_must_not_overlap():
    with pytest.raises(ValueError, match="both true and false: yes"):
        ConvertOptions(true_values=frozenset({"yes"}), false_values=frozenset({"YES"}))


WEIRD = [
    "  ",
    "\x00",
    ARABIC_123,
    "1_000",
    "x" * 100_000,
    "-0",
    "+5",
    "9" * 400,
    "9" * 5000,
    "\ud800",
    "NaN",
    "1e999999999",
    10**400,
    -(10**400),
    Decimal("1E+999999999"),
    Decimal("-1E-999999999"),
    Decimal("NaN"),
    Decimal("-Infinity"),
    float("nan"),
    float("inf"),
    1e308,
    True,
    False,
    [],
    {},
    [1, [2]],
    {"a": {"b": 1}},
    dt.date(1, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, tzinfo=PLUS_ONE),
    object(),
]


@pytest.mark.parametrize("kind", KINDS)
def test_weird_inputs_raise_only_validation_errors(kind):
    convert = converter(kind)
    for raw in WEIRD:
        try:
            convert(raw)
        except ValidationError as error:
            assert all(e.code for e in error.error_list), raw
            assert all(error.messages), raw


CELLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.from_regex(r"[-+ ]?[0-9]{0,6}([.,][0-9]{0,4})?([eE][-+]?[0-9]{1,3})? ?"),
    st.integers(),
    st.decimals(),
    st.floats(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(cell=CELLS, kind=st.sampled_from(sorted(KINDS)))
def test_any_cell_gives_a_value_or_a_validation_error(cell, kind):
    try:
        converter(kind)(cell)
    except ValidationError as error:
        assert all(e.code for e in error.error_list)


NUMBER_TEXTS = st.from_regex(
    r" ?[-+]?0*[0-9]{0,4}(\.[0-9]{0,4})?([eE][-+]?[0-9]{1,2})? ?", fullmatch=True
).filter(lambda text: text.strip())  # an empty cell is no number: see "decimal"


@hypothesis_settings(max_examples=1000, deadline=None)
@given(st.one_of(st.decimals(allow_nan=False, allow_infinity=False), NUMBER_TEXTS))
def test_decimal_digit_counts_agree_with_django(number):
    field = Post._meta.get_field("rating")
    try:
        expected = ("ok", field.clean(number, None))
    except ValidationError as error:
        expected = ("error", [e.code for e in error.error_list])
    try:
        got = ("ok", build_converter(field)(number))
    except ValidationError as error:
        got = ("error", [e.code for e in error.error_list])
    assert got == expected
