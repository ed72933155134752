"""The importers app's configuration: collects each app's `importers.py` when ready."""

from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "importers"
    verbose_name = "Importers"

    def ready(self) -> None:
        from .registry import autodiscover

        autodiscover()
        self.add_admin_buttons()

    def add_admin_buttons(self) -> None:
        """Give each admin of a model with an importer the import pages."""
        from django.apps import apps
        from django.conf import settings

        if apps.is_installed("django.contrib.admin") and getattr(
            settings, "IMPORTERS_ADMIN_BUTTONS", True
        ):
            from .admin import add_import_buttons

            add_import_buttons()
