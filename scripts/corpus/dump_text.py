"""Save a real HTML page as a text page, the way a reader's browser shows it.

    .venv/bin/python scripts/corpus/dump_text.py page.html page.txt

The text is Chromium's `document.body.innerText` of the page rendered offline
(JavaScript off, every network request refused), i.e. what "select all, copy"
gives: the article with the site's navigation, share buttons, author boxes and
footers still in it. It is how the corpus's text pages are made from real
pages saved in public repositories; nothing is written or edited by hand.
"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def dump_text(html: str) -> str:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 2000})
            page = context.new_page()
            page.route("**/*", lambda route: route.abort())  # offline: no images, fonts, trackers
            page.set_content(html, wait_until="domcontentloaded")
            text = page.evaluate("() => document.body ? document.body.innerText : ''")
        finally:
            browser.close()
    # innerText keeps the page's own line breaks; trim trailing spaces only.
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = Path(argv[0]), Path(argv[1])
    raw = src.read_bytes()
    if src.suffix == ".gz":
        import gzip
        raw = gzip.decompress(raw)
    from trafilatura.utils import decode_file  # honours the page's declared charset

    html = decode_file(raw)
    Path(dst).write_text(dump_text(html), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
