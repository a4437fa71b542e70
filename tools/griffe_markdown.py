"""A griffe extension for the API reference: docstrings become Markdown with working links.

Our docstrings are Markdown (Google style) and cross-reference with mkdocstrings' syntax
(``[`Name`][azure.ai.voicelive.aio.Name]``). Some modules are shared with other work and may still
carry Sphinx markup; this extension converts what is left at build time so no page shows it:

* ``:class:`~a.b.C```, ``:meth:`close```, ``:func:``... become links to the object's entry under its
  public import path, resolved in the docstring's scope (``close`` in a method of
  ``VoiceLiveConnection`` is ``azure.ai.voicelive.aio.VoiceLiveConnection.close``). A name the
  reference does not document (private helpers, the standard library) becomes plain code.
* ``text::`` + an indented block, a bare ``::`` line and ``.. code-block:: lang`` become fenced code.

``tools/check_docs.py`` fails the build if any reST survives into the HTML. ``convert()`` is also
used to rewrite sources (``python tools/griffe_markdown.py FILE...``).
"""

from __future__ import annotations

import re
import sys
import textwrap
from typing import Any

import griffe

#: The modules the reference documents, in order of preference for an object exported by several.
PUBLIC_MODULES = [
    "azure.ai.voicelive.aio",
    "azure.ai.voicelive.models",
    "azure.ai.voicelive.testing",
    "azure.ai.voicelive.audio",
    "azure.ai.voicelive.telemetry",
]

ROLE = re.compile(r":(?:py:)?(class|meth|func|attr|data|mod|exc|obj|const):`(~?)([^`]+?)`")
CODE_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]*(?P<lang>\w*)[ \t]*\n(?:[ \t]*\n)?", re.M)


def _lookup(root: griffe.Object, path: str) -> griffe.Object | griffe.Alias | None:
    parts = path.split(".")
    if parts[0] != root.name:
        return None
    obj: Any = root
    for part in parts[1:]:
        try:
            obj = obj.members[part]
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return None
    return obj


def _final_path(obj: griffe.Object | griffe.Alias) -> str | None:
    try:
        return obj.final_target.path if obj.is_alias else obj.path  # type: ignore[union-attr]
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _documented(obj: griffe.Object | griffe.Alias) -> bool:
    try:
        return bool(obj.docstring) or obj.is_class
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return False


def public_paths(root: griffe.Object) -> dict[str, str]:
    """Canonical path of every documented object (and its public members) -> its public path."""
    out: dict[str, str] = {}
    for modname in PUBLIC_MODULES:
        mod = _lookup(root, modname)
        if mod is None:
            continue
        names = list(mod.exports) if mod.exports else [n for n in mod.members if not n.startswith("_")]
        for name in names:
            member = mod.members.get(str(name))
            target = _final_path(member) if member is not None else None
            if target is None or target in out:
                continue
            public = f"{modname}.{name}"
            out[target] = public
            try:
                obj = member.final_target if member.is_alias else member  # type: ignore[union-attr]
                sub = obj.all_members if obj.is_class else {}
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                sub = {}
            for attr, value in sub.items():
                if attr.startswith("_") or not _documented(value):
                    continue  # not rendered (show_if_no_docstring is off): no link to it
                path = _final_path(value) or f"{target}.{attr}"
                out.setdefault(f"{target}.{attr}", f"{public}.{attr}")
                out.setdefault(path, f"{public}.{attr}")
    return out


def _resolve(name: str, scope: griffe.Object, root: griffe.Object) -> str | None:
    """The canonical path ``name`` means in ``scope``'s docstring, or None."""
    if name.startswith("."):
        package = scope.module.path if scope.module.is_package else scope.module.parent.path  # type: ignore[union-attr]
        candidate = package + name
    elif name.startswith(root.name + "."):
        candidate = name
    else:
        head, _, rest = name.partition(".")
        here: griffe.Object | None = scope
        candidate = None
        while here is not None and candidate is None:
            try:
                candidate = here.resolve(head)
            except (griffe.NameResolutionError, griffe.AliasResolutionError, AttributeError):
                here = here.parent
        if candidate is None:
            return None
        if rest:
            candidate = f"{candidate}.{rest}"
    obj = _lookup(root, candidate)
    return (_final_path(obj) if obj is not None else None) or candidate


def convert(
    text: str,
    scope: griffe.Object | None = None,
    root: griffe.Object | None = None,
    public: dict[str, str] | None = None,
    short: bool = False,
) -> str:
    """``text`` with reST roles, literal blocks and ``code-block`` directives made Markdown."""

    def role(m: re.Match[str]) -> str:
        kind, tilde, target = m.group(1), m.group(2), m.group(3).strip()
        bare = target.removesuffix("()")
        shown = bare.rsplit(".", 1)[-1] if tilde else bare.lstrip(".")
        if kind in ("meth", "func"):
            shown += "()"
        link = None
        if scope is not None and root is not None and public is not None:
            canonical = _resolve(bare, scope, root)
            if canonical is not None:
                link = public.get(canonical)
        if link and short:
            # As written in the source: mkdocstrings resolves the name in the docstring's scope.
            return f"[`{shown}`][]" if shown == bare else f"[`{shown}`][{bare}]"
        return f"[`{shown}`][{link}]" if link else f"`{shown}`"

    text = ROLE.sub(role, text)
    text = CODE_BLOCK.sub(lambda m: f"{m.group('indent')}```{m.group('lang') or 'python'}\n", text)
    return _literal_blocks(text)


def _literal_blocks(text: str) -> str:
    """reST literal blocks (a paragraph ending in ``::`` + an indented block) -> fenced code."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::") and not line.lstrip().startswith(("```", ">>>")):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            base = len(line) - len(line.lstrip())
            if j < len(lines) and len(lines[j]) - len(lines[j].lstrip()) > base:
                stripped = line.rstrip()[:-2].rstrip()
                if stripped.strip():
                    out.append(stripped + ":")
                    out.append("")
                block: list[str] = []
                k = j
                while k < len(lines) and (
                    not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > base
                ):
                    block.append(lines[k])
                    k += 1
                while block and not block[-1].strip():
                    block.pop()
                body = textwrap.dedent("\n".join(block))
                lang = "bash" if re.match(r"(\$ |pytest|python -m|pip )", body) else "python"
                pad = " " * base
                out += [f"{pad}```{lang}", *(pad + b if b else b for b in body.split("\n")), f"{pad}```", ""]
                i = k
                continue
        out.append(line)
        i += 1
    return "\n".join(out).rstrip("\n") + ("\n" if text.endswith("\n") else "")


MODELS = "azure.ai.voicelive.models"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _fields(cls: griffe.Class) -> list[tuple[str, str, str]]:
    """(name, annotation, meaning) of every field of a model class, inherited ones included."""
    fields: dict[str, tuple[str, str, str]] = {}
    try:
        chain = [c for c in reversed(cls.mro()) if c.module.path.startswith(MODELS)] + [cls]
    except (ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        chain = [cls]
    for klass in chain:
        for name, member in klass.members.items():
            if member.is_alias or not member.is_attribute or name.startswith("_"):
                continue
            if "class-attribute" in member.labels and member.annotation is None:
                continue
            doc = member.docstring.value if member.docstring else ""
            fields[name] = (name, str(member.annotation or ""), doc)
    # Discriminators first (`type`, then `role`...), as on the wire.
    order = {"type": 0, "event_id": 1}
    return sorted(fields.values(), key=lambda f: order.get(f[0], 2))


def model_tables(pkg: griffe.Module) -> None:
    """The fields (or members) of every model, enum and TypedDict: a table in the class docstring.

    The reference pages render model classes without a member entry per field (hundreds of
    headings); each class instead lists its fields in one table: name, type, meaning.
    """
    models = _lookup(pkg, MODELS)
    if models is None:
        return
    by_name: dict[str, griffe.Class] = {}
    for module in models.modules.values():  # type: ignore[union-attr]
        for member in module.members.values():
            if not member.is_alias and member.is_class:
                by_name[member.name] = member  # type: ignore[assignment]
    for name, cls in by_name.items():
        base_names = [str(b) for b in cls.bases]
        if "Enum" in base_names:
            rows = ["| Member | Value | Meaning |", "|---|---|---|"]
            for mname, member in cls.members.items():
                if member.is_attribute and not mname.startswith("_"):
                    doc = _one_line(member.docstring.value) if member.docstring else ""
                    rows.append(
                        f"| `{mname}` | `{member.value}` | {doc} |".replace("`'", '`"').replace("'`", '"`')
                    )
            section = "\n".join(rows)
        elif "TypedDict" in base_names:
            model = by_name.get(name.removesuffix("Param"))
            meanings = {f[0]: f[2] for f in _fields(model)} if model else {}
            wire = {}
            if model is not None:
                for fname, fmember in model.all_members.items():
                    value = str(getattr(fmember, "value", "") or "")
                    m = re.search(r'name="(\w+)"', value)
                    if m:
                        wire[m.group(1)] = fname
            lines = []
            for key, member in cls.members.items():
                if member.is_attribute:
                    meaning = meanings.get(wire.get(key, key), "")
                    lines.append(f"    {key} ({member.annotation}): {_one_line(meaning) or '-'}")
            section = "Keys:\n" + "\n".join(lines) if lines else ""
            section = section.replace("Keys:", "Attributes:")
        else:
            fields = _fields(cls)
            if not fields:
                continue
            lines = [f"    {n} ({ann}): {_one_line(doc) or '-'}" for n, ann, doc in fields]
            section = "Attributes:\n" + "\n".join(lines)
        if not section:
            continue
        value = cls.docstring.value if cls.docstring else ""
        text = f"{value.rstrip()}\n\n{section}\n"
        if cls.docstring is None:
            cls.docstring = griffe.Docstring(text, parent=cls)
        else:
            cls.docstring.value = text
        # `Model` is a private base: do not show `Bases: Model`.
        cls.bases = [b for b in cls.bases if str(b) not in ("Model",)]


class MarkdownDocstrings(griffe.Extension):
    """Convert leftover reST in every docstring of the loaded package (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        model_tables(pkg)
        public = public_paths(pkg)
        seen: set[int] = set()

        def walk(obj: griffe.Object) -> None:
            if id(obj) in seen:
                return
            seen.add(id(obj))
            if obj.docstring is not None and (":" in obj.docstring.value or "::" in obj.docstring.value):
                obj.docstring.value = convert(obj.docstring.value, obj, pkg, public)
            for member in obj.members.values():
                if not member.is_alias:
                    walk(member)  # type: ignore[arg-type]

        walk(pkg)


def _rewrite_sources(paths: list[str]) -> None:
    """Rewrite the docstrings of these source files in place (the one-off migration)."""
    loader = griffe.GriffeLoader(search_paths=["src"])
    root = loader.load("azure")
    loader.resolve_aliases(implicit=True, external=False)
    public = public_paths(root)  # type: ignore[arg-type]
    files = {p: open(p).read() for p in paths}

    def walk(obj: griffe.Object) -> None:
        if obj.docstring is not None and obj.docstring.lineno is not None:
            fp = str(obj.relative_filepath) if hasattr(obj, "relative_filepath") else ""
            for p in files:
                if p.endswith(fp) and fp:
                    lines = files[p].split("\n")
                    start, end = obj.docstring.lineno - 1, obj.docstring.endlineno or obj.docstring.lineno
                    chunk = "\n".join(lines[start:end])
                    new = ROLE.sub(lambda m: convert(m.group(0), obj, root, public, short=True), chunk)
                    if new != chunk:
                        lines[start:end] = new.split("\n")
                        files[p] = "\n".join(lines)
        for member in obj.members.values():
            if not member.is_alias:
                walk(member)  # type: ignore[arg-type]

    walk(root)  # type: ignore[arg-type]
    for p, text in files.items():
        with open(p, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    _rewrite_sources(sys.argv[1:])
