"""The blog's models, each with a natural key so files can name rows by it."""

from django.db import models


class NaturalKeyManager(models.Manager):
    """Find a row by the one field its model names in `natural_key_field`."""

    def get_by_natural_key(self, key):
        return self.get(**{self.model.natural_key_field: key})


class NaturalKeyModel(models.Model):
    """A model whose natural key is one unique field, named by `natural_key_field`."""

    natural_key_field: str

    objects = NaturalKeyManager()

    class Meta:
        abstract = True

    def natural_key(self) -> tuple:
        return (getattr(self, self.natural_key_field),)


class Author(NaturalKeyModel):
    username = models.CharField(max_length=150, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)

    natural_key_field = "username"

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name or self.username


class Category(NaturalKeyModel):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    natural_key_field = "slug"

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(NaturalKeyModel):
    name = models.SlugField(max_length=50, unique=True)

    natural_key_field = "name"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Post(NaturalKeyModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="posts")
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="posts",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    body = models.TextField()
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")

    natural_key_field = "slug"

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title
