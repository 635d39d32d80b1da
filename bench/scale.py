"""Scale benchmark: 100k, 300k and 1M articles on one machine (issue 16).

**Corpus.**  SaudiNewsNet's 30,973 articles, repeated 33 times in file
order (copy 0 is every article, then copy 1, ...) and cut at 1,000,000.
Each copy of an article is changed so that no two are the same document:

* an id of its own: copy 0 keeps the article's id, copy ``k`` is
  ``<id>#copy<k>`` (the URL likewise);
* a date of its own, spread over 20 years (2006-2025): the 20 years are cut
  into 33 windows of about 221 days, copy ``k`` of article ``i`` falls in
  window ``(i + k) mod 33`` at a random moment, so any 100k of the corpus
  spans all 20 years and two copies of one article never share a window;
* a dateline composed here (a city from a fixed list of 16, the date in
  Arabic: ``جدة - 12 مارس 2011:``) put before the body, so the text of
  every copy differs (its date does) and the writer's exact-duplicate
  check keeps them all;
* from copy 1 on, one sentence of the body (not the first) left out when
  the body has four or more, so copies differ in length and terms too.

The corpus is written as JSONL shards of 100,000 articles under the work
folder (``bench/work/scale/``, ignored by git; never the repository), each
a folder of ten files of 10,000.

**Stages.**  Shard 0 makes the 100k index, shards 1-2 the 300k one, shards
3-9 the million; each shard is one ``archive index`` run into the same
index (each size builds on the last).  Per shard: articles/s, CPU time per
article of the whole process tree (the machine is shared: CPU per article
does not depend on what else runs, wall time does), peak RSS of the
process tree (sampled every 50 ms), segments after it.  At each size:
index size, segment count, latency of 200 composed one- to three-word
queries with facets and snippets (median, p95, max; warm, after a first
pass), and the web load test of ``bench/load.py`` (20 clients).

**Resumable.**  Every finished shard and size is saved in
``<work>/state.json`` at once; a rerun skips what is done.  A shard whose
run was cut off is indexed again from the start of its file (the articles
its committed batches hold are skipped as unchanged) and flagged
"resumed": its throughput is not comparable.

    python bench/scale.py --upto 100000          # the 100k stage
    python bench/scale.py --upto 300000          # ... and the 300k one
    nice -n 10 python bench/scale.py             # all of it (hours)
    python bench/scale.py --report               # rewrite the results from the state
    python bench/scale.py --cluster-row 20000    # Dask cluster of 2 workers vs --jobs 2

Figures go to ``bench/results/scale.md`` and ``bench/results/scale.json``.
A size's figures that need a word beside them get it from
``<work>/notes.json`` (``{"300000": "text"}``), and the cluster row
comes from ``<work>/cluster.json`` (``--cluster-row`` writes it).
"""

import argparse
import json
import math
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA_DIR, REPO_ROOT, RESULTS_DIR, machine_facts, require_data  # noqa: E402
from indexer.resultcache import RESULT_CACHE  # noqa: E402

CORPUS = DATA_DIR / "saudinewsnet"
WORK = REPO_ROOT / "bench" / "work" / "scale"
SHARD = 100_000
FILE_ARTICLES = 10_000
TOTAL = 1_000_000
SIZES = (100_000, 300_000, 1_000_000)
COPIES = 33
FIRST_DAY = datetime(2006, 1, 1)
YEARS = 20
WINDOW = timedelta(days=365.25 * YEARS / COPIES)

# Composed for the datelines: cities a Saudi paper files from, and the
# months as Saudi papers write them.
CITIES = (
    "الرياض", "جدة", "مكة المكرمة", "المدينة المنورة", "الدمام", "أبها", "تبوك", "بريدة",
    "الطائف", "جازان", "نجران", "القاهرة", "دبي", "الكويت", "المنامة", "عمّان",
)
MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس",
          "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر")
_SENTENCE_END = re.compile(r"(?<=[.!؟?])\s+")

# Targets of issue 16 at 1M articles on the 2-core machine.
TARGET_THROUGHPUT_RATIO = 0.8
TARGET_INDEX_RSS_MB = 2048
TARGET_MEDIAN_MS = 100
TARGET_P95_MS = 300
TARGET_RPS = 40
TARGET_SERVER_MB = 1536


# --- the corpus -------------------------------------------------------------

def base_articles():
    from bench.indexing import read_articles

    return read_articles(None)


def variant(article, i, k):
    """Copy ``k`` of the ``i``-th base article, as a JSON-able record."""
    rng = random.Random(f"{i}:{k}")
    window = (i + k) % COPIES
    date = FIRST_DAY + window * WINDOW + timedelta(seconds=rng.uniform(0, WINDOW.total_seconds()))
    body = article.body
    if k:
        sentences = _SENTENCE_END.split(body)
        if len(sentences) >= 4:
            del sentences[rng.randrange(1, len(sentences))]
            body = " ".join(sentences)
    dateline = f"{rng.choice(CITIES)} - {date.day} {MONTHS[date.month - 1]} {date.year}:"
    suffix = f"#copy{k}" if k else ""
    return {
        "id": article.id + suffix,
        "title": article.title,
        "content": f"{dateline} {body}",
        "date": date.strftime("%Y-%m-%dT%H:%M:%S"),
        "source": article.source,
        "author": article.author,
        "url": (article.url + suffix) if article.url else "",
    }


def write_shard(path, base, shard, shard_size):
    """Write corpus positions [shard*size, (shard+1)*size) into the folder
    ``path``, FILE_ARTICLES a file, atomically (the folder is renamed last).

    Files of 10,000 articles (about 33 MB), as a dump of daily or weekly
    files would be: the reader holds a whole file in memory (bytes, text
    and lines, about three times its size).
    """
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    positions = range(shard * shard_size, min((shard + 1) * shard_size, len(base) * COPIES))
    for start in range(0, len(positions), FILE_ARTICLES):
        with open(tmp / f"{positions[start]:07d}.jsonl", "w", encoding="utf-8") as f:
            for n in positions[start:start + FILE_ARTICLES]:
                k, i = divmod(n, len(base))
                f.write(json.dumps(variant(base[i], i, k), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


# --- measuring one shard --------------------------------------------------------

_SUMMARY = re.compile(
    r"indexed ([\d,]+) articles in ([\d.]+)s .*?: ([\d,]+) added, ([\d,]+) updated, "
    r"([\d,]+) unchanged, ([\d,]+) exact duplicates left out, ([\d,]+) skipped.*holds ([\d,]+) articles"
)


def _int(text):
    return int(text.replace(",", ""))


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_index(index_dir, sources, options=(), niceness=0):
    """Run ``archive index`` on ``sources``; return its figures.

    CPU time is the whole process tree's: the pool's workers are waited for
    by ``archive index``, and it by us, so their times add up in
    RUSAGE_CHILDREN.
    """
    from bench.indexing import PeakRss

    cmd = [sys.executable, "-m", "indexer.cli", "--index-dir", str(index_dir), "index",
           *map(str, sources), "-q", *options]
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: os.nice(niceness)) if niceness else None)
    rss = PeakRss(proc.pid)
    out, err = proc.communicate()
    peak = rss.stop()
    wall = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    found = _SUMMARY.search(out)
    if proc.returncode not in (0, 1) or not found:
        raise RuntimeError(f"archive index failed ({proc.returncode}):\n{out}\n{err[-3000:]}")
    indexed = _int(found[3]) + _int(found[4])
    seconds = float(found[2])
    return {
        "indexed": indexed,
        "added": _int(found[3]),
        "unchanged": _int(found[5]),
        "duplicates": _int(found[6]),
        "skipped": _int(found[7]),
        "total_docs": _int(found[8]),
        "seconds": round(seconds, 1),
        "wall_s": round(wall, 1),
        "articles_per_s": round(indexed / seconds, 1) if seconds else None,
        "cpu_ms_per_article": round(cpu * 1000 / indexed, 2) if indexed else None,
        "peak_rss_mb": round(peak / 2**20),
    }


def index_facts(index_dir):
    """Size on disk and segment count of the index in ``index_dir``."""
    from indexer.writer import open_index

    ix = open_index(index_dir)
    try:
        with ix.reader() as reader:
            segments = sum(1 for _ in reader.leaf_readers())
            docs = reader.doc_count()
    finally:
        ix.close()
    size = sum(f.stat().st_size for f in Path(index_dir).rglob("*") if f.is_file())
    return {"docs": docs, "segments": segments, "index_mb": round(size / 2**20, 1)}


# --- queries and load at one size ---------------------------------------------------

def measure_queries(index_dir):
    """In a process of its own: 200 queries with facets and snippets, a
    first (cold) pass then the measured one; and the process's memory."""
    import psutil

    from bench.indexing import compose_queries
    from bench.load import anonymous_mb
    from indexer.search import SearchService

    queries = compose_queries()
    opened = time.perf_counter()
    with SearchService(index_dir, result_cache=0) as service:
        cold = []
        for q in queries:
            t = time.perf_counter()
            service.search(q, per_page=10)
            cold.append((time.perf_counter() - t) * 1000)
        first_pass = time.perf_counter() - opened
        warm, cpu = [], []
        for q in queries:
            t, c = time.perf_counter(), time.process_time()
            service.search(q, per_page=10)
            warm.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        memory = psutil.Process().memory_full_info()
    slowest = max(range(len(queries)), key=warm.__getitem__)
    return {
        "queries": len(queries),
        "median_ms": round(statistics.median(warm), 1),
        "p95_ms": round(_p95(warm), 1),
        "max_ms": round(max(warm), 1),
        "slowest_query": queries[slowest],
        # The CPU a query took: what it costs on an idle core, whatever else
        # runs on the shared machine.
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(_p95(cpu), 1),
        "cpu_max_ms": round(max(cpu), 1),
        "cold_median_ms": round(statistics.median(cold), 1),
        "cold_p95_ms": round(_p95(cold), 1),
        "first_pass_s": round(first_pass, 1),
        "rss_mb": memory.rss >> 20,
        "private_mb": memory.uss >> 20,
        "anonymous_mb": anonymous_mb(),
    }


def _p95(values):
    return statistics.quantiles(values, n=20)[18]


def measure_queries_apart(index_dir, niceness=0):
    out = subprocess.run(
        [sys.executable, __file__, "_queries", str(index_dir)], cwd=REPO_ROOT, capture_output=True,
        text=True, preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
    )
    if out.returncode:
        raise RuntimeError(f"query measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_load(index_dir, clients=20, duration=30.0, warmup=60.0, workers=2, threads=8, result_cache=None):
    """bench/load.py's load test (its server, warm-up and clients) on this index.

    The warm-up is longer than load.py's 15 s: at 100k articles one pass
    of 200 queries from a cold start takes about 45 s on the loaded
    machine (decoding posting blocks into the service's caches), and a
    server that has been up for a while is warm.
    """
    from bench import load

    server = load.Server(index_dir, workers, threads, result_cache=result_cache)
    try:
        facet_values = load.warm_up(server.port, clients, warmup)
        cpu_before = server.cpu_seconds()
        records = load.load(server.port, clients, duration, facet_values)
        cpu = server.cpu_seconds() - cpu_before
        rss_mb, private_mb, anonymous_mb = server.memory_mb()
    finally:
        server.stop()
    summary = load.summarize(records, duration)
    summary.update(
        clients=clients, duration_s=duration, warmup_s=warmup, workers=workers, threads=threads,
        result_cache=RESULT_CACHE if result_cache is None else result_cache,
        server_rss_mb=rss_mb, server_private_mb=private_mb, server_anonymous_mb=anonymous_mb,
        server_cpu_ms=round(cpu * 1000 / max(1, summary["requests"]), 1),
        server_cores_used=round(cpu / duration, 2),
    )
    return summary


# --- the run ---------------------------------------------------------------------

class State:
    """What is done, saved after every step (``<work>/state.json``)."""

    def __init__(self, path, config):
        self.path = path
        if path.exists():
            self.data = json.loads(path.read_text("utf-8"))
            if self.data["config"] != config:
                sys.exit(f"{path} was made with {self.data['config']}, not {config}: "
                         "use another --work folder, or delete it to start again")
        else:
            self.data = {"config": config, "shards": {}, "sizes": {}, "started": None}

    def save(self):
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=2), "utf-8")
        os.replace(tmp, self.path)


def run_stages(args):
    config = {"shard": args.shard_size, "sizes": list(args.sizes), "index_options": args.index_options}
    work = args.work
    (work / "corpus").mkdir(parents=True, exist_ok=True)
    state = State(work / "state.json", config)
    index_dir = work / "index"
    base = None
    upto = args.upto or max(args.sizes)
    for shard in range(-(-upto // args.shard_size)):
        key = str(shard)
        if key not in state.data["shards"]:
            path = work / "corpus" / f"part-{shard:02d}.jsonl"   # one file (the first runs')
            if not path.exists():
                path = path.with_suffix("")
                if base is None:
                    require_data([CORPUS], "scale benchmark")
                    base = base_articles()
                print(f"writing {path} ...", flush=True)
                write_shard(path, base, shard, args.shard_size)
            resumed = state.data["started"] == key
            state.data["started"] = key
            state.save()
            print(f"indexing shard {shard} ...", flush=True)
            row = run_index(index_dir, [path], args.index_options.split(), args.nice)
            row.update(index_facts(index_dir), shard=shard, resumed=resumed, one_file=path.is_file(),
                       loadavg=round(os.getloadavg()[0], 1))
            state.data["shards"][key] = row
            state.data["started"] = None
            state.save()
            print(json.dumps(row), flush=True)
            if args.drop_corpus:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        size = (shard + 1) * args.shard_size
        if size in args.sizes and str(size) not in state.data["sizes"]:
            print(f"measuring at {size:,} articles ...", flush=True)
            row = {"facts": index_facts(index_dir), "queries": measure_queries_apart(index_dir, args.nice)}
            print(json.dumps(row), flush=True)
            if not args.no_load:
                row["load"] = measure_load(index_dir)
                print(json.dumps(row["load"]), flush=True)
            state.data["sizes"][str(size)] = row
            state.save()
    return state.data


# --- the cluster row ----------------------------------------------------------------

def cluster_row(count, work, niceness=0):
    """``count`` articles indexed by ``archive index --jobs 2`` and by
    ``archive index --cluster`` on a real 2-worker Dask cluster started here,
    alternately, into fresh indexes; the same corpus file for both."""
    from indexer.cluster import LocalDaskCluster

    work.mkdir(parents=True, exist_ok=True)
    path = work / f"cluster-{count}"
    if not path.exists():
        require_data([CORPUS], "scale benchmark")
        write_shard(path, base_articles(), 0, count)
    runs = {"local": [], "cluster": []}
    with LocalDaskCluster(workers=2, cwd=work) as cluster:
        for attempt in range(2):
            for name, options in (("local", ["--jobs", "2"]), ("cluster", ["--cluster", cluster.address])):
                index_dir = work / f"cluster-row-{name}"
                shutil.rmtree(index_dir, ignore_errors=True)
                # The workers live on through both runs; their CPU is not the
                # client's child: wall time is the comparable figure.
                row = run_index(index_dir, [path], options, niceness)
                row.update(index_facts(index_dir))
                runs[name].append(row)
                print(name, json.dumps(row), flush=True)
                shutil.rmtree(index_dir, ignore_errors=True)
    best = {name: max(rows, key=lambda r: r["articles_per_s"]) for name, rows in runs.items()}
    return {
        "articles": count,
        "runs": runs,
        "local_articles_per_s": [r["articles_per_s"] for r in runs["local"]],
        "cluster_articles_per_s": [r["articles_per_s"] for r in runs["cluster"]],
        "overhead": round(best["local"]["articles_per_s"] / best["cluster"]["articles_per_s"] - 1, 3),
        "loadavg": round(os.getloadavg()[0], 1),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


# --- the report -------------------------------------------------------------------

def growth(xs, ys):
    """The exponent b of y ~ x**b between the first and last point."""
    if len(xs) < 2 or not ys[0] or not ys[-1]:
        return None
    return round(math.log(ys[-1] / ys[0]) / math.log(xs[-1] / xs[0]), 2)


def describe_growth(b):
    if b is None:
        return "not enough points"
    if b < 0.15:
        return f"flat (exponent {b})"
    if b < 0.85:
        return f"sublinear (exponent {b})"
    if b < 1.15:
        return f"linear (exponent {b})"
    return f"superlinear (exponent {b})"


def write_report(data, cluster=None, notes=None):
    facts = machine_facts(["whoosh-reloaded", "distributed"])
    shards = [data["shards"][k] for k in sorted(data["shards"], key=int)]
    sizes = {int(k): v for k, v in data["sizes"].items()}
    shard_size = data["config"]["shard"]
    lines = [
        "# Scale: 100k, 300k and 1M articles on one machine (bench/scale.py)",
        "",
        "Written by `python bench/scale.py` (corpus, stages and method in its docstring); "
        "do not edit by hand.",
        f"Machine: {facts['cpus']} cores shared with other developers, Python {facts['python']}, "
        f"whoosh-reloaded {facts['packages'].get('whoosh-reloaded')}. "
        f"`archive index` options: `{data['config']['index_options'] or '(defaults)'}`.",
        "",
        "## Indexing, shard by shard",
        "",
        f"Each row is one `archive index` run adding {shard_size:,} articles to the same index. "
        "CPU ms/article is the whole process tree's CPU time over the articles indexed; it does "
        "not depend on what else runs on the machine (articles/s does: the load average is the "
        "machine's when the shard ended). Peak RSS is the whole process tree, workers included.",
        "",
        "| index after | articles/s | CPU ms/article | peak RSS MB | wall s | segments | index MB "
        "| load avg | note |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in shards:
        note = "resumed after a cut-off run" if r.get("resumed") else ""
        if r.get("one_file"):
            note += " read from one 334 MB file (the reader holds it whole)"
        if r.get("duplicates"):
            note += f" {r['duplicates']} duplicates"
        lines.append(
            f"| {r['total_docs']:,} | {r['articles_per_s']} | {r['cpu_ms_per_article']} "
            f"| {r['peak_rss_mb']} | {r['wall_s']} | {r['segments']} | {r['index_mb']} "
            f"| {r.get('loadavg', '')} | {note.strip()} |"
        )
    lines += [
        "",
        "## Searching and serving at each size",
        "",
        "Queries: 200 composed one- to three-word queries (`bench/indexing.py`), facets and "
        "top-10 snippets, in one process; warm (a first pass done). Load: `bench/load.py`'s test, "
        "`archive serve` with 2 processes x 8 threads, 20 clients for 30 s after a warm-up (60 s; "
        "15 s at 100k). Memory is given three ways, summed over a server's processes: "
        "anonymous (what the processes allocated: Python objects, arrays, caches; the "
        "target is checked on it), private (USS: also the index's mapped pages that only "
        "this process has read) and RSS (every mapped page it has touched). The index's "
        "mapped pages are the kernel's page cache of its files, shared by every process "
        "that maps them and dropped under memory pressure, as with Lucene's MMapDirectory; "
        "rows measured before it was recorded show - in its place.",
        "",
        "| articles | index MB | segments | median ms | p95 ms | max ms | CPU median / p95 / max ms "
        "| cold median ms | query process anonymous / private (RSS) MB | requests/s "
        "| load median / p95 ms | errors "
        "| server CPU ms/request | server anonymous / private (RSS) MB |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for size in sorted(sizes):
        f, q, ld = sizes[size]["facts"], sizes[size]["queries"], sizes[size].get("load")
        load_cells = (
            f"| {ld['rps']} | {ld['median_ms']} / {ld['p95_ms']} | {ld['errors']} | {ld['server_cpu_ms']} "
            f"| {ld.get('server_anonymous_mb', '-')} / {ld['server_private_mb']} ({ld['server_rss_mb']}) |"
            if ld else "| | | | | |"
        )
        cpu = (f"{q['cpu_median_ms']} / {q['cpu_p95_ms']} / {q['cpu_max_ms']}" if "cpu_median_ms" in q
               else "(not recorded)")
        lines.append(
            f"| {f['docs']:,} | {f['index_mb']} | {f['segments']} | {q['median_ms']} | {q['p95_ms']} "
            f"| {q['max_ms']} | {cpu} | {q['cold_median_ms']} "
            f"| {q.get('anonymous_mb', '-')} / {q['private_mb']} ({q['rss_mb']}) " + load_cells
        )
    for size in sorted(sizes):
        ld = sizes[size].get("load")
        if ld and "result_cache" in ld:
            lines += ["", f"At {size:,}: `archive serve` keeps the results of its last {ld['result_cache']} "
                          "searches a process (`--result-cache`, indexer/resultcache.py). The warm-up asks "
                          "the JSON API, whose requests are not the pages', so the pages start uncached; "
                          "a page comes from the cache when a client draws a query (and facet value) "
                          "that the same server process answered before in the 30 s."]
        off = sizes[size].get("load_uncached")
        if off:
            lines.append(
                f"Without it (`--result-cache 0`), every page computed: {off['rps']} requests/s, "
                f"{off['errors']} errors, median / p95 {off['median_ms']} / {off['p95_ms']} ms, "
                f"{off['server_cpu_ms']} ms server CPU a request, "
                f"{off.get('server_anonymous_mb', '-')} MB anonymous memory."
            )
        again = sizes[size].get("measured_again")
        if again:
            if isinstance(again, str):   # recorded before the commit was
                again = {"when": again, "commit": "", "load": True}
            what = "queries and load" if again["load"] else "queries"
            code = f"commit {again['commit']}" if again["commit"] else "the code"
            lines += ["", f"At {size:,}: {what} measured again on the same index with {code} "
                          f"of {again['when']} (`--measure-again`)."]
    for size, note in sorted((notes or {}).items(), key=lambda item: int(item[0])):
        lines += ["", f"At {int(size):,}: {note}"]
    lines += ["", "## Growth", ""]
    if len(shards) >= 2:
        first, last = shards[0], shards[-1]
        lines.append(
            f"- Indexing: the last shard ({last['total_docs']:,}) ran at {last['articles_per_s']} "
            f"articles/s, {last['articles_per_s'] / first['articles_per_s']:.2f}x the first's; CPU per "
            f"article {last['cpu_ms_per_article']} ms against {first['cpu_ms_per_article']} ms "
            f"({first['cpu_ms_per_article'] / last['cpu_ms_per_article']:.2f}x the first's throughput "
            "on equal cores). Total indexing time grows "
            + describe_growth(growth([r["total_docs"] for r in shards],
                                     _cumulative([r["cpu_ms_per_article"] * r["indexed"] for r in shards])))
            + " in the articles."
        )
    if len(sizes) >= 2:
        xs = sorted(sizes)
        for label, key in (("median query latency", "median_ms"), ("p95 query latency", "p95_ms")):
            ys = [sizes[x]["queries"][key] for x in xs]
            lines.append(f"- {label.capitalize()} grows {describe_growth(growth(xs, ys))} "
                         f"in the articles ({' → '.join(f'{y} ms' for y in ys)}).")
        ys = [sizes[x]["facts"]["index_mb"] for x in xs]
        lines.append(f"- Index size grows {describe_growth(growth(xs, ys))} "
                     f"({' → '.join(f'{y:,.0f} MB' for y in ys)}).")
    lines += diagnosis_lines(data.get("diagnosis"))
    lines += ["", "## Targets at 1M articles", ""]
    lines += target_lines(shards, sizes)
    if cluster:
        lines += cluster_lines(cluster)
    (RESULTS_DIR / "scale.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS_DIR / "scale.json").write_text(
        json.dumps({"machine": facts, **data, "cluster": cluster, "notes": notes}, ensure_ascii=False, indent=2),
        "utf-8"
    )
    print("\n".join(lines))


def diagnosis_lines(d):
    """Why serving collapsed at 300k: the profile recorded in the state
    (``diagnosis``), measured by hand on the 300k index (see its ``how``)."""
    if not d:
        return []
    steps = ", ".join(f"{name} {secs} s" for name, secs in d["warm_steps_s"].items())
    return [
        "", "## Why serving collapsed at 300k", "",
        f"Measured on the {d['articles']:,}-article index ({d['segments']} segments), {d['how']}.", "",
        f"- Building a process's arrays (`SearchService.warm`, which `archive serve` starts in the "
        f"background): {steps}; the vocabulary alone added {d['vocabulary_mb']} MB to the process.",
        "- Every array was built under one lock of the generation, so while the vocabulary was built "
        "every search waited: a search started "
        f"{d['blocked']['at_s']} s into the warm-up stopped at the 10 s budget; the load test's "
        "20 clients got 33 s medians and dropped connections, on a server using 0.17 cores.",
        f"- After (one lock per array, none to read a built one; same index, same moment of the "
        f"warm-up): {', '.join(f'{ms} ms' for ms in d['unblocked_ms'])} for three searches, the first "
        "waiting for the actor facet it needs, none for the vocabulary.",
        f"- Fewer segments by merging is not cheap here: Whoosh's merge (`add_reader`) of 2 segments "
        f"took {d['merge_cpu_ms_per_article']} ms CPU per article, more than indexing it "
        f"({d['index_cpu_ms_per_article']} ms); a tiered policy would multiply the cost of a "
        "million-article build, so segments stay at their written size (a larger `--batch-size` "
        "makes them larger).",
        f"- Not measured yet after the fix: {d['left']}",
    ]


def _cumulative(values):
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


def target_lines(shards, sizes):
    top = sizes.get(TOTAL)
    if top is None:
        have = max(sizes) if sizes else 0
        return [f"The 1M stage has not run yet (largest size measured: {have:,}); "
                "`nice -n 10 python bench/scale.py` resumes it."]
    q, ld = top["queries"], top.get("load") or {}
    ratio = shards[-1]["cpu_ms_per_article"] and shards[0]["cpu_ms_per_article"] / shards[-1]["cpu_ms_per_article"]
    rss = max(r["peak_rss_mb"] for r in shards)
    rows = [
        ("indexing throughput, last shard / first (CPU per article)", f">= {TARGET_THROUGHPUT_RATIO}",
         f"{ratio:.2f}", ratio >= TARGET_THROUGHPUT_RATIO),
        ("peak RSS of `archive index`", f"< {TARGET_INDEX_RSS_MB} MB", f"{rss} MB", rss < TARGET_INDEX_RSS_MB),
        ("query median", f"<= {TARGET_MEDIAN_MS} ms", f"{q['median_ms']} ms", q["median_ms"] <= TARGET_MEDIAN_MS),
        ("query p95", f"<= {TARGET_P95_MS} ms", f"{q['p95_ms']} ms", q["p95_ms"] <= TARGET_P95_MS),
        ("`archive serve`, 20 clients", f">= {TARGET_RPS} requests/s, 0 errors",
         f"{ld.get('rps')} requests/s, {ld.get('errors')} errors",
         bool(ld) and ld["rps"] >= TARGET_RPS and ld["errors"] == 0),
        server_memory_row(ld),
    ]
    out = ["| target | wanted | measured | met |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {'yes' if ok else '**no**'} |" for a, b, c, ok in rows]
    return out


def server_memory_row(ld):
    """The server memory target's row: on anonymous memory (see the table's
    text), or on private memory for a run recorded before it was measured."""
    if ld.get("server_anonymous_mb") is not None:
        mb = ld["server_anonymous_mb"]
        return ("server memory (anonymous; private and RSS in brackets)", f"< {TARGET_SERVER_MB} MB",
                f"{mb} MB ({ld['server_private_mb']}, {ld['server_rss_mb']})", mb < TARGET_SERVER_MB)
    mb = ld.get("server_private_mb")
    return ("server memory (private)", f"< {TARGET_SERVER_MB} MB", f"{mb} MB",
            mb is not None and mb < TARGET_SERVER_MB)


def cluster_lines(c):
    local, dask = c["local_articles_per_s"], c["cluster_articles_per_s"]
    return [
        "",
        "## Through a Dask cluster on this machine",
        "",
        f"{c['articles']:,} articles, measured {c['when']} (load average {c['loadavg']}): "
        "`archive index --jobs 2` and `archive index --cluster` on a real `dask scheduler` with two "
        "`dask worker` processes (one thread each) on 127.0.0.1, run in alternation into fresh "
        "indexes, two runs each.",
        "",
        "| run | articles/s |",
        "|---|---|",
        f"| local, `--jobs 2` | {', '.join(map(str, local))} |",
        f"| 2-worker Dask cluster | {', '.join(map(str, dask))} |",
        "",
        f"Cluster overhead (best local / best cluster - 1): **{c['overhead'] * 100:.0f}%**.",
        "",
        "Both build segments in two single-threaded processes on the same two cores, so the cluster "
        "cannot be faster: a negative overhead, or one within the spread of the two runs of a kind, "
        "says that the machine's other load decided the difference (its load average is above), "
        "and the cluster's scheduling costs less than that spread.",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=WORK, help=f"corpus, index and state (default {WORK})")
    parser.add_argument("--upto", type=int, help="stop after this many articles (default: all sizes)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=list(SIZES),
                        help="sizes measured (multiples of --shard-size)")
    parser.add_argument("--shard-size", type=int, default=SHARD)
    parser.add_argument("--index-options", default="", help="extra 'archive index' options, one string")
    parser.add_argument("--nice", type=int, default=0, help="run the heavy processes at this niceness")
    parser.add_argument("--no-load", action="store_true", help="skip the web load test")
    parser.add_argument("--drop-corpus", action="store_true", help="delete each shard's file once indexed")
    parser.add_argument("--report", action="store_true", help="only rewrite the results from the state")
    parser.add_argument("--measure-again", action="store_true",
                        help="run the query and load tests again on the index as it is (a measured size) "
                             "with today's code, keep the new figures")
    parser.add_argument("--cluster-row", type=int, metavar="ARTICLES",
                        help="measure the cluster against --jobs 2 on this many articles (alone)")
    args = parser.parse_args()
    state_path = args.work / "state.json"
    cluster_path = args.work / "cluster.json"
    cluster = json.loads(cluster_path.read_text("utf-8")) if cluster_path.exists() else None
    # What a size's figures need said beside them ({size: text}), written
    # by whoever measured them.
    notes_path = args.work / "notes.json"
    notes = json.loads(notes_path.read_text("utf-8")) if notes_path.exists() else None
    if args.cluster_row:
        cluster = cluster_row(args.cluster_row, args.work, args.nice)
        cluster_path.write_text(json.dumps(cluster, indent=2), "utf-8")
        data = json.loads(state_path.read_text("utf-8")) if state_path.exists() else None
    elif args.report:
        data = json.loads(state_path.read_text("utf-8"))
    elif args.measure_again:
        data = json.loads(state_path.read_text("utf-8"))
        docs = index_facts(args.work / "index")["docs"]
        # Sizes are named by the articles fed in; the index holds fewer
        # (exact duplicates of the corpus are indexed once).
        measured = [v for v in data["sizes"].values() if v["facts"]["docs"] == docs]
        if not measured:
            sys.exit(f"the index holds {docs:,} articles, not a measured size")
        figures = measured[0]
        figures["queries"] = measure_queries_apart(args.work / "index", args.nice)
        print(json.dumps(figures["queries"]), flush=True)
        if not args.no_load:
            figures["load"] = measure_load(args.work / "index")
            print(json.dumps(figures["load"]), flush=True)
            # The same without the result cache: what computing every page costs.
            figures["load_uncached"] = measure_load(args.work / "index", result_cache=0)
            print(json.dumps(figures["load_uncached"]), flush=True)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True).stdout.strip()
        figures["measured_again"] = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                     "commit": commit, "load": not args.no_load}
        state_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    else:
        data = run_stages(args)
    if data is not None:
        write_report(data, cluster, notes)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_queries":
        print(json.dumps(measure_queries(sys.argv[2])))
    else:
        main()
