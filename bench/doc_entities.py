"""Select the document-level entity development set from SaudiNewsNet.

    python bench/doc_entities.py --select      # print the selection (ids, sources, zips)

Selection (:func:`select`), fixed so that anyone can redraw the same 80
articles from the SaudiNewsNet zips:

* an article is its JSON record; its id is its url; records whose url was
  already seen are skipped (the dump repeats some);
* eligible: a body (``content``) of 80 to 900 whitespace-separated words;
* 80 articles over the 14 sources: 80 // 14 = 5 each, and one more for
  the 10 sources with the most eligible articles (ties by name);
* within a source, articles are drawn one per date (zip), the dates taken
  least-used-first over the whole selection so far (ties broken by a
  shuffle with seed SEED), one article per date drawn with ``random.Random
  (SEED)``; sources are visited in order of name (arreyadi and
  arriyadiyah appear in one zip each, so their articles share a date);
* in that order (source, then draw), every fourth article (the 4th, 8th,
  ...) is in the ``check`` split, the others in ``dev``: 60 and 20.
"""

import argparse
import json
import os
import random
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data"
SAUDINEWSNET = DATA / "saudinewsnet"
DEVSET = ROOT / "bench" / "entity_devset.json"

SEED = 13  # issue 13
TOTAL = 80
MIN_WORDS, MAX_WORDS = 80, 900
CHECK_EVERY = 4


def require(path):
    """Return True if ``path`` exists; skip (or fail under CI) otherwise."""
    if path.exists():
        return True
    message = f"skipped: {path} is absent (the shared data sits beside the repository)"
    if os.environ.get("CI") == "true":
        raise SystemExit(message.replace("skipped", "error"))
    print(message)
    return False


def records(folder=SAUDINEWSNET):
    """Yield ``(zip name, record)`` for every distinct url, zips in date order."""
    seen = set()
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                for record in json.loads(archive.read(member)):
                    url = record.get("url") or ""
                    if not url or url in seen:
                        continue
                    seen.add(url)
                    yield path.name, record


def eligible(record):
    return MIN_WORDS <= len((record.get("content") or "").split()) <= MAX_WORDS


def select(folder=SAUDINEWSNET, total=TOTAL, seed=SEED):
    """Return the selection: dicts with id, source, date, zip and split."""
    rng = random.Random(seed)
    pool = defaultdict(lambda: defaultdict(list))   # source -> zip -> records
    for name, record in records(folder):
        if eligible(record):
            pool[record["source"]][name].append(record)
    sources = sorted(pool)
    by_size = sorted(sources, key=lambda s: (-sum(map(len, pool[s].values())), s))
    quota = {s: total // len(sources) for s in sources}
    for s in by_size[: total - sum(quota.values())]:
        quota[s] += 1
    used = Counter()   # zip -> articles taken so far
    chosen = []
    for source in sources:
        zips = sorted(pool[source])
        rng.shuffle(zips)
        zips.sort(key=lambda z: used[z])   # stable: the shuffle breaks ties
        taken = 0
        for i in range(quota[source]):
            # Fewer dates than the quota: go round them again.
            name = zips[i % len(zips)]
            candidates = [r for r in pool[source][name] if r["url"] not in {c["id"] for c in chosen}]
            if not candidates:
                continue
            record = rng.choice(candidates)
            used[name] += 1
            taken += 1
            chosen.append({
                "id": record["url"],
                "source": source,
                "date": (record.get("date_extracted") or "")[:10],
                "zip": name,
            })
    for i, entry in enumerate(chosen):
        entry["split"] = "check" if i % CHECK_EVERY == CHECK_EVERY - 1 else "dev"
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--select", action="store_true", help="print the selection as JSON")
    args = parser.parse_args(argv)
    if not require(SAUDINEWSNET):
        return 0
    if args.select:
        print(json.dumps(select(), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
