"""tools/check_docs.py (the CI check of the built site) finds what it promises to find.

Each test builds a tiny site in a temporary folder with one defect and asserts the check reports
it; a clean site passes. The real site is checked by ``.ci/run`` after ``mkdocs build``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_docs", ROOT / "tools" / "check_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_docs = _load()
SPEC = json.loads((ROOT / "tools" / "azure-ai-voicelive-1.3.1.json").read_text())
NAMES = SPEC["modules"]["azure.ai.voicelive.models"]["names"]


def _model_section(name: str) -> str:
    entry = NAMES[name]
    if entry["kind"] == "enum":
        rows = "".join(
            f'<tr><td><code>{m["name"]}</code></td><td>"{m["value"]}"</td></tr>' for m in entry["members"]
        )
    else:
        rows = "".join(f"<tr><td><code>{f['attr']}</code></td></tr>" for f in entry["fields"])
    return (
        f'<div class="doc doc-object doc-class">\n<h2 id="azure.ai.voicelive.models.{name}">{name}</h2>'
        f"<table>{rows}</table></div>\n"
    )


def _site(
    tmp_path: Path, page: str = "<p>Fine.</p>", skip: str | None = None, drop_field: bool = False
) -> Path:
    site = tmp_path / "site"
    (site / "guide").mkdir(parents=True)
    (site / "index.html").write_text(
        f'<html><body><h1 id="top">Home</h1>{page}<a href="guide/">g</a></body></html>'
    )
    (site / "guide" / "index.html").write_text(
        '<html><body><h2 id="there">There</h2><a href="../#top">up</a></body></html>'
    )
    models = site / "reference" / "models"
    models.mkdir(parents=True)
    sections = []
    for name, entry in NAMES.items():
        if entry["kind"] not in ("model", "enum") or name == skip:
            continue
        section = _model_section(name)
        if drop_field and name == "RequestSession":
            section = section.replace("<code>instructions</code>", "")
        sections.append(section)
    (models / "index.html").write_text("<html><body>" + "".join(sections) + "</body></html>")
    return site


def test_a_clean_site_passes(tmp_path: Path) -> None:
    assert check_docs.check(_site(tmp_path)) == []


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("<p>Returns a :class:<code>Model</code>.</p>", "Sphinx role"),
        ("<p>:param endpoint: the endpoint</p>", "Sphinx field"),
        ("<p>.. code-block:: python</p>", "reST directive"),
        ("<p>see ~azure.ai.voicelive.aio.connect</p>", "~reference"),
        ("<p>Use it like this::</p>", "literal-block"),
        (
            '<h2 id="azure.ai.voicelive.models._session.RequestSession">RequestSession</h2>',
            "private module path",
        ),
        ('<script src="https://unpkg.com/mermaid@11/dist/mermaid.min.js"></script>', "external script"),
        (
            '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
            "external script/style",
        ),
        ('<pre class="mermaid"><code>sequenceDiagram</code></pre>', "bundled Mermaid"),
        ('<a href="missing/">x</a>', "broken link"),
        ('<a href="guide/#nowhere">x</a>', "broken anchor"),
    ],
)
def test_each_defect_is_reported(tmp_path: Path, page: str, expected: str) -> None:
    problems = check_docs.check(_site(tmp_path, page))
    assert any(expected in p for p in problems), problems


def test_a_model_missing_from_the_reference_is_reported(tmp_path: Path) -> None:
    problems = check_docs.check(_site(tmp_path, skip="ServerVad"))
    assert problems == ["models reference: no entry for azure.ai.voicelive.models.ServerVad"]


def test_a_field_missing_from_a_model_entry_is_reported(tmp_path: Path) -> None:
    problems = check_docs.check(_site(tmp_path, drop_field=True))
    assert problems == ["models reference: RequestSession lacks field 'instructions'"]


def test_a_semicolon_in_a_sequence_diagram_message_is_reported(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.md").write_text("```mermaid\nsequenceDiagram\n    A->>B: one; two\n    B-->>A: fine\n```\n")
    problems = check_docs.check_mermaid_sources(docs)
    assert len(problems) == 1 and "one; two" in problems[0]
