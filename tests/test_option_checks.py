"""--key and --lookup are checked as Importer.key and Importer.lookups are.

A key that is not unique, or a lookup attribute that cannot name one row, is a
usage error (exit 2) before any row is read; nothing is written.
"""

from __future__ import annotations

import pytest

from mysite.blog.models import Author, Post

from .conftest import run
from .reliability import table_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts_file(tmp_path, blog):
    post = Post.objects.order_by("pk").first()
    path = tmp_path / "posts.csv"
    path.write_text(
        "slug,title,body,author,category,tags\n"
        f"new-slug,Hijacked,body,{post.author.username},,x\n"
    )
    return path


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("author", "--key author: author is not unique in blog.Post"),
        ("title", "--key title: title is not unique in blog.Post"),
        ("tags", "--key tags: 'tags' is a many-to-many field, not a column"),
        ("nope", "--key nope: 'nope' is not a field of blog.Post"),
        ("slug,title", "--key slug,title: slug, title is not unique"),
    ],
)
def test_a_key_that_is_not_unique_is_a_usage_error(posts_file, key, message):
    before = table_state()
    result = run("load_data", str(posts_file), "--key", key)
    assert result.returncode == 2, result
    assert result.error.startswith(message)
    assert "\n" not in result.error
    assert table_state() == before


@pytest.mark.parametrize("key", ["slug", "id"])
def test_a_unique_key_is_accepted(posts_file, key):
    result = run("load_data", str(posts_file), "--key", key, "--dry-run")
    assert result.returncode != 2 or "--key" not in result.error


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        ("author=name", "--lookup author=name: blog.Author.name is not unique"),
        ("author=nick", "--lookup author=nick: 'nick' is not a field of blog.Author"),
        ("author=posts", "--lookup author=posts: blog.Author.posts is not a column"),
        ("title=x", "--lookup title=x: 'title' is not a relation of blog.Post"),
        ("nope=x", "--lookup nope=x: 'nope' is not a field of blog.Post"),
    ],
)
def test_a_lookup_that_cannot_name_one_row_is_a_usage_error(
    posts_file, lookup, message
):
    Author.objects.create(username="twin", name=Author.objects.first().name)
    before = table_state()
    result = run("load_data", str(posts_file), "--lookup", lookup)
    assert result.returncode == 2, result
    assert result.error.startswith(message)
    assert table_state() == before


def test_the_check_runs_in_a_subprocess_without_traceback(manage, tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("slug,title,body,author,category,tags\na,b,c,d,,\n")
    done = manage("load_data", str(path), "--key", "tags")
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert b"--key tags" in done.stderr


def test_a_lookup_applies_to_the_files_whose_model_has_the_field(tmp_path, blog):
    authors = tmp_path / "authors.csv"
    authors.write_text("username,name\nzed,Zed\n")
    posts = tmp_path / "posts.csv"
    posts.write_text("slug,title,body,author\nzed-post,T,b,zed\n")
    result = run("load_data", str(authors), str(posts), "--lookup", "author=username")
    assert result.error is None, result
    assert Post.objects.get(slug="zed-post").author.username == "zed"
