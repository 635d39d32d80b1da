"""Re-indexing in place, query speed after successive runs, and the CLI's wall time.

    python bench/reindex.py [--limit N] [--no-entities]

On SaudiNewsNet (all of it by default), with ``archive index`` as a user
runs it (a subprocess each time, entities on):

1. a fresh build (articles/s);
2. the same sources again: every article unchanged (articles/s, and what
   the summary says);
3. three runs of a changed copy of the corpus (each body with a different
   word appended, written to ``bench/work/``): every article updated;
   articles/s of each, segment count after each;
4. query latency (median, p95 of the 200 queries of bench/indexing.py, with
   facets and snippets, warm) on a copy of the fresh index and on the index
   after the three changed runs, measured in alternating rounds at the end
   (so both meet the same machine load), as a ratio (target: within 20%);
5. a one-word ``archive query`` in a fresh process: wall time, median of
   10 runs, on the final index (target: at most 0.3 s).

Results go to ``bench/results/reindex.md`` (and ``.json``).  ``--queries-only``
redoes steps 4 and 5 on the folders the last run left (``--fresh DIR``: another
fresh index of the same corpus and analysis to compare with); ``--cli-only DIR``
redoes step 5 alone on the index in DIR.

The CLI runs as a user's Python does, through the ``archive`` script,
writing and reusing bytecode caches (PYTHONDONTWRITEBYTECODE, if set here,
is unset for it), after one run that fills them.  PYTHONPATH points at this
checkout, so the script runs this checkout's code whichever one the
environment's editable install names.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import DATA_DIR, RESULTS_DIR, machine_facts, require_data  # noqa: E402
from bench.indexing import compose_queries, measure_queries  # noqa: E402

CORPUS = DATA_DIR / "saudinewsnet"
WORK = ROOT / "bench" / "work" / "reindex"
CLI_RUNS = 10
CLI_QUERY = "النفط"
FLOORS = {
    "python": "pass",
    "python + numpy, whoosh, click": "import numpy, click, whoosh.index, whoosh.searching, whoosh.query",
    # The same libraries as 'archive query' loads them: OpenBLAS on one
    # thread, Whoosh through indexer.whoosh_internals (without the modules
    # it imports and never calls).  What the query takes beyond this is the
    # archive's own code and the search.
    "python + the same as a query loads them": (
        "import os; os.environ.setdefault('OPENBLAS_NUM_THREADS', '1'); "
        "import numpy, click, indexer.whoosh_internals, whoosh.index, whoosh.searching, whoosh.query"
    ),
}


def archive(*args):
    return [sys.executable, "-m", "indexer.cli", *args]


def index_run(index_dir, sources, entities):
    """Run 'archive index' once; return seconds and its summary line."""
    cmd = archive("index", *map(str, sources), "--index-dir", str(index_dir), "-q")
    if not entities:
        cmd.append("--no-entities")
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"archive index failed:\n{done.stderr}")
    summary = next(line for line in done.stdout.splitlines() if line.startswith("indexed"))
    return seconds, summary


def counts(summary):
    """{added, updated, unchanged, ...} from an 'indexed ...' summary line
    (its numbers have thousands separators: "30,322 unchanged")."""
    body = summary.split(":", 1)[1].split(";")[0]
    return {name: int(number.replace(",", ""))
            for number, name in re.findall(r"(\d[\d,]*) ([a-z][a-z ]*[a-z])", body)}


def segments(index_dir):
    from indexer.writer import open_index

    ix = open_index(index_dir)
    try:
        with ix.reader() as reader:
            return len(list(reader.leaf_readers())), reader.doc_count()
    finally:
        ix.close()


def changed_copy(run, limit):
    """A JSONL copy of the corpus, each body with ``run``'s word appended."""
    from indexer.readers import Article, read_sources

    path = WORK / f"changed-{run}.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for n, item in enumerate(read_sources(sorted(CORPUS.glob("*.zip")))):
            if limit and n >= limit:
                break
            if isinstance(item, Article):
                f.write(json.dumps({
                    "id": item.id, "title": item.title, "content": f"{item.body} تحديث{run}",
                    "date": item.date.isoformat() if item.date else None, "source": item.source,
                    "author": item.author, "url": item.url,
                }, ensure_ascii=False) + "\n")
    return path


def wall_times(cmds):
    """{name: [wall seconds] * CLI_RUNS} of each command, run in alternating
    rounds so that every command meets the same machine load."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    for cmd in cmds.values():
        subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT, env=env)  # bytecode cached
    walls = {name: [] for name in cmds}
    for _ in range(CLI_RUNS):
        for name, cmd in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT, env=env)
            walls[name].append(time.perf_counter() - start)
    return walls


def cli_wall(index_dir):
    """Wall times of the one-word query, and of three floors measured beside
    it (in alternating rounds): Python starting, Python importing the
    libraries a query needs, and importing them as a query does."""
    query = [str(Path(sys.executable).with_name("archive")), "query", CLI_QUERY, "--index-dir", str(index_dir)]
    walls = wall_times({"query": query, **{name: [sys.executable, "-c", code] for name, code in FLOORS.items()}})
    return walls.pop("query"), {name: statistics.median(w) for name, w in walls.items()}


def load_average():
    try:
        return Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return []


QUERY_ROUNDS = 3


def compare_queries(fresh_dir, index_dir, queries):
    """Query figures of the fresh copy and of the re-indexed index, measured
    in alternating rounds so that both meet the same machine load; each
    figure is the median of its rounds."""
    rounds = {"fresh": [], "after": []}
    for _ in range(QUERY_ROUNDS):
        rounds["fresh"].append(measure_queries(fresh_dir, queries))
        rounds["after"].append(measure_queries(index_dir, queries))
    return {side: {key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]}
            for side, runs in rounds.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="articles (default: all)")
    parser.add_argument("--no-entities", action="store_true")
    parser.add_argument("--queries-only", action="store_true",
                        help="only the query comparison and the CLI, on the folders of the last run")
    parser.add_argument("--cli-only", type=Path, metavar="DIR",
                        help="only the CLI's wall time, on the index in DIR")
    parser.add_argument("--fresh", type=Path, default=WORK / "fresh",
                        help="the fresh index to compare with (default: the copy the run keeps)")
    args = parser.parse_args()
    require_data([CORPUS], "reindex benchmark")
    entities = not args.no_entities
    index_dir = WORK / "index"
    queries = compose_queries()
    if args.queries_only:
        result = json.loads((RESULTS_DIR / "reindex.json").read_text())
        finish(result, args.fresh, index_dir, queries)
        return
    if args.cli_only:
        result = json.loads((RESULTS_DIR / "reindex.json").read_text())
        result.update(cli_figures(args.cli_only))
        write(result)
        return
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    zips = sorted(CORPUS.glob("*.zip"))
    sources = zips if not args.limit else [changed_copy("0", args.limit)]
    rows = []

    def record(stage, seconds, summary):
        segs, docs = segments(index_dir)
        c = counts(summary)
        read = sum(v for k, v in c.items() if k in ("added", "updated", "unchanged"))
        rows.append({"stage": stage, "seconds": round(seconds, 1), "articles": read,
                     "articles_per_s": round(read / seconds, 1), "counts": c,
                     "segments": segs, "docs": docs, "load": load_average(), "summary": summary})
        print(rows[-1], flush=True)

    record("fresh build", *index_run(index_dir, sources, entities))
    shutil.copytree(index_dir, args.fresh)
    record("same sources again (unchanged)", *index_run(index_dir, sources, entities))
    for run in ("1", "2", "3"):
        record(f"changed copy, run {run} (every article updated)",
               *index_run(index_dir, [changed_copy(run, args.limit)], entities))
    result = {"machine": machine_facts(["whoosh-reloaded"]), "entities": entities, "stages": rows}
    finish(result, args.fresh, index_dir, queries)


def finish(result, fresh_dir, index_dir, queries):
    compared = compare_queries(fresh_dir, index_dir, queries)
    result.update({
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "queries_fresh": compared["fresh"],
        "queries_after_runs": compared["after"],
        "query_median_ratio": round(compared["after"]["median_ms"] / compared["fresh"]["median_ms"], 2),
        "query_load": load_average(),
        **cli_figures(index_dir),
    })
    write(result)


def cli_figures(index_dir):
    walls, floors = cli_wall(index_dir)
    return {
        "cli_measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cli_load": load_average(),
        "cli_wall_s": [round(w, 3) for w in walls],
        "cli_wall_median_s": round(statistics.median(walls), 3),
        "cli_floors_s": {name: round(v, 3) for name, v in floors.items()},
    }


def write(result):
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "reindex.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    lines = [
        "# Re-indexing in place, queries after it, and the CLI's wall time",
        "",
        f"Written by `python bench/reindex.py` on {result['measured']}; "
        f"{result['machine']['cpus']} CPUs, Python {result['machine']['python']}, "
        f"entities {'on' if result['entities'] else 'off'}. Each stage is one `archive index` process "
        "on the same index folder; load average (1, 5, 15 min) at its end.",
        "",
        "| stage | seconds | articles | articles/s | added / updated / unchanged | segments | load |",
        "| --- | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for r in result["stages"]:
        c = r["counts"]
        lines.append(
            f"| {r['stage']} | {r['seconds']} | {r['articles']:,} | {r['articles_per_s']} | "
            f"{c.get('added', 0):,} / {c.get('updated', 0):,} / {c.get('unchanged', 0):,} | "
            f"{r['segments']} | {' '.join(r['load'])} |"
        )
    f, a = result["queries_fresh"], result["queries_after_runs"]
    lines += [
        "",
        f"Queries (200, 1-3 words, facets and snippets, warm; the fresh index and the re-indexed one in "
        f"{QUERY_ROUNDS} alternating rounds, medians of the rounds; load average {' '.join(result.get('query_load', []))} "
        f"at the end): fresh index median {f['median_ms']} ms, "
        f"p95 {f['p95_ms']} ms; after the three changed runs median {a['median_ms']} ms, "
        f"p95 {a['p95_ms']} ms: **{result['query_median_ratio']}x** (target: within 1.2x).",
        "",
        f"One-word `archive query {CLI_QUERY}` in a fresh process, wall time, {CLI_RUNS} runs "
        f"(measured {result.get('cli_measured', result['measured'])}, load average "
        f"{' '.join(result.get('cli_load', result.get('query_load', [])))} at the end): median "
        f"**{result['cli_wall_median_s']} s** ({', '.join(map(str, result['cli_wall_s']))}; target 0.3 s). "
        "Beside it, in the same run (alternating with it, medians of 10): "
        + "; ".join(f"{name} {v} s" for name, v in result["cli_floors_s"].items()) + ".",
        "",
    ]
    (RESULTS_DIR / "reindex.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
