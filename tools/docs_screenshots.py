"""Full-page screenshots of the built documentation, with headless Chromium.

Needs Debian's ``chromium`` (``apt-get update && apt-get install -y chromium``) and aiohttp (a
dependency of the package) to drive it over the DevTools protocol; no other download. Usage::

    mkdocs build --strict -d /tmp/site
    python tools/docs_screenshots.py /tmp/site /tmp/shots            # the pages the review covers
    python tools/docs_screenshots.py /tmp/site /tmp/shots reference/audio/ --dark

The site is served on 127.0.0.1 and Chromium runs with networking to anything else unused, so a
page that needs the internet (a CDN script, a web font) shows it: the site must work offline.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import http.server
import json
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import aiohttp

PAGES = [
    "",
    "getting-started/",
    "concepts/lifecycle/",
    "reference/aio/",
    "reference/models/",
    "reference/models/session/",
    "reference/models/server-events/",
    "reference/testing/",
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


async def shoot(site: Path, out: Path, pages: list[str], width: int, dark: bool, part: int) -> None:
    port = free_port()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(Quiet, directory=str(site))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    devtools = free_port()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found: apt-get update && apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--remote-debugging-port={devtools}", f"--user-data-dir={profile}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            async with aiohttp.ClientSession() as client:
                for _ in range(100):
                    with contextlib.suppress(aiohttp.ClientError):
                        async with client.put(f"http://127.0.0.1:{devtools}/json/new?about:blank") as r:
                            target = await r.json()
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise SystemExit("chromium did not start")
                async with client.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    ids = iter(range(1, 1_000_000))

                    async def call(method: str, **params: Any) -> dict[str, Any]:
                        n = next(ids)
                        await ws.send_str(json.dumps({"id": n, "method": method, "params": params}))
                        async for msg in ws:
                            data = json.loads(msg.data)
                            if data.get("id") == n:
                                if "error" in data:
                                    raise RuntimeError(f"{method}: {data['error']}")
                                return data.get("result", {})
                        raise RuntimeError("devtools connection closed")

                    await call("Page.enable")
                    await call(
                        "Emulation.setEmulatedMedia",
                        features=[{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}],
                    )
                    for page in pages:
                        await call(
                            "Emulation.setDeviceMetricsOverride",
                            width=width,
                            height=900,
                            deviceScaleFactor=1,
                            mobile=False,
                        )
                        await call("Page.navigate", url=f"http://127.0.0.1:{port}/{page}")
                        await asyncio.sleep(3)  # scripts, fonts, Mermaid
                        # Mermaid reports a diagram it cannot parse as "Syntax error in text" (the
                        # theme renders diagrams in closed shadow roots, so that text is what shows).
                        state = await call(
                            "Runtime.evaluate",
                            expression="document.body.innerText.includes('Syntax error in text')",
                            returnByValue=True,
                        )
                        if state["result"]["value"]:
                            print(f"{page}: a Mermaid diagram failed to render (syntax error)")
                        # Code boxes and signatures wider than the column (they scroll sideways).
                        wide = await call(
                            "Runtime.evaluate",
                            expression="[...document.querySelectorAll('pre > code')]"
                            ".filter(e => e.scrollWidth > e.clientWidth + 1)"
                            ".map(e => e.innerText.split('\\n').find(l => l.length > 0).slice(0, 60))",
                            returnByValue=True,
                        )
                        for first_line in wide["result"]["value"]:
                            print(f"{page}: code wider than the column: {first_line!r}")
                        metrics = await call("Page.getLayoutMetrics")
                        height = int(metrics["cssContentSize"]["height"])
                        await call(
                            "Emulation.setDeviceMetricsOverride",
                            width=width,
                            height=height,
                            deviceScaleFactor=1,
                            mobile=False,
                        )
                        await asyncio.sleep(0.5)
                        stem = (page.strip("/").replace("/", "_") or "home") + ("-dark" if dark else "")
                        # Tall pages in parts of at most `part` pixels (image viewers and ImageMagick
                        # refuse very tall images); part 1 is the top of the page.
                        parts = max(1, -(-height // part))
                        for k in range(parts):
                            clip = {
                                "x": 0,
                                "y": k * part,
                                "width": width,
                                "height": min(part, height - k * part),
                                "scale": 1,
                            }
                            shot = await call(
                                "Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip
                            )
                            name = f"{stem}.png" if parts == 1 else f"{stem}-{k + 1}.png"
                            (out / name).write_bytes(base64.b64decode(shot["data"]))
                        print(out / f"{stem}*.png", f"{width}x{height} in {parts} part(s)")
        finally:
            proc.terminate()
            proc.wait(10)
            httpd.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("pages", nargs="*", default=PAGES)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--part-height", type=int, default=2400, help="split taller pages into parts")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(args.site, args.out, args.pages, args.width, args.dark, args.part_height))


if __name__ == "__main__":
    main()
