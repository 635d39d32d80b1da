"""Near-copies on SaudiNewsNet: how many there are, how often a grouping is
right, and what finding them costs at index time.

    python bench/nearcopies.py --index-dir IX          # share of near-copies, pairs scored
    python bench/nearcopies.py --index-dir IX --show   # print the sampled pairs to check by hand
    python bench/nearcopies.py --cost 6000             # index time with and without near-copies

``IX`` is an index of all of SaudiNewsNet built by ``archive index`` (entities
as the user chooses; clusters do not depend on them).

**Share.** Over the live articles: how many are in a cluster of two or more,
how many a collapsed result list hides (every member but one), the clusters
by size.

**Precision.** ``PAIRS`` pairs are drawn with a fixed seed: a cluster of two
or more at random (each cluster equally likely, so big template clusters do
not fill the sample), then two of its members at random.  ``--show`` prints
each pair's titles, sources, dates and the start of both bodies, to read;
the verdicts are kept in ``bench/nearcopy_judgments.tsv`` (ids and a verdict
only, never article text): ``copy`` when the two articles report the same
story in the same words (a copy, a trimmed or lightly edited copy, the same
wire story under another headline), ``different`` otherwise (two stories
that share a template, a list or a long quotation).  Precision is copies
over judged pairs, with a 95% Wilson interval.

**Cost.** The first ``N`` articles indexed (entities on, a worker process
per core) with near-copies and with the signature step turned off (its
function patched to return no signature in the worker processes, which
compute the signatures; the parent still assigns every article a
cluster), alternating, three times each; the median wall times and their
ratio (target: at most 1.15x).

Figures go to ``bench/results/nearcopies.md`` (and ``.json``); each run
replaces the parts it measured and keeps the others.
"""

import argparse
import csv
import json
import math
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import DATA_DIR, RESULTS_DIR, machine_facts, require_data  # noqa: E402

CORPUS = DATA_DIR / "saudinewsnet"
JUDGMENTS = ROOT / "bench" / "nearcopy_judgments.tsv"
PAIRS = 120
SEED = 2015
ROUNDS = 3


def read_clusters(index_dir):
    """[(id, source, date, cluster key, signature)] of every live article."""
    from indexer import columns
    from indexer import schema as S
    from indexer.store import open_index

    ix = open_index(index_dir)
    rows = []
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            arrays = columns.for_segment(index_dir, leaf)
            clusters, signatures = np.asarray(arrays.clusters), np.asarray(arrays.signatures)
            for docnum in range(arrays.size):
                if leaf.is_deleted(docnum):
                    continue
                stored = leaf.stored_fields(docnum)
                rows.append((stored[S.ID], stored.get(S.SOURCE, ""), stored.get(S.DATE),
                             int(clusters[docnum]), signatures[docnum]))
    ix.close()
    return rows


def share(rows):
    sizes = Counter(key for _, _, _, key, _ in rows)
    grouped = sum(n for n in sizes.values() if n > 1)
    clusters = [n for n in sizes.values() if n > 1]
    by_size = Counter(min(n, 10) for n in clusters)
    return {
        "articles": len(rows),
        "in_clusters": grouped,
        "in_clusters_share": round(grouped / len(rows), 4),
        "hidden_when_collapsed": grouped - len(clusters),
        "hidden_share": round((grouped - len(clusters)) / len(rows), 4),
        "clusters": len(clusters),
        "largest": max(clusters, default=0),
        "by_size": {("10+" if k == 10 else str(k)): v for k, v in sorted(by_size.items())},
    }


def sample_pairs(rows):
    from indexer.nearcopy import similarity

    members = defaultdict(list)
    for row in rows:
        members[row[3]].append(row)
    clusters = sorted(k for k, v in members.items() if len(v) > 1)
    rng = random.Random(SEED)
    chosen = rng.sample(clusters, min(PAIRS, len(clusters)))
    pairs = []
    for key in chosen:
        a, b = rng.sample(sorted(members[key], key=lambda r: r[0]), 2)
        pairs.append((a[0], b[0], similarity(a[4], b[4])))
    return pairs


def read_judgments():
    if not JUDGMENTS.exists():
        return {}
    with open(JUDGMENTS, encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter="\t") if r and not r[0].startswith("#")]
    return {(r[0], r[1]): r[2] for r in rows[1:]}


def wilson(k, n, z=1.96):
    if not n:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(centre - half, 3), round(centre + half, 3)


def show(pairs):
    """Print each sampled pair to read (to the terminal only)."""
    from indexer.readers import Article, read_sources

    wanted = {i for a, b, _ in pairs for i in (a, b)}
    found = {}
    for item in read_sources(sorted(CORPUS.glob("*.zip"))):
        if isinstance(item, Article) and item.id in wanted:
            found[item.id] = item
    for n, (a, b, sim) in enumerate(pairs, 1):
        print(f"\n## {n} similarity {sim:.2f}")
        for doc_id in (a, b):
            art = found.get(doc_id)
            if art is None:
                print(f"  {doc_id}: not in the corpus")
                continue
            print(f"  {doc_id} | {art.source} | {art.date:%Y-%m-%d} | {art.title}" if art.date
                  else f"  {doc_id} | {art.source} | {art.title}")
            print(f"    {art.body[:200]} ... {art.body[-80:]}")


class _Workers(ProcessPoolExecutor):
    """The worker processes ``index_articles`` starts for a local run, as an
    executor of its own: signatures are computed where segments are built,
    so the step is turned off in the workers."""

    def __init__(self, signatures):
        self.jobs = os.cpu_count() or 1
        super().__init__(self.jobs, mp_context=multiprocessing.get_context("spawn"),
                         initializer=_init_worker, initargs=(signatures,))


def _init_worker(signatures):
    from indexer import nearcopy
    from indexer.segments import init_worker

    init_worker(True)
    if not signatures:
        # Segments are built with words_signature (signature is the same
        # from a text); the run checks that it stored none.
        nearcopy.signature = nearcopy.words_signature = _no_signature


def _no_signature(words):
    from indexer import nearcopy

    return nearcopy.NO_SIGNATURE


def cost(limit):
    """Median wall seconds of indexing the first ``limit`` articles, with and
    without near-copies, alternating."""
    from indexer import writer
    from indexer.readers import Article, read_sources

    articles = list(islice((a for a in read_sources(sorted(CORPUS.glob("*.zip")))
                            if isinstance(a, Article)), limit))
    times = {"with": [], "without": []}
    for _ in range(ROUNDS):
        for mode in ("without", "with"):
            folder = Path(tempfile.mkdtemp(prefix="nearcopy-cost-"))
            start = time.perf_counter()
            writer.index_articles(folder, articles, entities=True, executor=_Workers(mode == "with"))
            times[mode].append(time.perf_counter() - start)
            signed = sum(1 for *_, sig in read_clusters(folder) if sig.any())
            if (mode == "with") != bool(signed):
                raise RuntimeError(f"the run {mode} near-copies stored {signed} signatures")
            shutil.rmtree(folder)
    with_s, without_s = statistics.median(times["with"]), statistics.median(times["without"])
    return {"articles": len(articles), "with_s": [round(t, 1) for t in times["with"]],
            "without_s": [round(t, 1) for t in times["without"]],
            "ratio": round(with_s / without_s, 3)}


def write(result):
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / "nearcopies.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(result)
    path.write_text(json.dumps(old, ensure_ascii=False, indent=1) + "\n")
    lines = ["# Near-copies on SaudiNewsNet", "",
             "Written by `python bench/nearcopies.py` (method in its docstring); do not edit by hand. "
             "Grouping: MinHash of 5-term shingles of the body's index terms, 32 minima, LSH 4 bands of 8, "
             "a copy at estimated Jaccard similarity >= 0.8 (`indexer/nearcopy.py`).", ""]
    if "share" in old:
        s = old["share"]
        lines += [f"## Share ({old['share_measured']})", "",
                  f"- {s['articles']:,} live articles; **{s['in_clusters']:,} ({100 * s['in_clusters_share']:.1f}%)** "
                  f"are in {s['clusters']:,} clusters of two or more (largest {s['largest']}).",
                  f"- A collapsed result list hides **{s['hidden_when_collapsed']:,} articles "
                  f"({100 * s['hidden_share']:.1f}%)**: every copy but one.",
                  "- Clusters by size: " + ", ".join(f"{k}: {v:,}" for k, v in s["by_size"].items()) + ".", ""]
    if "precision" in old:
        p = old["precision"]
        lines += ["## Precision of the grouping", "",
                  f"{p['judged']} pairs drawn as the docstring says and read by hand "
                  f"(`bench/nearcopy_judgments.tsv`): **{p['copies']} copies, precision {p['precision']:.3f}** "
                  f"(95% Wilson interval {p['interval'][0]}-{p['interval'][1]}). "
                  f"Median estimated similarity of the pairs {p['median_similarity']:.2f}; "
                  f"of the pairs judged different: {p['different_similarities']}.", ""]
    if "cost" in old:
        c = old["cost"]
        lines += [f"## Index-time cost ({old['cost_measured']})", "",
                  f"The first {c['articles']:,} articles, entities on, default jobs, {ROUNDS} runs each, "
                  f"alternating: with near-copies {c['with_s']} s, without {c['without_s']} s: "
                  f"**{c['ratio']}x** (target: at most 1.15x). Machine: {old['machine']['cpus']} shared CPUs, "
                  f"load average {c.get('load') or old.get('load')} at the end.", ""]
    (RESULTS_DIR / "nearcopies.md").write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, help="an index of all of SaudiNewsNet")
    parser.add_argument("--show", action="store_true", help="print the sampled pairs to judge")
    parser.add_argument("--cost", type=int, metavar="N", help="measure the index-time cost on N articles")
    args = parser.parse_args()
    require_data([CORPUS], "near-copy benchmark")
    result = {"machine": machine_facts(["whoosh-reloaded"])}
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.index_dir:
        rows = read_clusters(args.index_dir)
        pairs = sample_pairs(rows)
        if args.show:
            show(pairs)
            return
        result["share"] = share(rows)
        result["share_measured"] = stamp
        judged = read_judgments()
        verdicts = [(judged[(a, b)], sim) for a, b, sim in pairs if (a, b) in judged]
        missing = len(pairs) - len(verdicts)
        if missing:
            print(f"{missing} sampled pairs have no verdict in {JUDGMENTS.name} (run with --show)")
        if verdicts:
            copies = sum(v == "copy" for v, _ in verdicts)
            result["precision"] = {
                "judged": len(verdicts), "copies": copies, "precision": copies / len(verdicts),
                "interval": wilson(copies, len(verdicts)),
                "median_similarity": statistics.median(s for _, s in verdicts),
                "different_similarities": sorted(round(s, 2) for v, s in verdicts if v != "copy"),
            }
    if args.cost:
        result["cost"] = cost(args.cost)
        result["cost_measured"] = stamp
        # With the cost it was measured under (a later share-only run keeps both).
        result["cost"]["load"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    write(result)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
