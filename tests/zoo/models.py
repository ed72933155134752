"""The model zoo: one model per Django write feature an import must respect.

The ORM is the oracle: every model here is imported by `load_data` and compared
with `Model(**values).save()` per row (tests/test_zoo_differential.py). The app has
no migrations (settings: MIGRATION_MODULES), so adding a model is one class here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.db.models.signals import post_save
from django.dispatch import receiver


class UpperCaseField(models.CharField):
    """A custom field whose pre_save changes the value: stored upper-cased."""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = value.upper()
            setattr(model_instance, self.attname, value)
        return value


# -- primary keys -------------------------------------------------------------------
class Currency(models.Model):
    """A text primary key, filled by the file."""

    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=50)


class County(models.Model):
    """An explicit integer primary key (a FIPS code), filled by the file."""

    fips = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=100)


# -- to_field relations -------------------------------------------------------------
class Country(models.Model):
    """Target of a to_field FK by an integer field that is not the pk."""

    iso_num = models.IntegerField(unique=True)
    name = models.CharField(max_length=100)


class Label(models.Model):
    """Target of a to_field FK by a text field that is not the pk."""

    name = models.SlugField(unique=True)


class Product(models.Model):
    sku = models.CharField(max_length=20, unique=True)
    country = models.ForeignKey(
        Country, to_field="iso_num", on_delete=models.PROTECT, null=True, blank=True
    )
    label = models.ForeignKey(
        Label, to_field="name", on_delete=models.PROTECT, null=True, blank=True
    )
    tags = models.ManyToManyField(Label, through="ProductTag", related_name="+")


class ProductTag(models.Model):
    """An explicit through table whose foreign keys use to_field targets."""

    product = models.ForeignKey(Product, to_field="sku", on_delete=models.CASCADE)
    label = models.ForeignKey(Label, to_field="name", on_delete=models.CASCADE)

    class Meta:
        # As Django's own through tables: one link per pair.
        unique_together = [("product", "label")]


# -- pre_save, save() and signals ---------------------------------------------------
class Stamped(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)


class Shouty(models.Model):
    key = models.CharField(max_length=20, unique=True)
    shout = UpperCaseField(max_length=100)


class SavedTitle(models.Model):
    """save() derives a field: a bulk write would leave `title_length` at 0."""

    key = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=100)
    title_length = models.IntegerField(default=0, editable=False)

    def save(self, *args, **kwargs):
        self.title_length = len(self.title)
        super().save(*args, **kwargs)


class Signalled(models.Model):
    key = models.CharField(max_length=20, unique=True)
    value = models.IntegerField()


class SignalLog(models.Model):
    """What the post_save receiver of Signalled wrote."""

    key = models.CharField(max_length=20)
    created = models.BooleanField()


@receiver(post_save, sender=Signalled)
def log_signalled(sender, instance, created, raw=False, **kwargs):
    SignalLog.objects.using(instance._state.db).create(
        key=instance.key, created=created
    )


# -- defaults ------------------------------------------------------------------------
class DbDefaulted(models.Model):
    key = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=10, db_default="new")
    stamped = models.DateTimeField(db_default=Now())
    score = models.IntegerField(default=7)


# -- declared rules -------------------------------------------------------------------
class Checked(models.Model):
    key = models.CharField(max_length=20, unique=True)
    low = models.IntegerField()
    high = models.IntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(low__lte=models.F("high")), name="zoo_checked_low_le_high"
            )
        ]


class Member(models.Model):
    """A conditional unique constraint: one active member per e-mail address."""

    key = models.CharField(max_length=20, unique=True)
    email = models.EmailField()
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(active=True),
                name="zoo_member_one_active_email",
            )
        ]


class Period(models.Model):
    """Model.clean() refuses a period that ends before it starts."""

    key = models.CharField(max_length=20, unique=True)
    start = models.DateField()
    end = models.DateField()

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": "The period ends before it starts."})


# -- keys -----------------------------------------------------------------------------
class External(models.Model):
    """A nullable unique integer key (big: hash() collides -1 and -2)."""

    ext = models.BigIntegerField(unique=True, null=True, blank=True)
    name = models.CharField(max_length=50)


class Reading(models.Model):
    """A composite key: station, day and hour together."""

    station = models.CharField(max_length=20)
    day = models.DateField()
    hour = models.SmallIntegerField()
    value = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        unique_together = [("station", "day", "hour")]


class Doc(models.Model):
    key = models.CharField(max_length=20, unique=True)
    data = models.JSONField(null=True, blank=True)


class LoudDoc(Doc):
    """A proxy model: rows land in Doc's table."""

    class Meta:
        proxy = True


# -- inheritance ----------------------------------------------------------------------
class Place(models.Model):
    name = models.CharField(max_length=50, unique=True)
    city = models.CharField(max_length=50, blank=True)


class Restaurant(Place):
    """Multi-table inheritance: one row in Place, one here."""

    seats = models.PositiveIntegerField(default=0)


class Note(models.Model):
    """No key at all: every import creates (the no-key warning, hints)."""

    text = models.CharField(max_length=50)
    count = models.IntegerField(null=True, blank=True)
    day = models.DateField(null=True, blank=True)


class Fan(models.Model):
    """Another app's rows that cascade from a blog author (seed_posts --clear)."""

    # No database constraint: the zoo's tables are made before blog's migrations.
    author = models.ForeignKey(
        "blog.Author", on_delete=models.CASCADE, db_constraint=False
    )


class Patron(models.Model):
    """Another app's rows that protect a blog author from deletion."""

    author = models.ForeignKey(
        "blog.Author", on_delete=models.PROTECT, db_constraint=False
    )


# -- DataFrames and Parquet --------------------------------------------------------
class Typed(models.Model):
    """One nullable field per value type a DataFrame or a Parquet column carries."""

    key = models.CharField(max_length=20, unique=True)
    label = models.CharField(max_length=20, blank=True)
    flag = models.BooleanField(null=True)
    count = models.IntegerField(null=True)
    amount = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    ratio = models.FloatField(null=True)
    day = models.DateField(null=True)
    at = models.DateTimeField(null=True)
    span = models.DurationField(null=True)
    uid = models.UUIDField(null=True)
