"""The Import button on every admin of a model that has a registered importer.

Run from the importers app's `ready()`, after the admin has collected each app's
`admin.py` (so "importers" comes after "django.contrib.admin" in INSTALLED_APPS):
each such ModelAdmin is registered again as a subclass with ImportAdminMixin.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from .mixin import ImportAdminMixin, registered_importer


def add_import_buttons(site: admin.AdminSite | None = None) -> list[type[models.Model]]:
    """Give the admins of models with a registered importer the import pages.

    Return the models whose admin was changed. An admin with its own
    change_list_template keeps it (add the button to it as the README says).
    """
    site = admin.site if site is None else site
    changed = []
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, ImportAdminMixin) or not registered_importer(model):
            continue
        base = type(model_admin)
        attrs = {"__module__": base.__module__}
        if base.change_list_template:
            attrs["change_list_template"] = base.change_list_template
        importing = type(base.__name__, (ImportAdminMixin, base), attrs)
        site.unregister(model)
        site.register(model, importing)
        changed.append(model)
    return changed
