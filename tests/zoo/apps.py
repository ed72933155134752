from django.apps import AppConfig


class ZooConfig(AppConfig):
    """Models beyond the blog, one per Django feature the writer must respect."""

    name = "tests.zoo"
    label = "zoo"
    default_auto_field = "django.db.models.BigAutoField"
