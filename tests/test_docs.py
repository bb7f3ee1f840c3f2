"""The README stays true to the code."""
from __future__ import annotations

import re

from config import docs
from tests.conftest import EXAMPLES, ROOT

README = (ROOT / "README.md").read_text()


def test_config_table_is_current():
    assert docs.refreshed(README) == README, "README's key table is stale: run `pipenv run docs`"


def test_every_example_is_documented():
    for name in EXAMPLES:
        assert f"`examples/{name}.hcl`" in README, name


def test_checkov_skip_count_matches():
    skips = len(re.findall(r"^\s*-\s*CKV", (ROOT / ".checkov.yaml").read_text(), re.M))
    assert f"{skips} checks are skipped" in README


def test_ci_runs_the_readme_test_command():
    command = re.search(r"# install and run the tests\n(.+)\n", README).group(1)
    assert command in (ROOT / ".ci" / "run").read_text()


def headings(text: str) -> list[str]:
    """Markdown headings outside code blocks."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,6} ", line):
            found.append(line)
    return found


def test_headings_are_whole():
    """No heading is a stray fragment: balanced quotes, backticks and brackets, no comment end."""
    for heading in headings(README):
        text = heading.lstrip("#").strip()
        assert "-->" not in text and text.count('"') % 2 == 0 and text.count("`") % 2 == 0, heading
        assert text.count("(") == text.count(")") and not text.endswith((",", "(", "before")), heading
