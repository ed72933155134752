"""Step 2 of an admin import: the dry run's Report as a stored, comparable plan.

The preview page shows a plan; the confirm step imports only if the real run
produces the same plan (its fingerprint): the same counts per action and the same
first rows per action with the same differences. A database changed since the
preview changes the plan, and the admin shows the new one instead of writing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from importers.results import ACTIONS, Report

ACTION_LABELS = {
    "create": "Create",
    "update": "Update",
    "unchanged": "Unchanged",
    "skip": "Skip",
    "reject": "Reject",
}


def report_data(report: Report) -> dict[str, Any]:
    """Return a report as JSON data, previews included (what the preview shows)."""
    data = report.as_dict()
    for file_data, file_report in zip(data["files"], report.files, strict=True):
        file_data["counts"] = dict(file_report.counts)
        file_data["previews"] = file_report.previews
    return json.loads(json.dumps(data, default=str))


def fingerprint(data: dict[str, Any]) -> str:
    """Return a digest of what a run does: per file, its counts and previews."""
    plan = [
        {
            "rows": f["rows"],
            "counts": f["counts"],
            "related_created": f["related_created"],
            "previews": f["previews"],
        }
        for f in data["files"]
    ]
    text = json.dumps(plan, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def totals(data: dict[str, Any]) -> dict[str, int]:
    """Return the counts per action over the report's files."""
    return {
        action: sum(f["counts"][action] for f in data["files"]) for action in ACTIONS
    }


def shown(value: Any) -> str:
    """Return one value as a cell of the preview shows it (autoescaped later)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    return str(value)


@dataclass
class Table:
    """The rows of one action of the preview, ready for a template."""

    action: str
    label: str
    count: int
    columns: list[str]
    rows: list[dict[str, Any]]  # {"line", "cells": [...]} or {"line", "key", "changes"}
    changes: bool  # rows show old -> new per changed field


def preview_tables(data: dict[str, Any], key: tuple[str, ...] = ()) -> list[Table]:
    """Return one table per action that has rows, in the order of ACTIONS.

    An update shows the row's key and, per changed field, old -> new.
    """
    count = totals(data)
    tables = []
    for action in ACTIONS[:-1]:
        items = [i for f in data["files"] for i in f["previews"].get(action, [])]
        if not count[action]:
            continue
        if action == "update":
            rows = [
                {
                    "line": item["line"],
                    "key": ", ".join(shown(item["values"].get(k)) for k in key),
                    "changes": [
                        (name, shown(old), shown(new))
                        for name, (old, new) in item.get("changed", {}).items()
                    ],
                }
                for item in items
            ]
            label = ACTION_LABELS[action]
            tables.append(Table(action, label, count[action], list(key), rows, True))
            continue
        columns = list(dict.fromkeys(name for i in items for name in i["values"]))
        rows = [
            {
                "line": item["line"],
                "cells": [shown(item["values"].get(c)) for c in columns],
            }
            for item in items
        ]
        tables.append(
            Table(action, ACTION_LABELS[action], count[action], columns, rows, False)
        )
    return tables


def errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the rejected rows' errors kept in the report, by line."""
    return [e for f in data["files"] for e in f["errors"]]


def blocker(plan: dict[str, Any]) -> str | None:
    """Say why a previewed plan cannot be imported, or None when it can."""
    count = totals(plan["report"])
    if count["reject"] and plan["options"]["on_error"] == "abort":
        rows = count["reject"]
        return (
            f"{rows} row{'s' * (rows != 1)} would be rejected and nothing would "
            "be imported. Fix the file and upload it again, or upload it with "
            "“Import the valid rows, skip the rejected ones”."
        )
    if not count["create"] and not count["update"]:
        return "Nothing to import: no row would be created or updated."
    return None


def paginate(
    request: HttpRequest, items: list[Any], param: str, size: int
) -> tuple[Page, list[dict[str, Any]]]:
    """Return the page of `items` named by the `param` parameter, and page links."""
    page = Paginator(items, size).get_page(request.GET.get(param))
    if not page.has_other_pages():
        return page, []
    links = []
    for number in page.paginator.get_elided_page_range(page.number):
        url = None
        if number not in (page.paginator.ELLIPSIS, page.number):
            query = request.GET.copy()
            query[param] = number
            url = f"?{query.urlencode()}"
        links.append({"label": number, "url": url, "current": number == page.number})
    return page, links
