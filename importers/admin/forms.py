"""The admin's upload form: a file and the few reading and writing options a person
chooses (the rest are the importer's). Validation of the data is the engine's."""

from __future__ import annotations

import codecs
import shlex
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat

from importers.importer import Importer
from importers.readers import formats

from .conf import setting

MODE_LABELS = {
    "create": "Create new rows only (a row whose key exists is rejected)",
    "upsert": "Create new rows and update existing ones",
    "update": "Update existing rows only",
    "skip": "Create new rows, leave existing ones as they are",
}
DELIMITERS = [
    ("", "Detect from the header line"),
    (",", "Comma ,"),
    (";", "Semicolon ;"),
    ("\t", "Tab"),
    ("|", "Vertical bar |"),
]
ON_ERROR = [
    ("abort", "Import nothing if any row is rejected"),
    ("skip", "Import the valid rows, skip the rejected ones"),
]


class UploadForm(forms.Form):
    file = forms.FileField()
    format = forms.ChoiceField(required=False)
    encoding = forms.CharField(
        required=False,
        max_length=40,
        help_text="Default: UTF-8, with or without a BOM. E.g. cp1252, latin-1.",
    )
    delimiter = forms.ChoiceField(
        required=False, choices=DELIMITERS, help_text="CSV files only."
    )
    mode = forms.ChoiceField(required=False)
    on_error = forms.ChoiceField(
        choices=ON_ERROR, initial="abort", label="If a row is rejected"
    )

    def __init__(self, *args: Any, importer: type[Importer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = filesizeformat(setting("MAX_UPLOAD_SIZE"))
        self.fields["file"].help_text = (
            f"Formats: {', '.join(formats())}; also compressed (.gz, .bz2, .xz, "
            f".zip). At most {limit}."
        )
        self.fields["format"].choices = [
            ("", "From the file name"),
            *((name, name) for name in formats()),
        ]
        key = importer.get_key()
        default = "upsert" if key else "create"
        modes = ("create", "upsert", "update", "skip") if key else ("create",)
        self.fields["mode"].choices = [
            ("", f"Default: {MODE_LABELS[default].lower()}"),
            *((mode, MODE_LABELS[mode]) for mode in modes),
        ]
        if key:
            self.fields["mode"].help_text = (
                "Rows are matched to existing ones by " + ", ".join(key) + "."
            )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        limit = setting("MAX_UPLOAD_SIZE")
        if file.size > limit:  # when no SizeLimitHandler stopped it earlier
            raise forms.ValidationError(too_large_message(limit), code="too_large")
        return file

    def clean_encoding(self) -> str:
        encoding = self.cleaned_data["encoding"].strip()
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise forms.ValidationError(
                    "Unknown encoding %(name)s.",
                    code="encoding",
                    params={"name": encoding},
                ) from None
        return encoding

    def import_options(self) -> dict[str, str | None]:
        """Return the chosen options as ImportOptions keywords (JSON-safe)."""
        data = self.cleaned_data
        return {
            "format": data["format"] or None,
            "encoding": data["encoding"] or None,
            "delimiter": data["delimiter"] or None,
            "mode": data["mode"] or None,
            "on_error": data["on_error"],
        }


def too_large_message(limit: int) -> str:
    return f"The file is larger than the upload limit of {filesizeformat(limit)}."


def command_line(
    filename: str, options: dict[str, Any], *, importer: str | None, model: str
) -> str:
    """Return the `load_data` command that imports a file as the form would."""
    args = ["python", "manage.py", "load_data", filename]
    args += ["--importer", importer] if importer else ["--model", model]
    for option in ("mode", "on_error", "format", "encoding", "delimiter"):
        value = options.get(option)
        if value and not (option == "on_error" and value == "abort"):
            args += [f"--{option.replace('_', '-')}", value]
    return shlex.join(args)
