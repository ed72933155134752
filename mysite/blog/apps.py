"""The demo blog: Authors, Categories, Tags and Posts to import into."""

from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "mysite.blog"
    label = "blog"
    verbose_name = "Blog"
    default_auto_field = "django.db.models.BigAutoField"
