"""MkDocs hooks of the documentation site (``hooks:`` in ``mkdocs.yml``).

* The header shows the package version (from ``src/azure/ai/voicelive/_version.py``) and, when
  ``pyproject.toml`` has a ``[project.urls]`` ``Repository`` (or ``Source``) entry, a link to it.
* Mermaid is served from the site itself, never a CDN: a pinned ``mermaid`` release from the npm
  registry (``npm pack``, checked against a pinned SHA-256, cached in ``~/.cache/voicelive-docs``)
  is copied to ``assets/javascripts/`` and loaded only by pages that have a diagram.
* Guides link the API names they mention: an inline code span that names a public object
  (``VoiceLiveConnection``, ``FakeVoiceLiveServer.url``, ``conn.session.update()``...) becomes a link
  to its reference entry (through mkdocs-autorefs; a name the reference lacks stays plain code).
* The table of contents of the model pages lists the classes, not each of their fields.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.voicelive")
ROOT = Path(__file__).resolve().parents[1]

MERMAID_VERSION = "11.12.0"
MERMAID_SHA256 = "07e37dfa97b337ccc85365d57eddf99b9706f09db3b59b260d0333b23b343c4b"  # of package/dist/mermaid.min.js in mermaid-<MERMAID_VERSION>.tgz
MERMAID_JS = "assets/javascripts/mermaid.min.js"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "voicelive-docs"


# --- header: version and repository -----------------------------------------------------------


def on_config(config: Any, **kwargs: Any) -> Any:
    version = re.search(r'VERSION = "([^"]+)"', (ROOT / "src/azure/ai/voicelive/_version.py").read_text())
    if version:
        config["site_name"] = f"{config['site_name']} {version.group(1)}"
    # [project.urls] Repository = "..." (a regex: tomllib is 3.11+, and this is one line)
    repo = re.search(r'^(?:Repository|Source)\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    if repo and not config.get("repo_url"):
        config["repo_url"] = repo.group(1)
        config["repo_name"] = "voicelive"
    return config


# --- Mermaid, bundled ---------------------------------------------------------------------------


def _mermaid_js() -> bytes:
    """The pinned mermaid.min.js, from the cache or fetched once with ``npm pack``."""
    cached = CACHE / f"mermaid-{MERMAID_VERSION}.min.js"
    if not cached.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "the docs bundle Mermaid from the npm registry and need `npm` on PATH "
                f"(or put mermaid {MERMAID_VERSION}'s dist/mermaid.min.js at {cached})"
            )
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [npm, "pack", f"mermaid@{MERMAID_VERSION}", "--silent", "--pack-destination", tmp],
                check=True,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
            )
            (tgz,) = Path(tmp).glob("mermaid-*.tgz")
            with tarfile.open(tgz) as tar:
                member = tar.extractfile("package/dist/mermaid.min.js")
                assert member is not None
                data = member.read()
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
    data = cached.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if MERMAID_SHA256 and digest != MERMAID_SHA256:
        cached.unlink()
        raise RuntimeError(f"mermaid.min.js {MERMAID_VERSION}: SHA-256 {digest}, expected {MERMAID_SHA256}")
    return data


_BUNDLE = re.compile(r'<script src="([^"]*)assets/javascripts/bundle\.[0-9a-f]+\.min\.js"')


def on_post_page(output: str, page: Any, config: Any, **kwargs: Any) -> str:
    if 'class="mermaid"' not in output:
        return output
    match = _BUNDLE.search(output)
    if match is None:
        raise RuntimeError(f"{page.file.src_path}: no theme bundle script to load Mermaid before")
    tag = f'<script src="{match.group(1)}{MERMAID_JS}"></script>\n'
    return output[: match.start()] + tag + output[match.start() :]


def on_post_build(config: Any, **kwargs: Any) -> None:
    target = Path(config["site_dir"]) / MERMAID_JS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_mermaid_js())


# --- guides link the API names they mention -----------------------------------------------------

#: ``conn.<attribute>`` -> the resource class it holds.
RESOURCES = {
    "session": "SessionResource",
    "response": "ResponseResource",
    "input_audio_buffer": "InputAudioBufferResource",
    "output_audio_buffer": "OutputAudioBufferResource",
    "conversation": "ConversationResource",
    "conversation.item": "ConversationItemResource",
    "transcription_session": "TranscriptionSessionResource",
}
PUBLIC_MODULES = [
    "azure.ai.voicelive.aio",
    "azure.ai.voicelive.models",
    "azure.ai.voicelive.testing",
    "azure.ai.voicelive.audio",
    "azure.ai.voicelive.telemetry",
]
_NAMES: dict[str, str] = {}


def _public_names() -> dict[str, str]:
    """Short name (and ``module.Name``) -> public path, from each public module's ``__all__``."""
    if not _NAMES:
        import importlib

        for modname in PUBLIC_MODULES:
            module = importlib.import_module(modname)
            for name in getattr(module, "__all__", []):
                _NAMES.setdefault(name, f"{modname}.{name}")
                _NAMES[f"{modname}.{name}"] = f"{modname}.{name}"
        _NAMES["connect"] = "azure.ai.voicelive.aio.connect"
    return _NAMES


_CODE = re.compile(r"<code>([A-Za-z_][\w.]*)(\([^<]*\))?</code>")
_SKIP = re.compile(r"<pre\b.*?</pre>|<a\b.*?</a>|<h[1-6]\b.*?</h[1-6]>", re.S)


def _target(text: str) -> str | None:
    target = _api_target(text)
    if target and target.startswith("azure.ai.voicelive.models.") and target.count(".") > 4:
        # A model field: its class's entry (fields are rows of the class's table, not entries).
        target = ".".join(target.split(".")[:5])
    return target


def _api_target(text: str) -> str | None:
    names = _public_names()
    if text in names:
        return names[text]
    parts = text.split(".")
    if parts[0] in ("conn", "connection"):
        rest = parts[1:]
        if len(rest) >= 2 and ".".join(rest[:2]) in RESOURCES:
            rest = [RESOURCES[".".join(rest[:2])], *rest[2:]]
        elif rest and rest[0] in RESOURCES:
            rest = [RESOURCES[rest[0]], *rest[1:]]
        else:
            rest = ["VoiceLiveConnection", *rest]
        text = ".".join(rest)
        parts = rest
    if parts[0] in ("server",):
        parts = ["FakeVoiceLiveServer", *parts[1:]]
    for i in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:i])
        if head in names:
            return f"{names[head]}.{'.'.join(parts[i:])}"
    return None


def _link_api_names(html: str) -> str:
    def code(m: re.Match[str]) -> str:
        target = _target(m.group(1))
        if target is None:
            return m.group(0)
        return f'<autoref identifier="{target}" optional>{m.group(0)}</autoref>'

    out: list[str] = []
    pos = 0
    for skip in _SKIP.finditer(html):
        out.append(_CODE.sub(code, html[pos : skip.start()]))
        out.append(skip.group(0))
        pos = skip.end()
    out.append(_CODE.sub(code, html[pos:]))
    return "".join(out)


_FIELD_ID = re.compile(r"^azure\.ai\.voicelive\.models\.\w+\.\w+$")


def on_page_content(html: str, page: Any, **kwargs: Any) -> str:
    src = page.file.src_path.replace(os.sep, "/")
    if src.startswith("reference/models/"):
        # The classes in the table of contents, not each of their fields.
        def prune(items: list[Any]) -> None:
            items[:] = [i for i in items if not _FIELD_ID.match(i.id)]
            for i in items:
                prune(i.children)

        prune(page.toc.items)
    if not src.startswith("reference/") or src == "reference/models/index.md":  # hand-written pages
        html = _link_api_names(html)
    return html


__all__ = ["on_config", "on_page_content", "on_post_build", "on_post_page"]
