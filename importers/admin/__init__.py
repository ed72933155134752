"""Imports in the Django admin: an Import button, then upload -> preview -> confirm.

    class PostAdmin(ImportAdminMixin, admin.ModelAdmin): ...

Without the mixin, every ModelAdmin whose model has a registered importer gets
the button when the app is ready (setting IMPORTERS_ADMIN_BUTTONS, default True).
The pages run the engine (`run_import`) and show its Report; see mixin.py.
"""

from .mixin import ImportAdminMixin, registered_importer
from .sites import add_import_buttons

__all__ = ["ImportAdminMixin", "add_import_buttons", "registered_importer"]
