"""The README and the docs pages stay true to the code, and findable."""

from __future__ import annotations

import re

from config import docs
from tests.conftest import EXAMPLES, ROOT

README = (ROOT / "README.md").read_text()
DOCS = {path.name: path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))}


def test_config_table_is_current():
    page = DOCS["configuration.md"]
    assert docs.refreshed(page) == page, "docs/configuration.md's key table is stale: run `pipenv run docs`"


def test_samples_show_the_default_images():
    """The HCL samples set server.image as the schema's default, which `pipenv run docs` writes in."""
    for page in docs.SAMPLE_PAGES:
        text = page.read_text()
        repositories = [image.rsplit(":", 1)[0] for image in docs.DEFAULT_IMAGES]
        assert any(f'"{repository}:' in text for repository in repositories), (
            f"{page.name}: no sample image; drop it from SAMPLE_PAGES"
        )
        assert docs.with_default_images(text) == text, (
            f"{page.relative_to(ROOT)} shows an image other than the default (config/services.py): run `pipenv run docs`"
        )


def test_every_example_is_documented():
    for name in EXAMPLES:
        assert f"`examples/{name}.hcl`" in README, name


def test_checkov_skip_count_matches():
    skips = len(re.findall(r"^\s*-\s*CKV", (ROOT / ".checkov.yaml").read_text(), re.M))
    assert f"{skips} checks are skipped" in DOCS["security.md"]


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
    for heading in headings(README) + [h for page in DOCS.values() for h in headings(page)]:
        text = heading.lstrip("#").strip()
        assert "-->" not in text and text.count('"') % 2 == 0 and text.count("`") % 2 == 0, heading
        assert text.count("(") == text.count(")") and not text.endswith((",", "(", "before")), heading


def test_every_docs_page_is_linked_from_the_readme_and_short():
    assert DOCS, "no docs/*.md pages"
    for name, page in DOCS.items():
        assert f"](docs/{name})" in README, f"docs/{name} is not linked from the README"
        assert len(page.splitlines()) <= 400, f"docs/{name}: {len(page.splitlines())} lines; split it by task"
    assert len(README.splitlines()) < 300, "the README is for a newcomer's first read: move detail to docs/"


def test_links_between_pages_resolve():
    """Every link to a page of this repository names a file that exists, and an anchor it has."""

    def anchors(text: str) -> set[str]:
        return {re.sub(r"[^\w\- ]", "", h.lstrip("#").strip().lower()).replace(" ", "-") for h in headings(text)}

    pages = {"README.md": (ROOT, README)} | {f"docs/{n}": (ROOT / "docs", t) for n, t in DOCS.items()}
    for name, (base, text) in pages.items():
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path = (base / target).resolve() if target else (ROOT / name)
            assert path.exists(), f"{name}: link to {target} which does not exist"
            if anchor and path.suffix == ".md":
                assert anchor in anchors(path.read_text()), f"{name}: {target}#{anchor} names no heading there"
