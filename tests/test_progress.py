"""The progress bar: drawn in place on the command's stderr, only for a terminal."""

from io import StringIO

from django.core.management.base import OutputWrapper

from importers.progress import ProgressBar

from .conftest import run


def test_bar_redraws_in_place_with_rows_and_rate():
    out = StringIO()
    bar = ProgressBar(OutputWrapper(out))
    bar.start("posts.csv", total=1000)
    bar.update(500, rows=5000)
    bar.update(1000, rows=10000)
    bar.finish()
    text = out.getvalue()
    assert "posts.csv" in text and "10,000 rows" in text and "rows/s" in text
    # Django's OutputWrapper would end every frame with a newline: one line at most.
    assert text.count("\n") <= 1


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path, db):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada\n")
    result = run("load_data", str(path))
    assert result.error is None and result.stderr == ""
