"""Take the README's screenshots from a small index of real news.

    python scripts/screenshots.py            # docs/screenshot-phone.png, docs/screenshot-results.png

Indexes every 75th article of the SaudiNewsNet zips (about 400, all
fourteen papers, entities on) into a temporary folder, serves it with
``archive serve`` and photographs one search in Debian's Chromium: at
390x844 (a phone; results first, facet panel closed) and at 1366x900.
Before each shot it checks what the browser tests check on the test
corpus: no sideways scrolling, and on the phone the first result inside
the first screen.  Nothing of the corpus is written into the repository
but the two pictures.  Data is read from ``../shared/data`` beside the
repository, or ``--data``.
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.readers import Article, read_sources  # noqa: E402
from indexer.writer import index_articles  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SHOTS = [("screenshot-phone.png", 390, 844), ("screenshot-results.png", 1366, 900)]
QUERY = {"q": "اليمن", "country": "SA"}


def build_index(data, index_dir, every):
    zips = sorted(Path(data).glob("*.zip"))
    if not zips:
        raise SystemExit(f"no SaudiNewsNet zips in {data}")
    articles = [a for a in read_sources(zips) if isinstance(a, Article)][::every]
    report = index_articles(index_dir, articles, entities=True)
    print(f"indexed {report.indexed} articles of {len(zips)} zips in {report.seconds:.1f}s", file=sys.stderr)


def serve(index_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer.cli", "--index-dir", str(index_dir), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("archive serve did not start")


def shoot(base, out):
    from playwright.sync_api import sync_playwright

    url = base + "/?" + urllib.parse.urlencode(QUERY)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for name, width, height in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": height}, locale="ar")
            page.goto(url)
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            top = page.locator("ol.hits > li.hit").first.bounding_box()["y"]
            print(f"{width}x{height}: scrollWidth {scroll}, innerWidth {inner}, first result at {top:.0f}px",
                  file=sys.stderr)
            if scroll > inner or top >= height:
                raise SystemExit(f"{name}: the layout is broken at {width}x{height}; no screenshot taken")
            page.screenshot(path=str(out / name))
            page.close()
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=ROOT.parent / "shared" / "data" / "saudinewsnet", type=Path)
    parser.add_argument("--every", default=75, type=int, help="index every N-th article (default 75)")
    parser.add_argument("--out", default=ROOT / "docs", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        build_index(args.data, index_dir, args.every)
        proc, base = serve(index_dir)
        try:
            shoot(base, args.out)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
