"""Check the built documentation site (run by ``.ci/run`` after ``mkdocs build --strict``).

    python tools/check_docs.py SITE_DIR

Fails, listing every finding, when the HTML has:

* raw reST: Sphinx roles (``:class:`X```), directives (``.. code-block::``), a literal-block
  ``::`` or a ``~azure.`` reference, anywhere in the pages or the search index;
* private module paths (``azure.ai.voicelive.models._session...``) in anchors, links or headings,
  or private helper types (``_MappingBase``, ``_M``) in the reference;
* an external script, stylesheet or font (the site must work offline), or a page with a Mermaid
  diagram that does not load the bundled Mermaid;
* a broken internal link or anchor;
* a model field or enum member of the public-surface description
  (``tools/azure-ai-voicelive-1.3.1.json``) missing from the models reference;
* a sequence-diagram message with a ``;`` (it ends the statement: the diagram fails to render).
"""

from __future__ import annotations

import html
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tools" / "azure-ai-voicelive-1.3.1.json"
MODELS = "azure.ai.voicelive.models"

REST = [
    (re.compile(r"(?<![\w:]):(?:py:)?(?:class|meth|func|attr|data|mod|exc|obj|const):(?=\S)"), "Sphinx role"),
    (
        re.compile(r"(?<![\w:]):(?:param|keyword|raises|ivar|vartype|type)\s+[\w.]+:|:(?:returns?|rtype):"),
        "Sphinx field",
    ),
    (re.compile(r"\.\. [a-z][a-z-]*::"), "reST directive"),
    (re.compile(r"~azure\."), "reST ~reference"),
    (re.compile(r"(?<!:)::[ \t]*$", re.M), "reST literal-block marker"),
]
BLOCK_TAGS = {"p", "li", "div", "td", "th", "tr", "pre", "br", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt"}
PRIVATE_PATH = re.compile(r"azure\.ai\.voicelive(?:\.\w+)*\._\w+")
PRIVATE_TYPES = re.compile(r"\b(?:_MappingBase|_M|_Json|_Field)\b")


class Page(HTMLParser):
    """Ids, links, heading text, scripts, stylesheets and visible text of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._in: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.text.append("\n")
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        if tag == "link" and any(
            r in a.get("rel", "").split() for r in ("stylesheet", "preload", "modulepreload")
        ):
            self.styles.append(a.get("href", ""))
        if tag in ("script", "style"):
            self._in.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.text.append("\n")
        if tag in ("script", "style") and self._in:
            self._in.pop()
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._in:
            return
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def target_file(site: Path, page_path: Path, href: str) -> tuple[Path | None, str]:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("mailto:", "data:", "javascript:")):
        return None, ""
    if not parts.path:
        return page_path, unquote(parts.fragment)
    target = (page_path.parent / unquote(parts.path)).resolve()
    if target.is_dir() or parts.path.endswith("/"):
        target = target / "index.html"
    return target, unquote(parts.fragment)


def check(site: Path) -> list[str]:
    problems: list[str] = []
    pages = sorted(p for p in site.rglob("*.html"))
    parsed = {p: parse(p) for p in pages}
    rel = {p: p.relative_to(site).as_posix() for p in pages}

    for path, page in parsed.items():
        name = rel[path]
        text = "".join(page.text)
        for pattern, what in REST:
            for m in pattern.finditer(text):
                snippet = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
                problems.append(f"{name}: {what}: ...{snippet.strip()}...")
        for ident in page.ids:
            if PRIVATE_PATH.search(ident):
                problems.append(f"{name}: private module path in anchor id {ident!r}")
        for heading in page.headings:
            if PRIVATE_PATH.search(heading):
                problems.append(f"{name}: private module path in heading {heading!r}")
        if name.startswith("reference/"):
            for m in PRIVATE_TYPES.finditer(text):
                snippet = text[max(0, m.start() - 40) : m.end() + 20].replace("\n", " ")
                problems.append(f"{name}: private helper type shown: ...{snippet.strip()}...")
        for src in page.scripts + page.styles:
            if urlsplit(src).scheme or src.startswith("//"):
                problems.append(f"{name}: external script/style {src!r} (the site must work offline)")
        raw = path.read_text(encoding="utf-8")
        if re.search(r"fonts\.googleapis|fonts\.gstatic|unpkg\.com|cdn\.jsdelivr", raw):
            problems.append(f"{name}: refers to a CDN (fonts, unpkg, jsdelivr)")
        if 'class="mermaid"' in raw and "assets/javascripts/mermaid.min.js" not in raw:
            problems.append(f"{name}: has a Mermaid diagram but does not load the bundled Mermaid")
        for href in page.links if name != "404.html" else []:  # 404 links from the site root
            if PRIVATE_PATH.search(href):
                problems.append(f"{name}: link to a private module path {href!r}")
            target, fragment = target_file(site, path, href)
            if target is None:
                continue
            if not target.exists():
                problems.append(f"{name}: broken link {href!r}")
            elif fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if fragment not in ids:
                    problems.append(f"{name}: broken anchor {href!r}")

    if (
        (site / "assets/javascripts/mermaid.min.js").stat().st_size < 100_000
        if (site / "assets/javascripts/mermaid.min.js").exists()
        else True
    ):
        if any('class="mermaid"' in p.read_text(encoding="utf-8") for p in pages):
            problems.append("assets/javascripts/mermaid.min.js is missing or truncated")

    index = site / "search" / "search_index.json"
    if index.exists():
        for doc in json.loads(index.read_text(encoding="utf-8"))["docs"]:
            body = html.unescape(re.sub(r"<[^>]+>", "", doc.get("text", "")))
            for pattern, what in REST[:4]:
                if pattern.search(body):
                    problems.append(f"search index {doc['location']}: {what}")
            if PRIVATE_PATH.search(doc["location"]):
                problems.append(f"search index: private module path in {doc['location']!r}")

    problems += check_models(site)
    problems += check_mermaid_sources(ROOT / "docs")
    return problems


def _sections(page: Path) -> dict[str, str]:
    """Class path -> the HTML of its entry on a reference page."""
    raw = page.read_text(encoding="utf-8")
    starts = [
        (m.start(), m.group(1))
        for m in re.finditer(r'<div class="doc doc-object doc-class">\s*<h\d[^>]*id="([^"]+)"', raw)
    ]
    out = {}
    for i, (pos, ident) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(raw)
        out[ident] = raw[pos:end]
    return out


def check_models(site: Path) -> list[str]:
    spec = json.loads(SPEC.read_text())["modules"][MODELS]["names"]
    sections: dict[str, str] = {}
    for page in (site / "reference" / "models").rglob("index.html"):
        sections.update(_sections(page))
    problems = []
    for name, entry in sorted(spec.items()):
        if entry["kind"] not in ("model", "enum"):
            continue
        section = sections.get(f"{MODELS}.{name}")
        if section is None:
            problems.append(f"models reference: no entry for {MODELS}.{name}")
            continue
        text = html.unescape(re.sub(r"<[^>]+>", " ", section))
        if entry["kind"] == "model":
            for f in entry["fields"]:
                if not re.search(rf"(?<![\w.]){re.escape(f['attr'])}(?!\w)", text):
                    problems.append(f"models reference: {name} lacks field {f['attr']!r}")
        else:
            for m in entry["members"]:
                if m["name"] not in text or f'"{m["value"]}"' not in text:
                    problems.append(f"models reference: {name} lacks member {m['name']} = {m['value']!r}")
    return problems


def check_mermaid_sources(docs: Path) -> list[str]:
    problems = []
    for md in sorted(docs.rglob("*.md")):
        for block in re.finditer(r"```mermaid\n(.*?)```", md.read_text(encoding="utf-8"), re.S):
            body = block.group(1)
            if not body.lstrip().startswith("sequenceDiagram"):
                continue
            for line in body.splitlines():
                if "->>" in line or "-->>" in line or "-)" in line or "->" in line:
                    message = line.split(":", 1)[1] if ":" in line else ""
                    if ";" in message:
                        problems.append(
                            f"{md.relative_to(docs.parent)}: ';' in a sequence-diagram message ends it: {line.strip()!r}"
                        )
    return problems


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    site = Path(sys.argv[1])
    problems = check(site)
    if problems:
        print(f"docs check: {len(problems)} problem(s) in {site}:")
        for p in problems:
            print("  -", p)
        return 1
    pages = sum(1 for _ in site.rglob("*.html"))
    print(
        f"docs check: {pages} pages OK (no reST, no private paths, offline, links and anchors, models complete)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
