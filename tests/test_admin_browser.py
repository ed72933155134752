"""The admin import pages in a real browser: Playwright driving Chromium against
pytest-django's live server. Each step is saved as a screenshot under
tests/screenshots/<test>/ (git-ignored) for a person to look at.

They skip, saying why, when Playwright or Chromium is missing; with
IMPORTERS_BROWSER_TESTS=require (as .ci/run sets) they fail instead. The browser
is started per module, not per session: while Playwright runs, its event loop
makes Django refuse ORM calls from the test's thread, so the module allows them
(DJANGO_ALLOW_ASYNC_UNSAFE) only while its browser is up.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User

from importers.testing import import_files
from mysite.blog.models import Author, Post

CHROMIUM = os.environ.get("IMPORTERS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "a-long-test-password"


def missing() -> str | None:
    """Say what the browser tests lack on this machine, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright pytest-playwright)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


REASON = missing()
if REASON and os.environ.get("IMPORTERS_BROWSER_TESTS") == "require":
    raise RuntimeError(f"browser tests required, but {REASON}")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(REASON is not None, reason=f"browser tests: {REASON}"),
    pytest.mark.django_db(transaction=True),  # the live server sees committed rows
]


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Screens:
    """A browser page that saves a numbered screenshot of each step."""

    def __init__(self, page, folder: Path, base_url: str) -> None:
        self.page = page
        self.folder = folder
        self.base_url = base_url
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def shot(self, step: str) -> None:
        self.count += 1
        self.page.screenshot(
            path=self.folder / f"{self.count:02d}-{step}.png", full_page=True
        )

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def log_in(self, username: str) -> None:
        self.goto("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.shot("login")
        self.page.click("input[type=submit]")
        self.page.wait_for_selector("#user-tools")


@pytest.fixture
def screens(chromium, live_server, request, settings, tmp_path) -> Iterator[Screens]:
    settings.IMPORTERS_ADMIN_UPLOAD_DIR = str(tmp_path / "uploads")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)  # a busy CI machine
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    folder = SCREENSHOTS / request.node.name
    yield Screens(page, folder, live_server.url)
    context.close()
    assert dialogs == [], "a script from the data ran in the page"


def staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def upload(screens: Screens, path: Path, on_error: str = "abort") -> None:
    page = screens.page
    page.set_input_files("#id_file", str(path))
    page.select_option("#id_on_error", on_error)
    screens.shot("upload")
    page.click("input[name=_preview]")


def count(screens: Screens, action: str) -> str:
    return screens.page.inner_text(f"#import-counts .count-{action}")


def test_staff_uploads_previews_and_imports_the_reference_posts(
    screens, reference_data
):
    import_files(reference_data / "authors.csv", reference_data / "categories.csv")
    Post.objects.create(
        slug="post-00000000",
        title="Before the import",
        author=Author.objects.first(),
        body="x",
    )
    staff("editor", "view_post", "add_post", "change_post")
    page = screens.page
    screens.log_in("editor")
    screens.goto("/admin/blog/post/")
    screens.shot("changelist-before")
    page.click("text=Import")
    page.wait_for_selector("#import-form")

    upload(screens, reference_data / "posts.csv")

    page.wait_for_selector("#import-counts")
    screens.shot("preview")
    assert count(screens, "create") == "2499"
    assert count(screens, "update") == "1"
    assert count(screens, "reject") == "0"
    assert Post.objects.count() == 1  # a dry run
    page.click("#import-actions >> text=Update (1)")
    page.wait_for_selector("#import-rows.action-update")
    screens.shot("preview-update-diff")
    diff = page.locator("#import-rows tbody tr", has_text="title")
    assert diff.locator(".change-old").inner_text() == "Before the import"
    assert diff.locator(".change-new").inner_text() != "Before the import"

    page.click("#confirm")

    page.wait_for_selector("#import-result")
    screens.shot("result")
    assert "was imported" in page.inner_text("#import-result")
    assert count(screens, "create") == "2499"
    assert Post.objects.count() == 2500
    page.click("#to-changelist")
    page.wait_for_selector("#result_list")
    screens.shot("changelist-after")
    assert "2500 posts" in page.inner_text("#changelist-form .paginator")
    assert page.locator("#result_list", has_text="post-00000099").count() == 1


def test_rejected_rows_are_shown_by_line_and_nothing_is_written(screens, tmp_path):
    Author.objects.create(username="amara", name="Amara")
    staff("editor", "view_post", "add_post", "change_post")
    path = tmp_path / "posts.csv"
    path.write_text(
        "slug,title,author,status,views,body\n"
        "good-1,Good,amara,draft,1,Body\n"
        "bad-views,Bad,amara,draft,lots,Body\n"
        "good-2,Good,amara,draft,2,Body\n"
        "bad-author,Bad,nobody,draft,3,Body\n"
        "bad-status,Bad,amara,maybe,4,Body\n"
    )
    page = screens.page
    screens.log_in("editor")
    screens.goto("/admin/blog/post/import/")

    upload(screens, path)

    page.wait_for_selector("#import-errors")
    screens.shot("preview-errors")
    assert count(screens, "reject") == "3"
    rows = page.locator("#import-errors tbody tr")
    lines = [rows.nth(i).locator(".error-line").inner_text() for i in range(3)]
    columns = [rows.nth(i).locator(".error-column").inner_text() for i in range(3)]
    assert lines == ["3", "5", "6"]
    assert columns == ["views", "author", "status"]
    assert "would be rejected" in page.inner_text("#cannot-confirm")
    assert page.locator("#confirm").count() == 0
    with page.expect_download() as download:
        page.click("#errors-file")
    text = Path(download.value.path()).read_text()
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == [
        "bad-views",
        "bad-author",
        "bad-status",
    ]
    assert Post.objects.count() == 0


def test_a_user_without_permission_gets_403(screens):
    staff("viewer", "view_post")
    page = screens.page
    screens.log_in("viewer")
    screens.goto("/admin/blog/post/")
    screens.shot("changelist-without-import")
    assert page.locator(".object-tools >> text=Import").count() == 0

    response = screens.goto("/admin/blog/post/import/")

    screens.shot("forbidden")
    assert response.status == 403


def test_html_in_a_cell_is_shown_as_text(screens, tmp_path):
    Author.objects.create(username="amara", name="Amara")
    staff("editor", "view_post", "add_post", "change_post")
    script = "<script>alert('x')</script>"
    image = "<img src=x onerror=alert(1)>"
    path = tmp_path / "posts.csv"
    path.write_text(
        "slug,title,author,status,views,body\n"
        f'html,"{script}",amara,draft,1,"{image}"\n'
        f'bad,Bad,amara,draft,"{image}",Body\n'
    )
    page = screens.page
    screens.log_in("editor")
    screens.goto("/admin/blog/post/import/")

    upload(screens, path, on_error="skip")

    page.wait_for_selector("#import-rows")
    screens.shot("preview-with-html")
    cells = page.locator("#import-rows tbody td").all_inner_texts()
    assert script in cells
    assert image in cells
    assert page.locator("#import-errors .error-value").inner_text() == image
    assert page.locator("#import-rows img, #import-errors img").count() == 0
    page.click("#confirm")
    page.wait_for_selector("#import-result")
    screens.shot("result")
    assert Post.objects.get(slug="html").title == script
