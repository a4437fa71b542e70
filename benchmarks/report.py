"""Markdown tables from ``run.py --json`` output, and the generated block of docs/performance.md.

The figures in ``docs/performance.md`` between ``<!-- generated:benchmarks -->`` and
``<!-- /generated:benchmarks -->`` come from here and from nothing else: run the benchmarks with
``--json``, then let this script rewrite the block (``run.py --update-docs`` does both). The JSON
the docs were made from is committed beside this file (``results.json``), so every figure can be
traced to its run; ``--check`` fails when the block and the JSON disagree.

Run:  python benchmarks/report.py benchmarks/results.json            # print the tables
      python benchmarks/report.py benchmarks/results.json --write    # rewrite the docs block
      python benchmarks/report.py benchmarks/results.json --check    # exit 1 if the docs differ
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
BEGIN = "<!-- generated:benchmarks -->"
END = "<!-- /generated:benchmarks -->"

LABELS = {
    "raw": "raw aiohttp + `json` + `base64` (the stdlib floor)",
    "raw+speedups": "raw aiohttp + `orjson` + `pybase64`",
    "sdk": "SDK",
    "sdk+speedups": "SDK with the `speedups` extra",
    "official": "official `azure-ai-voicelive` 1.3.1",
}


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float] | None, digits: int = 2) -> str:
    if not values:
        return "-"
    return f"{med(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def paired(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=False))


def ratio(section: dict[str, Any], variant: str, base: str = "raw") -> str:
    if not section.get(variant) or not section.get(base):
        return "-"
    a, b = section[variant], section[base]
    return f"{med(a) / med(b):.2f}x (paired {paired(a, b):.2f}x)"


def yes(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "**no**")


def table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- sections
def run_line(results: dict[str, Any], source: str | None) -> str:
    m = results["machine"]
    extras = ", ".join(f"{k} {m[k]}" for k in ("orjson", "pybase64", "uvloop") if m.get(k))
    argv = " ".join(results.get("argv", []))
    text = (
        f"One run of `python benchmarks/run.py {argv}`".rstrip()
        + f" ({results.get('elapsed_s', 0) / 60:.0f} min) on {m['nproc']} CPUs ({m['cpu']}), "
        f"{m['implementation']} {m['python']}, aiohttp {m['aiohttp']}"
        + (f", {extras}" if extras else "")
        + f"; {m['platform']}."
    )
    if source:
        text += f" Every figure below is rendered from `{source}` by `benchmarks/report.py`."
    return text


def targets(results: dict[str, Any]) -> str:
    t = results.get("targets", {})
    rows: list[list[str]] = []
    rec, snd = results.get("receive"), results.get("send")

    def target_row(name: str, section: Any, variant: str, base: str, limit: float) -> None:
        if section and section.get(variant) and section.get(base):
            value = med(section[variant]) / med(section[base])
            rows.append([name, f"<= {limit:g}x", ratio(section, variant, base), yes(value <= limit)])

    target_row("receive: SDK / stdlib floor (CPU per event)", rec, "sdk", "raw", t["receive_max_ratio"])
    target_row(
        "receive: SDK with speedups / stdlib floor",
        rec,
        "sdk+speedups",
        "raw",
        t["speedups_receive_max_ratio"],
    )
    target_row(
        "receive: SDK with speedups / official package",
        rec,
        "sdk+speedups",
        "official",
        t["speedups_receive_max_official"],
    )
    target_row("send: SDK / stdlib floor (CPU per append)", snd, "sdk", "raw", t["send_max_ratio"])
    target_row(
        "send: SDK with speedups / stdlib floor", snd, "sdk+speedups", "raw", t["speedups_send_max_ratio"]
    )
    imp = results.get("import")
    if imp:
        aio = imp["current"]["aio_ms"]
        rows.append(
            [
                "`import azure.ai.voicelive.aio` over aiohttp + azure.core",
                f"<= {t['import_max_ms']:g} ms",
                f"{med(aio):.1f} ms",
                yes(med(aio) <= t["import_max_ms"]),
            ]
        )
    mem = results.get("memory", {}).get("tracemalloc")
    if mem:
        kb = med(mem["sdk"])
        rows.append(
            [
                "an idle open connection (tracemalloc)",
                f"<= {t['idle_max_kb']:g} KB",
                f"{kb:.1f} KB",
                yes(kb <= t["idle_max_kb"]),
            ]
        )
    scale = results.get("scale")
    if scale:
        n = t["scale_target_n"]
        for search in scale["searches"]:
            if search["variant"] != "sdk" or search["loop"] != "asyncio":
                continue
            at = [x for x in search["trials"] if x["n"] == n]
            if at:
                p99 = at[-1]["lag_p99_ms"]
                rows.append(
                    [
                        f"{n} real-time sessions in one process (SDK, asyncio): lag p99",
                        f"< {t['scale_max_p99_ms']:g} ms",
                        f"{p99:.1f} ms",
                        yes(bool(at[-1]["passed"])),
                    ]
                )
        by = {(s["variant"], s["loop"]): s for s in scale["searches"]}
        for loop in dict.fromkeys(s["loop"] for s in scale["searches"]):
            raw = by.get(("raw", loop))
            for variant in ("sdk", "sdk+speedups"):
                sdk = by.get((variant, loop))
                if raw and sdk:
                    rows.append(
                        [
                            f"sessions per core, {LABELS[variant]} >= raw aiohttp ({loop})",
                            ">= raw",
                            f"{sdk['max_n']} vs {raw['max_n']}",
                            yes(sdk["max_n"] >= raw["max_n"]),
                        ]
                    )
    return table(["target", "budget", "measured", "met"], rows, "lllr")


def hot_paths(results: dict[str, Any]) -> str:
    rec, snd = results.get("receive") or {}, results.get("send") or {}
    rows: list[list[str]] = []
    for variant in ("raw", "raw+speedups", "sdk", "sdk+speedups", "official"):
        if not rec.get(variant) and not snd.get(variant):
            continue
        rows.append(
            [
                LABELS[variant],
                spread(rec.get(variant)),
                ratio(rec, variant) if variant != "raw" else "1.00x",
                spread(snd.get(variant)),
                (ratio(snd, variant) if variant != "raw" else "1.00x") if snd.get(variant) else "-",
            ]
        )
    n_rec = f"{rec.get('events', 0)} events x {len(rec.get('sdk', []))} rounds"
    n_snd = f"{snd.get('appends', 0)} x {len(snd.get('sdk', []))} rounds"
    return table(
        [
            "client",
            f"receive: CPU µs/event ({n_rec})",
            "vs the stdlib floor",
            f"send: CPU µs/append ({n_snd})",
            "vs the stdlib floor",
        ],
        rows,
    )


def scale_table(results: dict[str, Any]) -> str:
    scale = results.get("scale")
    if not scale:
        return ""
    rows: list[list[str]] = []
    nproc = results["machine"]["nproc"] or 1
    for s in scale["searches"]:
        at = s["at_max"] or {}
        others = (
            max(0.0, at["machine_busy"] * nproc - at["cpu_share"] - at["server_cpu_share"]) if at else None
        )
        fail = [x for x in s["trials"] if x["n"] == s["first_failing_n"]]
        why = (
            f"{s['first_failing_n']} ({fail[-1]['why']})" if fail else ("not reached" if s["capped"] else "-")
        )
        at200 = [x for x in s["trials"] if x["n"] == 200]
        cpu = at.get("cpu_share")
        rows.append(
            [
                LABELS[s["variant"]],
                s["loop"],
                f"**{s['max_n']}**" + (" (search cap)" if s["capped"] else ""),
                why,
                f"{cpu:.2f}" if cpu is not None else "-",
                f"{cpu / s['max_n'] * 1000:.2f}" if cpu is not None and s["max_n"] else "-",
                f"{s['per_core_by_cpu']:.0f}" if s.get("per_core_by_cpu") else "-",
                f"{at.get('lag_p50_ms', float('nan')):.1f} / {at.get('lag_p99_ms', float('nan')):.1f}",
                f"{at.get('server_cpu_share', float('nan')):.2f}",
                f"{others:.2f}" if others is not None else "-",
                f"{at200[0]['cpu_share']:.3f}" if at200 else "-",
            ]
        )
    return table(
        [
            "client",
            "loop",
            "sessions per core (lag p99 < 20 ms)",
            "first N that failed (why)",
            "client CPU at max (cores)",
            "CPU per session (ms/s)",
            "sessions per fully used core (from CPU per session)",
            "lag p50 / p99 at max (ms)",
            "server CPU at max (cores)",
            "other processes' CPU at max (cores)",
            "client CPU at N=200 (cores)",
        ],
        rows,
        "llrlrrrrrrr",
    )


def profile_table(results: dict[str, Any]) -> str:
    prof = results.get("profile")
    if not prof:
        return ""
    runs = prof["runs"]
    groups: list[str] = []
    for run in runs:
        for g in run["profile"]["groups"]:
            if g not in groups:
                groups.append(g)
    groups.sort(key=lambda g: -max(r["profile"]["groups"].get(g, {}).get("us_per_s", 0.0) for r in runs))
    rows = []
    for g in groups:
        cells = [g]
        for run in runs:
            v = run["profile"]["groups"].get(g)
            cells.append(f"{v['us_per_s'] / prof['n']:.1f} ({v['share'] * 100:.0f}%)" if v else "-")
        rows.append(cells)
    rows.append(
        ["**total (profiled)**"] + [f"**{r['profile']['total_us_per_s'] / prof['n']:.1f}**" for r in runs]
    )
    head = ["where (cProfile own time)"] + [f"{LABELS[r['variant']]}: µs/s per session" for r in runs]
    out = table(head, rows)
    fast = [r for r in runs if r["variant"] == "sdk+speedups"] or runs[-1:]
    if fast:
        top = fast[0]["profile"]["top"][:10]
        out += "\n\nThe functions with the most own time, " + LABELS[fast[0]["variant"]] + ":\n\n"
        out += table(
            ["function (calls in the window)", "µs/s per session", "share"],
            [
                [f"`{t['function']}`", f"{t['us_per_s'] / prof['n']:.1f}", f"{t['share'] * 100:.1f}%"]
                for t in top
            ],
        )
    return out


def other_table(results: dict[str, Any]) -> str:
    rows: list[list[str]] = []
    imp = results.get("import")
    if imp:
        cur = imp["current"]
        rows.append(
            [
                "`import azure.ai.voicelive.aio`: ms over aiohttp + azure.core.exceptions",
                spread(cur["aio_ms"], 1),
                spread(cur["base_ms"], 1) + " (those two)",
            ]
        )
        rows.append(
            [
                "the first connection's lazy import of models, codec and speedups (ms)",
                spread(cur["models_ms"], 1),
                "-",
            ]
        )
    mem = results.get("memory")
    if mem:
        for mode, label in (("tracemalloc", "tracemalloc"), ("rss", "RSS")):
            m = mem.get(mode)
            if not m:
                continue
            over = med(m["sdk"]) - med(m["raw-shared"])
            rows.append(
                [
                    f"idle connection ({mem['n']} open): {label} KB/conn; raw shares one ClientSession",
                    spread(m["sdk"], 1),
                    f"{spread(m['raw-shared'], 1)} (SDK adds {over:.1f} KB)",
                ]
            )
            rows.append(
                [
                    f"  {label} KB/conn, raw with a ClientSession per connection (reference)",
                    "-",
                    spread(m["raw"], 1),
                ]
            )
    con = results.get("connect")
    if con:
        rows.append(
            [
                f"connect: ms to an open WebSocket ({len(con['sdk'])} each)",
                spread(con["sdk"]),
                spread(con["raw"]),
            ]
        )
    return table(["benchmark", "SDK median (min-max)", "raw aiohttp median (min-max)"], rows)


def render(results: dict[str, Any], source: str | None = None) -> str:
    parts = [
        run_line(results, source),
        "### Targets",
        targets(results),
        "### Receive and send",
        hot_paths(results),
    ]
    scale = scale_table(results)
    if scale:
        s = results["scale"]
        parts += [
            "### Sessions per core",
            f"Each trial: a fresh client process, {s['warmup']:g} s warm-up, {s['seconds']:g} s window; "
            f"passes with event-loop lag p99 < {s['criteria']['max_p99_ms']:g} ms, appends sent/due >= "
            f"{s['criteria']['min_sent_fraction']:g} and events received/due >= "
            f"{s['criteria']['min_received_fraction']:g}; an N counts as failed only when "
            f"{1 + s.get('retries', 1)} trials in a row fail.",
            scale,
        ]
    prof = profile_table(results)
    if prof:
        p = results["profile"]
        parts += [
            "### Where the CPU goes",
            f"cProfile over a {p['seconds']:g} s window of {p['n']} real-time sessions (asyncio): own time "
            "per second of wall time, per session, leaving out the time the loop waits in `epoll`. "
            "cProfile slows Python code more than C, so compare the shares between clients rather than "
            "the absolute figures with the tables above.",
            prof,
        ]
    parts += ["### Import, memory, connect", other_table(results)]
    return "\n\n".join(parts)


def update_docs(json_path: Path, doc: Path = DOC, check: bool = False) -> bool:
    """Rewrite (or with ``check``, compare) the generated block of ``doc``; True when it matched."""
    results = json.loads(json_path.read_text())
    try:
        source = json_path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        source = json_path.name
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{doc} has no {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    block = BEGIN + "\n" + render(results, source) + "\n" + END
    new = head + block + tail
    if check:
        return new == text
    doc.write_text(new)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("json", type=Path, help="output of run.py --json")
    parser.add_argument("--write", action="store_true", help=f"rewrite the generated block of {DOC.name}")
    parser.add_argument("--check", action="store_true", help="exit 1 if the docs block differs from the JSON")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    if args.check:
        if update_docs(args.json, args.doc, check=True):
            return 0
        print(
            f"{args.doc}: the generated block differs from {args.json}; run report.py --write",
            file=sys.stderr,
        )
        return 1
    if args.write:
        update_docs(args.json, args.doc)
        return 0
    print(render(json.loads(args.json.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
