"""`ImportAdminMixin`: a model's import pages in the admin, built on the engine.

    upload (uploads.py) -> preview: a dry run (runs.py, plans.py) -> confirm -> result

Under the model's admin URL:

    import/                    the upload form
    import/<token>/            the preview of an upload: the dry run's plan
    import/<token>/confirm/    import it (POST), if the plan is still the same
    import/<token>/errors.csv  the dry run's rejected rows, to fix and upload again

Importing needs the model's add and change permissions. Validation is the
engine's alone: these views only store the file, run the engine and show its
Report.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import router
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from importers.errors import SourceError
from importers.importer import Importer
from importers.options import ImportOptions
from importers.registry import registered

from . import plans, runs, uploads
from .conf import get_storage, setting
from .forms import UploadForm, command_line, too_large_message


def registered_importer(model: type) -> type[Importer] | None:
    """Return the importer registered for a model, or None."""
    for importer in registered().values():
        if importer.model is model:
            return importer
    return None


def registered_name(importer: type[Importer]) -> str | None:
    return next((n for n, i in registered().items() if i is importer), None)


class ImportAdminMixin:
    """Add an Import button and pages to a ModelAdmin (list it before ModelAdmin)."""

    #: the importer to use; default: the one registered for the model, else a
    #: default importer of all its fields
    importer_class: type[Importer] | None = None
    change_list_template = "admin/importers/change_list.html"
    import_template = "admin/importers/upload.html"
    import_preview_template = "admin/importers/preview.html"
    import_result_template = "admin/importers/result.html"
    import_too_large_template = "admin/importers/too_large.html"

    # -- hooks -------------------------------------------------------------------
    def get_importer(self, request: HttpRequest) -> type[Importer]:
        """Return the importer of this model's uploads (hook)."""
        if self.importer_class is not None:
            return self.importer_class
        return registered_importer(self.model) or Importer.for_model(self.model)

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Importing creates and updates rows: it needs both permissions (hook)."""
        return self.has_add_permission(request) and self.has_change_permission(request)

    # -- URLs --------------------------------------------------------------------
    def get_urls(self) -> list:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        upload = wrap(self.import_view)  # CSRF-checked after the handler is set

        @csrf_exempt
        def limited_upload(request: HttpRequest, *args: Any, **kwargs: Any):
            request.upload_handlers.insert(
                0, uploads.SizeLimitHandler(request, limit=setting("MAX_UPLOAD_SIZE"))
            )
            return upload(request, *args, **kwargs)

        return [
            path("import/", limited_upload, name=f"{prefix}_import"),
            path(
                "import/<str:token>/",
                wrap(self.import_preview_view),
                name=f"{prefix}_import_preview",
            ),
            path(
                "import/<str:token>/confirm/",
                wrap(require_POST(self.import_confirm_view)),
                name=f"{prefix}_import_confirm",
            ),
            path(
                "import/<str:token>/errors.csv",
                wrap(self.import_errors_view),
                name=f"{prefix}_import_errors",
            ),
            *super().get_urls(),
        ]

    def import_url(self, name: str = "import", *args: Any) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse(
            f"admin:{info[0]}_{info[1]}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None):
        if self.has_import_permission(request):
            extra_context = {**(extra_context or {}), "import_url": self.import_url()}
        return super().changelist_view(request, extra_context)

    # -- step 1: upload ----------------------------------------------------------
    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Show the upload form; on a valid upload, dry-run it and show the preview."""
        self.check_import_permission(request)
        uploads.sweep()
        importer = self.get_importer(request)
        if request.method != "POST":
            return self.render_upload(request, UploadForm(importer=importer))
        form = UploadForm(request.POST, request.FILES, importer=importer)
        valid = form.is_valid()
        limiter = next(
            (
                h
                for h in request.upload_handlers
                if isinstance(h, uploads.SizeLimitHandler)
            ),
            None,
        )
        if limiter is not None and limiter.too_large:
            form.errors["file"] = form.error_class(
                [too_large_message(setting("MAX_UPLOAD_SIZE"))]
            )
            valid = False
        if not valid:
            return self.render_upload(request, form)
        upload = uploads.save_upload(form.cleaned_data["file"])
        options = form.import_options()
        with uploads.local_path(upload.name) as local:
            limit = setting("MAX_RUN_SIZE")
            try:
                size = uploads.data_size(local, limit)
            except SourceError:
                size = upload.size  # unreadable: the dry run says why
            if size > limit:
                uploads.discard(upload.token)
                return self.render_too_large(request, importer, upload, options, size)
            outcome = self.preview_upload(request, importer, local, upload, options)
        if outcome.status != runs.PREVIEWED:
            uploads.discard(upload.token)
            form.add_error(None, outcome.error)
            return self.render_upload(request, form)
        return redirect(self.import_url("import_preview", upload.token))

    def preview_upload(
        self,
        request: HttpRequest,
        importer: type[Importer],
        local: str,
        upload: uploads.Upload,
        options: dict[str, Any],
    ) -> runs.Outcome:
        """Dry-run a stored upload and keep its plan and errors file beside it."""
        with tempfile.TemporaryDirectory() as folder:
            errors_file = Path(folder) / "errors.csv"
            job = self.make_job(request, importer, local, upload, options, errors_file)
            outcome = runs.preview(job)
            if outcome.status == runs.PREVIEWED:
                has_errors = uploads.save_errors(upload.token, errors_file) is not None
                plan = {
                    "model": self.opts.label_lower,
                    "user": str(request.user.pk),
                    "created": time.time(),
                    "upload": upload.as_dict(),
                    "options": options,
                    "report": outcome.data,
                    "fingerprint": outcome.fingerprint,
                    "errors_file": has_errors,
                }
                uploads.save_plan(upload.token, plan)
        return outcome

    def make_job(
        self,
        request: HttpRequest,
        importer: type[Importer],
        local: str,
        upload: uploads.Upload,
        options: dict[str, Any],
        errors_file: Path | None = None,
    ) -> runs.Job:
        return runs.Job(
            importer=importer,
            path=local,
            options=ImportOptions(
                **options,
                database=router.db_for_write(self.model),
                preview=setting("PREVIEW_ROWS"),
                errors_file=errors_file,
            ),
            user=request.user,
            filename=upload.filename,
            size=upload.size,
            sha256=upload.sha256,
        )

    # -- step 2: preview ---------------------------------------------------------
    def import_preview_view(self, request: HttpRequest, token: str) -> HttpResponse:
        """Show an upload's plan: counts, first rows per action, rejected rows."""
        self.check_import_permission(request)
        plan = self.get_plan(request, token)
        if plan is None:
            return self.gone(request)
        data = plan["report"]
        importer = self.get_importer(request)
        tables = plans.preview_tables(data, importer.get_key())
        shown = next(
            (t for t in tables if t.action == request.GET.get("action")),
            tables[0] if tables else None,
        )
        size = setting("PAGE_SIZE")
        rows, row_links = plans.paginate(
            request, shown.rows if shown else [], "page", size
        )
        errors, error_links = plans.paginate(
            request, plans.errors(data), "errors_page", size
        )
        reason = plans.blocker(plan)
        return self.render(
            request,
            self.import_preview_template,
            f"Preview of {plan['upload']['filename']}",
            plan=plan,
            upload=plan["upload"],
            totals=plans.totals(data),
            tables=tables,
            table=shown,
            rows=rows,
            row_links=row_links,
            errors=errors,
            error_links=error_links,
            preview_rows=setting("PREVIEW_ROWS"),
            can_confirm=reason is None,
            reason=reason,
            confirm_url=self.import_url("import_confirm", token),
            errors_url=self.import_url("import_errors", token)
            if plan["errors_file"]
            else None,
        )

    # -- step 3: confirm ---------------------------------------------------------
    def import_confirm_view(self, request: HttpRequest, token: str) -> HttpResponse:
        """Import the previewed file, unless it or the plan changed since."""
        self.check_import_permission(request)
        plan = self.get_plan(request, token)
        if plan is None:
            return self.gone(request)
        upload = uploads.Upload(token=token, **plan["upload"])
        if request.POST.get("sha256") != upload.sha256 or (
            uploads.file_sha256(upload.name) != upload.sha256
        ):
            uploads.discard(token)
            outcome = runs.Outcome(
                runs.FAILED,
                error="The file is not the one previewed (its sha256 differs): "
                "nothing was imported. Upload it again.",
            )
            return self.render_result(request, upload, outcome, status=409)
        reason = plans.blocker(plan)
        if reason is not None:
            messages.error(request, reason)
            return redirect(self.import_url("import_preview", token))
        importer = self.get_importer(request)
        with uploads.local_path(upload.name) as local:
            job = self.make_job(request, importer, local, upload, plan["options"])
            outcome = runs.confirm(job, plan["fingerprint"])
            if outcome.status == runs.CHANGED:
                fresh = self.preview_upload(
                    request, importer, local, upload, plan["options"]
                )
                if fresh.status == runs.PREVIEWED:
                    if fresh.fingerprint != plan["fingerprint"]:
                        messages.warning(
                            request,
                            "The data changed since the preview, so importing would "
                            "not do what it showed: nothing was imported. This is "
                            "the new preview; check it and confirm again.",
                        )
                        return redirect(self.import_url("import_preview", token))
                    outcome.error = (
                        "The database refused rows that the preview could not check "
                        "(constraints only the database enforces): nothing was "
                        "imported."
                    )
                else:
                    outcome.error = fresh.error
                outcome.status = runs.FAILED
        uploads.discard(token)
        return self.render_result(request, upload, outcome)

    def import_errors_view(self, request: HttpRequest, token: str) -> FileResponse:
        """Download the dry run's rejected rows as CSV (never through a public URL)."""
        self.check_import_permission(request)
        plan = self.get_plan(request, token)
        if plan is None or not plan["errors_file"]:
            raise Http404("No errors file for this upload.")
        stem = Path(plan["upload"]["filename"]).name.split(".")[0] or "import"
        return FileResponse(
            get_storage().open(f"{token}/{uploads.ERRORS}", "rb"),
            as_attachment=True,
            filename=f"{stem}-errors.csv",
            content_type="text/csv; charset=utf-8",
        )

    # -- helpers -----------------------------------------------------------------
    def check_import_permission(self, request: HttpRequest) -> None:
        if not self.has_import_permission(request):
            raise PermissionDenied

    def get_plan(self, request: HttpRequest, token: str) -> dict[str, Any] | None:
        """Return the plan of an upload by this user into this model, else None."""
        plan = uploads.load_plan(token)
        if (
            plan is None
            or plan.get("model") != self.opts.label_lower
            or plan.get("user") != str(request.user.pk)
        ):
            return None
        return plan

    def gone(self, request: HttpRequest) -> HttpResponse:
        minutes = setting("UPLOAD_TTL") // 60
        messages.error(
            request,
            "This upload is no longer here: it was imported already, or it "
            f"expired (uploads are kept {minutes} minutes). Upload the file again.",
        )
        return redirect(self.import_url())

    def render(
        self,
        request: HttpRequest,
        template: str,
        title: str,
        status: int = 200,
        **extra,
    ) -> TemplateResponse:
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "title": title,
            "has_view_permission": self.has_view_permission(request),
            "changelist_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_changelist",
                current_app=self.admin_site.name,
            ),
            "import_url": self.import_url(),
            **extra,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, template, context, status=status)

    def render_upload(self, request: HttpRequest, form: UploadForm) -> TemplateResponse:
        return self.render(
            request,
            self.import_template,
            f"Import {self.opts.verbose_name_plural}",
            form=form,
            importer=self.get_importer(request),
            max_run_size=setting("MAX_RUN_SIZE"),
        )

    def render_too_large(
        self,
        request: HttpRequest,
        importer: type[Importer],
        upload: uploads.Upload,
        options: dict[str, Any],
        size: int,
    ) -> TemplateResponse:
        return self.render(
            request,
            self.import_too_large_template,
            f"{upload.filename} is too large to import here",
            upload=upload,
            data_size=size,
            limit=setting("MAX_RUN_SIZE"),
            command=command_line(
                upload.filename,
                options,
                importer=registered_name(importer),
                model=self.opts.label,
            ),
            status=413,
        )

    def render_result(
        self,
        request: HttpRequest,
        upload: uploads.Upload,
        outcome: runs.Outcome,
        status: int = 200,
    ) -> TemplateResponse:
        data = outcome.data
        imported = outcome.status == runs.IMPORTED
        return self.render(
            request,
            self.import_result_template,
            f"Imported {upload.filename}"
            if imported
            else f"{upload.filename} was not imported",
            status=status,
            upload=upload,
            outcome=outcome,
            imported=imported,
            totals=plans.totals(data) if data else None,
            errors=plans.errors(data)[: setting("PAGE_SIZE")] if data else [],
        )
