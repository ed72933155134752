"""The admin import pages through Django's test client: permissions, CSRF, limits,
the sha256 and plan checks, escaping. The browser tests are test_admin_browser.py."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client
from django.urls import reverse

from importers.admin import ImportAdminMixin, add_import_buttons
from importers.admin.conf import PrivateStorage
from importers.admin.mixin import registered_importer
from mysite.blog.admin import PostAdmin
from mysite.blog.models import Author, Category, Post, Tag

from .conftest import ROOT

IMPORT_URL = "/admin/blog/post/import/"
HEADER = "slug,title,author,category,status,published_at,views,rating,body,tags\n"


def posts_csv(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


def new_post(n: int, title: str = "A new post") -> str:
    return f"new-post-{n},{title},amara,,draft,,{n},,Body {n},"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path) -> Path:
    folder = tmp_path / "uploads"
    settings.IMPORTERS_ADMIN_UPLOAD_DIR = str(folder)
    return folder


@pytest.fixture
def site_data(db):
    amara = Author.objects.create(username="amara", name="Amara Okafor")
    Category.objects.create(slug="django", name="Django")
    Tag.objects.create(name="admin")
    Post.objects.create(
        slug="old-post", title="Old title", author=amara, body="Old body", views=1
    )
    return amara


@pytest.fixture
def staff_client(db, site_data) -> Client:
    """A staff user with the add and change permissions on posts, not superuser."""
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    for codename in ("view_post", "add_post", "change_post"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(db, site_data) -> Client:
    """A staff user who may only view posts."""
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_post"))
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, content: bytes, name: str = "posts.csv", **fields):
    data = {"file": SimpleUploadedFile(name, content), "on_error": "abort", **fields}
    return client.post(IMPORT_URL, data)


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.fullmatch(r"/admin/blog/post/import/([\w-]+)/", response.url)
    assert match, response.url
    return match.group(1)


def preview(client: Client, token: str, query: str = "") -> str:
    response = client.get(f"{IMPORT_URL}{token}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def sha256_in(page: str) -> str:
    return re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)


def confirm(client: Client, token: str, sha256: str, **kwargs):
    return client.post(f"{IMPORT_URL}{token}/confirm/", {"sha256": sha256}, **kwargs)


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# -- the flow -------------------------------------------------------------------
def test_changelist_has_an_import_button(staff_client):
    page = staff_client.get("/admin/blog/post/").content.decode()
    assert f'href="{IMPORT_URL}"' in page


def test_upload_preview_confirm_imports_the_file(staff_client, upload_dir):
    content = posts_csv(
        new_post(1), new_post(2), "old-post,New title,amara,,draft,,1,,Old body,"
    )
    token = token_of(upload(staff_client, content))
    page = preview(staff_client, token)
    assert re.search(r'class="count-create">2<', page)
    assert re.search(r'class="count-update">1<', page)
    assert Post.objects.count() == 1  # the preview wrote nothing

    response = confirm(staff_client, token, sha256_in(page))

    assert response.status_code == 200
    result = response.content.decode()
    assert "was imported" in result
    assert re.search(r'class="count-create">2<', result)
    assert Post.objects.get(slug="old-post").title == "New title"
    assert set(Post.objects.values_list("slug", flat=True)) == {
        "old-post",
        "new-post-1",
        "new-post-2",
    }
    assert stored_files(upload_dir) == []  # deleted after the run


def test_preview_shows_each_changed_field_old_and_new(staff_client):
    content = posts_csv("old-post,New title,amara,django,draft,,7,,Old body,admin")
    token = token_of(upload(staff_client, content))
    page = preview(staff_client, token, "?action=update")
    rows = re.search(r'<table id="import-rows".*?</table>', page, re.S).group(0)
    for field, old, new in [
        ("title", "Old title", "New title"),
        ("category", "", "django"),
        ("views", "1", "7"),
        ("tags", "", "admin"),
    ]:
        assert re.search(
            rf'"change-field">{field}</td><td class="change-old"><del>{old}</del>'
            rf'</td><td class="change-new"><ins>{new}</ins>',
            rows,
        ), field


def test_preview_pages_through_many_rows(staff_client, settings):
    settings.IMPORTERS_ADMIN_PAGE_SIZE = 10
    token = token_of(upload(staff_client, posts_csv(*(new_post(n) for n in range(25)))))
    first = preview(staff_client, token)
    third = preview(staff_client, token, "?action=create&page=3")
    assert "new-post-0<" in first and "new-post-10<" not in first
    assert "new-post-20<" in third and "new-post-9<" not in third
    assert "rows 21-25 of 25" in third


def test_rejected_rows_are_listed_by_line_and_nothing_can_be_written(staff_client):
    content = posts_csv(
        new_post(1),
        "bad-views,Title,amara,,draft,,many,,Body,",
        "no-author,Title,nobody,,draft,,1,,Body,",
    )
    token = token_of(upload(staff_client, content))
    page = preview(staff_client, token)
    errors = re.search(r'<table class="importers-errors".*?</table>', page, re.S)
    lines = re.findall(r'"error-line">(\d+)<', errors.group(0))
    assert lines == ["3", "4"]
    assert re.search(r'"error-column">views</td>\s*<td class="error-value">many<', page)
    assert 'id="confirm"' not in page  # on-error abort: nothing would be imported
    assert "2 rows would be rejected" in page

    response = confirm(staff_client, token, sha256_in(page))

    assert response.status_code == 302
    assert Post.objects.count() == 1


def test_errors_file_downloads_the_rejected_rows(staff_client):
    content = posts_csv(new_post(1), "bad,Title,amara,,draft,,many,,Body,")
    token = token_of(upload(staff_client, content))
    assert f"{token}/errors.csv" in preview(staff_client, token)
    response = staff_client.get(f"{IMPORT_URL}{token}/errors.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="posts-errors.csv"'
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == HEADER.strip() + ",line,error"
    assert text.splitlines()[1].startswith("bad,Title,amara")


def test_on_error_skip_imports_the_valid_rows(staff_client):
    content = posts_csv(new_post(1), "bad,Title,amara,,draft,,many,,Body,")
    token = token_of(upload(staff_client, content, on_error="skip"))
    page = preview(staff_client, token)
    response = confirm(staff_client, token, sha256_in(page))
    assert "was imported" in response.content.decode()
    assert Post.objects.filter(slug="new-post-1").exists()
    assert not Post.objects.filter(slug="bad").exists()


def test_a_changed_database_shows_the_new_preview_instead_of_writing(staff_client):
    token = token_of(upload(staff_client, posts_csv(new_post(1), new_post(2))))
    sha256 = sha256_in(preview(staff_client, token))
    Post.objects.create(
        slug="new-post-2", title="Meanwhile", author=Author.objects.get(), body="x"
    )

    response = confirm(staff_client, token, sha256)

    assert response.status_code == 302
    assert response.url == f"{IMPORT_URL}{token}/"
    assert not Post.objects.filter(slug="new-post-1").exists()  # nothing written
    page = preview(staff_client, token)
    assert "The data changed since the preview" in page
    assert re.search(r'class="count-create">1<', page)
    assert re.search(r'class="count-update">1<', page)
    response = confirm(staff_client, token, sha256_in(page))
    assert "was imported" in response.content.decode()
    assert Post.objects.get(slug="new-post-2").title == "A new post"


def test_a_changed_old_value_is_a_changed_plan(staff_client):
    content = posts_csv("old-post,New title,amara,,draft,,1,,Old body,")
    token = token_of(upload(staff_client, content))
    sha256 = sha256_in(preview(staff_client, token))
    Post.objects.filter(slug="old-post").update(title="Edited meanwhile")

    response = confirm(staff_client, token, sha256)

    assert response.status_code == 302
    assert Post.objects.get(slug="old-post").title == "Edited meanwhile"
    assert "Edited meanwhile" in preview(staff_client, token, "?action=update")


def test_compressed_files_and_other_formats(staff_client):
    content = gzip.compress(posts_csv(new_post(1)))
    token = token_of(upload(staff_client, content, name="posts.csv.gz"))
    assert re.search(r'class="count-create">1<', preview(staff_client, token))
    json_rows = b'[{"slug": "j", "title": "T", "author": "amara", "body": "B"}]'
    response = upload(staff_client, json_rows, name="export.dat")
    assert "cannot tell the format" in response.content.decode()
    token = token_of(upload(staff_client, json_rows, name="export.dat", format="json"))
    assert re.search(r'class="count-create">1<', preview(staff_client, token))


def test_an_unreadable_file_is_an_error_on_the_form(staff_client, upload_dir):
    response = upload(staff_client, b"slug,title\nx,<b>bold</b>\n")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="import-error"' in page
    assert "author" in page  # a required column is missing
    assert stored_files(upload_dir) == []


# -- permissions and CSRF -------------------------------------------------------
def test_without_add_and_change_permission_every_page_is_403(
    viewer_client, staff_client
):
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    page = viewer_client.get("/admin/blog/post/").content.decode()
    assert IMPORT_URL not in page
    assert viewer_client.get(IMPORT_URL).status_code == 403
    assert upload(viewer_client, posts_csv(new_post(1))).status_code == 403
    assert viewer_client.get(f"{IMPORT_URL}{token}/").status_code == 403
    assert confirm(viewer_client, token, "0" * 64).status_code == 403
    assert viewer_client.get(f"{IMPORT_URL}{token}/errors.csv").status_code == 403
    assert Post.objects.count() == 1


def test_another_users_upload_is_not_found(staff_client, admin_client):
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    response = admin_client.get(f"{IMPORT_URL}{token}/")
    assert response.status_code == 302 and response.url == IMPORT_URL
    sha256 = sha256_in(preview(staff_client, token))
    assert confirm(admin_client, token, sha256).status_code == 302
    assert not Post.objects.filter(slug="new-post-1").exists()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_csrf_token_is_required(staff_client):
    user = User.objects.get(username="editor")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert upload(strict, posts_csv(new_post(1))).status_code == 403
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    sha256 = sha256_in(preview(staff_client, token))
    assert confirm(strict, token, sha256).status_code == 403
    assert Post.objects.count() == 1
    page = strict.get(IMPORT_URL).content.decode()  # with the form's token: fine
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = upload(strict, posts_csv(new_post(1)), csrfmiddlewaretoken=csrf)
    assert response.status_code == 302


def test_confirm_accepts_only_post(staff_client):
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    assert staff_client.get(f"{IMPORT_URL}{token}/confirm/").status_code == 405


# -- limits, the stored file ------------------------------------------------------
def test_upload_size_limit_is_enforced_while_uploading(
    staff_client, settings, upload_dir
):
    settings.IMPORTERS_ADMIN_MAX_UPLOAD_SIZE = 1000
    response = upload(staff_client, posts_csv(*(new_post(n) for n in range(100))))
    page = response.content.decode()
    assert response.status_code == 200
    assert "larger than the upload limit of 1000" in page
    assert stored_files(upload_dir) == []


class RecordingHandler(FileUploadHandler):
    """Counts the bytes of uploaded files that reach the handlers keeping them."""

    received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        RecordingHandler.received += len(raw_data)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def test_the_upload_stops_being_received_at_the_limit(staff_client, settings):
    settings.IMPORTERS_ADMIN_MAX_UPLOAD_SIZE = 200_000
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.test_admin_import.RecordingHandler",
        *settings.FILE_UPLOAD_HANDLERS,
    ]
    RecordingHandler.received = 0
    content = posts_csv(*(new_post(n, title="x" * 1000) for n in range(1000)))
    assert len(content) > 1_000_000

    response = upload(staff_client, content)

    assert "larger than the upload limit" in response.content.decode()
    assert 0 < RecordingHandler.received <= 200_000


def test_above_the_run_limit_the_page_gives_the_command(
    staff_client, settings, upload_dir
):
    settings.IMPORTERS_ADMIN_MAX_RUN_SIZE = 500
    content = posts_csv(*(new_post(n) for n in range(20)))
    response = upload(staff_client, content, on_error="skip", delimiter=";")
    page = response.content.decode()
    assert response.status_code == 413
    assert (
        "python manage.py load_data posts.csv --importer posts --on-error skip "
        "--delimiter &#x27;;&#x27;"
    ) in page
    assert stored_files(upload_dir) == []
    assert Post.objects.count() == 1


def test_the_run_limit_counts_decompressed_bytes(staff_client, settings):
    settings.IMPORTERS_ADMIN_MAX_RUN_SIZE = 2000
    content = gzip.compress(posts_csv(*(new_post(n) for n in range(100))))
    assert len(content) < 2000
    response = upload(staff_client, content, name="posts.csv.gz")
    assert response.status_code == 413


def test_a_file_changed_after_its_preview_is_not_imported(staff_client, upload_dir):
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    sha256 = sha256_in(preview(staff_client, token))
    (stored,) = (upload_dir / token / "file").iterdir()
    stored.write_bytes(posts_csv(new_post(1), new_post(2)))

    response = confirm(staff_client, token, sha256)

    assert response.status_code == 409
    assert "not the one previewed" in response.content.decode()
    assert Post.objects.count() == 1
    assert stored_files(upload_dir) == []


def test_a_confirm_for_another_digest_is_not_imported(staff_client):
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    response = confirm(staff_client, token, "0" * 64)
    assert response.status_code == 409
    assert Post.objects.count() == 1


def test_a_second_confirm_finds_the_upload_gone(staff_client):
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    sha256 = sha256_in(preview(staff_client, token))
    assert confirm(staff_client, token, sha256).status_code == 200
    response = confirm(staff_client, token, sha256, follow=True)
    assert "no longer here" in response.content.decode()
    assert Post.objects.filter(slug="new-post-1").count() == 1


def test_old_uploads_are_swept(staff_client, settings, upload_dir):
    token_of(upload(staff_client, posts_csv(new_post(1))))
    assert stored_files(upload_dir)
    settings.IMPORTERS_ADMIN_UPLOAD_TTL = -1
    staff_client.get(IMPORT_URL)
    assert stored_files(upload_dir) == []


def test_the_default_storage_is_private_and_has_no_urls(staff_client, upload_dir):
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    folder = upload_dir / token
    assert folder.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in stored_files(upload_dir))
    with pytest.raises(NotImplementedError):
        PrivateStorage(upload_dir).url(f"{token}/plan.json")


def test_a_storage_from_the_storages_setting(staff_client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "importers": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
        },
    }
    token = token_of(upload(staff_client, posts_csv(new_post(1))))
    sha256 = sha256_in(preview(staff_client, token))
    assert "was imported" in confirm(staff_client, token, sha256).content.decode()
    assert Post.objects.filter(slug="new-post-1").exists()


# -- escaping ---------------------------------------------------------------------
def test_html_in_cells_and_messages_is_shown_as_text(staff_client):
    script = "<script>alert(1)</script>"
    content = posts_csv(
        new_post(1, title=script), f"bad,T,amara,,draft,,{script},,Body,"
    )
    token = token_of(upload(staff_client, content, on_error="skip"))
    page = preview(staff_client, token)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    response = confirm(staff_client, token, sha256_in(page))
    assert "<script>alert" not in response.content.decode()
    assert Post.objects.get(slug="new-post-1").title == script


def test_a_file_name_with_html_is_shown_as_text(staff_client):
    response = upload(staff_client, posts_csv(new_post(1)), name="<b>x</b>.csv")
    page = preview(staff_client, token_of(response))
    assert "<b>x</b>" not in page


# -- registering ------------------------------------------------------------------
def test_every_admin_of_a_model_with_an_importer_gets_the_pages():
    site = admin.AdminSite(name="other")

    class CategoryAdmin(admin.ModelAdmin):
        change_list_template = "admin/change_list.html"

    site.register(Post)
    site.register(Category, CategoryAdmin)
    site.register(User)

    changed = add_import_buttons(site)

    assert changed == [Post, Category]
    assert isinstance(site._registry[Post], ImportAdminMixin)
    assert site._registry[Category].change_list_template == "admin/change_list.html"
    assert not isinstance(site._registry[User], ImportAdminMixin)
    assert add_import_buttons(site) == []


def test_the_blog_admin_uses_the_registered_importer(rf):
    assert isinstance(admin.site._registry[Post], PostAdmin)
    assert admin.site._registry[Post].get_importer(rf.get("/")) is (
        registered_importer(Post)
    )


def test_the_admin_pages_load_the_engine_only_when_used():
    """Admin autodiscovery imports importers.admin for every manage.py command."""
    code = (
        "import sys, django; django.setup(); "
        "import importers.admin; "
        "assert 'importers.pipeline' not in sys.modules, 'engine loaded'"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mysite.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
