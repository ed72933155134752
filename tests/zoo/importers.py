"""Importers of the zoo, registered as `zoo-<model>` so one `load_data` run can
import every zoo model by file name (tests/test_zoo_differential.py)."""

import importers

from . import models

ZOO_MODELS = [
    models.Currency,
    models.County,
    models.Country,
    models.Label,
    models.Product,
    models.Stamped,
    models.Shouty,
    models.SavedTitle,
    models.Signalled,
    models.DbDefaulted,
    models.Checked,
    models.Member,
    models.Period,
    models.External,
    models.Reading,
    models.Doc,
    models.LoudDoc,
    models.Place,
    models.Restaurant,
    models.Typed,
    models.Note,
    models.Fan,
    models.Patron,
]


def zoo_name(model) -> str:
    return f"zoo-{model._meta.model_name}"


for _model in ZOO_MODELS:
    importers.register(importers.Importer.for_model(_model), name=zoo_name(_model))
