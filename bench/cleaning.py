"""What read-time cleaning changes in SaudiNewsNet: fields with entities or
tags before and after, and URLs that collapse to one canonical id.

Reads the zips as they are (json, not the archive's readers, so "before"
is the raw text), applies :func:`indexer.cleaning.clean_text` and
:func:`indexer.cleaning.canonical_url`, and prints a Markdown report
(recorded in ``bench/results/cleaning.md``).  With ``--pairs N`` it also
prints N collapsed groups (URLs, extraction times, title/text equality),
for checking by hand; those lines hold corpus titles and are not recorded.

    python bench/cleaning.py [--pairs 20]
"""

import argparse
import json
import random
import re
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA_DIR, require_data  # noqa: E402
from indexer.cleaning import canonical_url, clean_text  # noqa: E402

CORPUS = DATA_DIR / "saudinewsnet"
FIELDS = ("title", "content", "author", "source")
# What the cleaning step looks for: a character reference ending in ";",
# or a tag of the shape strip_tags removes (any name: the count is of
# what a reader would call markup, known element or not).
ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def records():
    for path in sorted(CORPUS.glob("*.zip")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                yield from json.loads(z.read(name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=0, help="print N collapsed groups to check by hand")
    args = ap.parse_args()
    require_data([CORPUS], "cleaning")
    recs = list(records())
    print(f"# Read-time cleaning on SaudiNewsNet ({len(recs):,} articles)\n")
    print("| field | with entities before | after | with tags before | after | changed by clean_text |")
    print("|---|---:|---:|---:|---:|---:|")
    refs = Counter()
    for field in FIELDS:
        ent = [0, 0]
        tag = [0, 0]
        changed = 0
        for r in recs:
            raw = r.get(field) or ""
            clean = clean_text(raw)
            for i, text in enumerate((raw, clean)):
                ent[i] += bool(ENTITY.search(text))
                tag[i] += bool(TAG.search(text))
            if i and ENTITY.search(raw):
                refs.update(f"{field}: {m}" for m in ENTITY.findall(raw))
            changed += clean.strip() != raw.strip()
        print(f"| {field} | {ent[0]:,} | {ent[1]:,} | {tag[0]:,} | {tag[1]:,} | {changed:,} |")
    print("\nReferences found (field: reference, occurrences): "
          + ", ".join(f"{k} {v:,}" for k, v in refs.most_common()) + "\n")

    groups = defaultdict(list)
    for r in recs:
        groups[canonical_url(r["url"])].append(r)
    collapsed = {k: v for k, v in groups.items() if len(v) > 1}
    dropped = Counter()
    for r in recs:
        if canonical_url(r["url"]) != r["url"].strip():
            query = r["url"].partition("?")[2].partition("#")[0]
            dropped[query if "=" not in query else "(other)"] += 1
    same = sum(len({(x["title"], x["content"]) for x in v}) == 1 for v in collapsed.values())
    print("| URLs | count |")
    print("|---|---:|")
    print(f"| distinct raw URLs | {len({r['url'] for r in recs}):,} |")
    print(f"| distinct canonical URLs (ids) | {len(groups):,} |")
    print(f"| URLs that collapse into another | {sum(len(v) - 1 for v in collapsed.values()):,} |")
    print(f"| groups of one article under several URLs | {len(collapsed):,} "
          f"({Counter(len(v) for v in collapsed.values())[3]:,} of three) |")
    print(f"| groups whose title and text are identical | {same:,} of {len(collapsed):,} |")
    print(f"| URLs changed by canonical_url, by what was dropped | "
          + ", ".join(f"`?{k}` {v:,}" for k, v in dropped.most_common()) + " |")
    if args.pairs:
        rng = random.Random(20150721)
        for key in rng.sample(sorted(collapsed), min(args.pairs, len(collapsed))):
            group = collapsed[key]
            print("\n" + key, file=sys.stderr)
            for r in group:
                print(f"  {r['url']}  {r['date_extracted']}  title={r['title'][:40]!r}", file=sys.stderr)
            print(f"  same title: {len({r['title'] for r in group}) == 1}, "
                  f"same text: {len({r['content'] for r in group}) == 1}", file=sys.stderr)


if __name__ == "__main__":
    main()
