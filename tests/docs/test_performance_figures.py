"""docs/performance.md's figures are generated from the committed benchmark JSON, never by hand."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results.json"


def load_report() -> Any:
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "benchmarks" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_block_matches_the_committed_json() -> None:
    report = load_report()
    # Rendered afresh from the JSON, the block must equal what the docs hold: an edit by hand (or
    # a report.py change without regenerating) fails here. Fix: python benchmarks/report.py
    # benchmarks/results.json --write
    assert report.update_docs(RESULTS, check=True)


def test_the_json_holds_every_section_the_docs_show() -> None:
    results = json.loads(RESULTS.read_text())
    for section in ("receive", "send", "import", "memory", "connect", "scale", "profile"):
        assert section in results, section
    assert {"sdk", "sdk+speedups", "raw", "official"} <= set(results["receive"])
    variants = {(s["variant"], s["loop"]) for s in results["scale"]["searches"]}
    assert {("raw", "asyncio"), ("sdk", "asyncio"), ("sdk+speedups", "asyncio")} <= variants


def test_a_hand_edited_figure_is_detected(tmp_path: Path) -> None:
    report = load_report()
    doc = tmp_path / "performance.md"
    doc.write_text((ROOT / "docs" / "performance.md").read_text())
    assert report.update_docs(RESULTS, doc, check=True)
    text = doc.read_text()
    begin = text.index(report.BEGIN)
    first_digit = next(i for i in range(begin, len(text)) if text[i].isdigit() and text[i] != "0")
    doc.write_text(text[:first_digit] + "0" + text[first_digit + 1 :])
    assert not report.update_docs(RESULTS, doc, check=True)
