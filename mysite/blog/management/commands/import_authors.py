"""`import_authors`: authors from the CRM's CSV export, the second example command.

What differs from `load_data` lives in the importer (CRMAuthorImporter: header
aliases, `clean_` hooks); ImportCommand brings the rest: options, dry run, report,
exit status.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from importers.command import ImportCommand
from importers.options import ImportOptions
from mysite.blog.importers import CRMAuthorImporter


class Command(ImportCommand):
    help = "Import authors from the CRM's export (Login, Full name, E-mail address)."
    importer = CRMAuthorImporter

    def get_import_options(self, options: dict[str, Any]) -> ImportOptions:
        # The export has columns the blog does not keep, such as "Last login".
        return replace(super().get_import_options(options), ignore_nonexistent=True)
