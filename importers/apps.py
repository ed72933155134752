"""The importers app's configuration: collects each app's `importers.py` when ready."""

from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "importers"
    verbose_name = "Importers"

    def ready(self) -> None:
        from .registry import autodiscover

        autodiscover()
