"""Indexing throughput, memory and query latency on SaudiNewsNet.

In one run, on the same articles (the SaudiNewsNet zips in file order,
articles with no text left out by the reader):

(a) plain Whoosh: one process, StandardAnalyzer on title + body, the same
    stored fields, one writer and one commit (Whoosh's own usage);
(b) this project's full pipeline: Arabic analysis, entity recognition,
    facet columns, segments built by every core (``index_articles``);
(c) the same pipeline without entity recognition, for the cost of entities
    (issue 3 allows at most 1.5x): on all articles, (c) and (b) are built
    again in alternation ``--pairs`` times in all, and the median of the
    pairs' ratios is reported (a shared 2-core machine drifts by several
    per cent from one minute to the next).  Likewise (a) and (b) on all
    articles ``--ratio-pairs`` times, for the median ratio b/a.

Each build's CPU time is recorded beside its wall time: the whole process
tree's, from the kernel's accounting of waited-for children, so it also
holds the subprocess's start and its reading of the articles (the same
for every system).  CPU ms an article moves far less with the machine's
other load than articles/s does.

For each, at 5k, 10k, 20k and all articles: articles/s, peak RSS of the
whole process tree (workers included, sampled every 50 ms), index size on
disk, and the ratio b/a.  Then, on the full pipeline's indexes, latency of
200 composed one- to three-word queries with facets and top-10 snippets:
median and p95 over the queries, warm (the service's per-generation arrays
built, as a running server has them) and the cold first pass.

Each build runs in a subprocess of its own, so its peak RSS is its own.

    python bench/indexing.py                  # the whole curve
    python bench/indexing.py --sizes 5000     # one point, quicker
    python bench/indexing.py --pairs 1        # one entity-cost pair
    python bench/indexing.py --sizes 0 --ratio-pairs 3   # b/a, three alternations
    python bench/indexing.py --sizes 0 --ratio-pairs 3 --baseline 9fd0aa5

``--baseline REV`` builds the project at another commit too, from a
checkout of it (``git archive``), in the same alternation as (a) and (b):
a ratio measured on another day, on a host running at another speed, says
little about the code, while both commits built in the same minutes do.
The commit must have this script's ``_build`` command (every commit since
2026-11-29 has).
"""

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA_DIR, REPO_ROOT, RESULTS_DIR, machine_facts, require_data  # noqa: E402

CORPUS = DATA_DIR / "saudinewsnet"
SIZES = (5000, 10000, 20000, None)

# Composed query vocabulary: common subjects of Saudi news in 2015, as a
# reader would type them (not taken from the corpus).
QUERY_WORDS = (
    "السعودية الرياض جدة مكة المدينة الملك سلمان ولي العهد وزارة الصحة التعليم "
    "النفط أسعار الأسهم السوق البورصة الاقتصاد الميزانية الاستثمار الشركات البنوك "
    "اليمن الحوثي صنعاء عدن التحالف عاصفة الحزم إيران الاتفاق النووي سوريا الأسد "
    "داعش الإرهاب العراق بغداد الموصل مصر القاهرة الكويت الإمارات قطر البحرين "
    "الحج المعتمرين الحرم رمضان العيد الهلال النصر الاتحاد الأهلي الدوري المنتخب "
    "كرة القدم المرور الحوادث الأمطار الطقس الحرارة الكهرباء المياه الإسكان "
    "البلدية المشاريع الطلاب الجامعة المعلمين المستشفى كورونا المرضى الأطباء "
    "الشرطة القبض المخدرات الجوازات العمالة التأشيرات السياحة الطيران المطار"
).split()


def compose_queries(count=200, seed=20150721):
    """Deterministic one- to three-word queries from QUERY_WORDS."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < count:
        n = rng.choice((1, 1, 2, 2, 3))
        query = " ".join(rng.sample(QUERY_WORDS, n))
        if query not in queries:
            queries.append(query)
    return queries


def read_articles(limit):
    from indexer.readers import Article, read_sources

    articles = []
    for item in read_sources(sorted(CORPUS.glob("*.zip"))):
        if isinstance(item, Article):
            articles.append(item)
            if limit and len(articles) >= limit:
                break
    return articles


def build_plain(index_dir, articles):
    from whoosh import fields, index
    from whoosh.analysis import StandardAnalyzer

    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.STORED(), body=fields.STORED(),
        text=fields.TEXT(analyzer=StandardAnalyzer()),
        date=fields.DATETIME(stored=True, sortable=True),
        source=fields.ID(stored=True, sortable=True),
        author=fields.STORED(), url=fields.STORED(),
    )
    ix = index.create_in(str(index_dir), schema)
    writer = ix.writer(limitmb=256)
    for a in articles:
        doc = dict(id=a.id, title=a.title, body=a.body, text=f"{a.title}\n{a.body}",
                   author=a.author, url=a.url)
        if a.source:
            doc["source"] = a.source
        if a.date:
            doc["date"] = a.date
        writer.add_document(**doc)
    writer.commit()


def build_project(index_dir, articles, entities=True):
    from indexer.writer import index_articles

    index_articles(index_dir, articles, entities=entities)


BUILDERS = {
    "plain": build_plain,
    "project": build_project,
    "no-entities": lambda index_dir, articles: build_project(index_dir, articles, entities=False),
}


def run_build(system, limit, index_dir):
    """In a subprocess: read, then build; print the build's seconds as JSON."""
    articles = read_articles(limit)
    start = time.perf_counter()
    BUILDERS[system](Path(index_dir), articles)
    print(json.dumps({"seconds": time.perf_counter() - start, "articles": len(articles)}))


class PeakRss:
    """Samples the RSS of a process and all its descendants."""

    def __init__(self, pid, interval=0.05):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_build(system, limit, index_dir, checkouts=None):
    """Build ``system`` in a subprocess; ``checkouts`` maps a system to the
    checkout whose own copy of this script builds it (:func:`baseline_checkout`)."""
    checkout = (checkouts or {}).get(system)
    script = Path(checkout, "bench", "indexing.py") if checkout else __file__
    cmd = [sys.executable, str(script), "_build", "project" if checkout else system, str(limit or 0), str(index_dir)]
    cpu_before = _children_cpu()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = PeakRss(proc.pid)
    out, err = proc.communicate()
    peak = rss.stop()
    # The build's workers are waited for by the build process, so their
    # time is in its children's, and so in ours once it is waited for.
    cpu = _children_cpu() - cpu_before
    if proc.returncode != 0:
        raise RuntimeError(f"{system} build failed:\n{err}")
    result = json.loads(out.strip().splitlines()[-1])
    size = sum(f.stat().st_size for f in Path(index_dir).rglob("*") if f.is_file())
    return {
        "articles": result["articles"],
        "seconds": round(result["seconds"], 1),
        "articles_per_s": round(result["articles"] / result["seconds"], 1),
        "cpu_ms_per_article": round(cpu * 1000 / result["articles"], 2),
        "peak_rss_mb": round(peak / 2**20),
        "index_mb": round(size / 2**20, 1),
    }


def alternating_builds(systems, size, work, times, checkouts=None):
    """Build each of ``systems`` in turn, ``times`` rounds: [[measure of each], ...]."""
    rounds = []
    for _ in range(times):
        measures = []
        for system in systems:
            index_dir = work / f"{system}-again"
            index_dir.mkdir()
            measures.append(measure_build(system, size, index_dir, checkouts))
            shutil.rmtree(index_dir)
        rounds.append(measures)
        print(f"{size or 'all'} builds {' / '.join(systems)}: {[m['seconds'] for m in measures]}", flush=True)
    return rounds


def _seconds(rounds):
    return [[m["seconds"] for m in measures] for measures in rounds]


def baseline_checkout(rev, work):
    """Extract commit ``rev`` of this repository under ``work``; return the
    checkout and the commit's short hash.  Its benchmarks look for the data
    beside the checkout, so the data's folder is linked there; its modules
    are compiled now, so that its first build does not pay for it."""
    sha = subprocess.run(["git", "rev-parse", "--short=12", f"{rev}^{{commit}}"], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    checkout = work / "baseline" / "checkout"
    checkout.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", sha], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive, check=True)
    os.symlink(DATA_DIR.parent, work / "baseline" / "shared")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(checkout)], check=True)
    return checkout, sha


def measure_queries(index_dir, queries):
    from indexer.search import SearchService

    with SearchService(index_dir, result_cache=0) as service:
        start = time.perf_counter()
        cold = []
        for q in queries:
            t = time.perf_counter()
            service.search(q, per_page=10)
            cold.append((time.perf_counter() - t) * 1000)
        warm_up = time.perf_counter() - start
        warm = []
        for q in queries:
            t = time.perf_counter()
            service.search(q, per_page=10)
            warm.append((time.perf_counter() - t) * 1000)
    one_word = [ms for q, ms in zip(queries, warm) if " " not in q]
    return {
        "queries": len(queries),
        "cold_median_ms": round(statistics.median(cold), 1),
        "cold_p95_ms": round(_p95(cold), 1),
        "first_pass_s": round(warm_up, 1),
        "median_ms": round(statistics.median(warm), 1),
        "p95_ms": round(_p95(warm), 1),
        "one_word_queries": len(one_word),
        "one_word_median_ms": round(statistics.median(one_word), 1),
    }


def _p95(values):
    return statistics.quantiles(values, n=20)[18]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) or None for x in s.split(",")],
                        default=list(SIZES), help="comma-separated article counts, 0 = all")
    parser.add_argument("--keep", type=Path, help="keep the full-pipeline indexes under this folder")
    parser.add_argument("--pairs", type=int, default=3,
                        help="builds with and without entities on all articles (median ratio)")
    parser.add_argument("--ratio-pairs", type=int, default=1,
                        help="builds of plain Whoosh and of this project on all articles (median ratio b/a)")
    parser.add_argument("--baseline", metavar="REV",
                        help="a commit of the project built in the same alternation as --ratio-pairs")
    args = parser.parse_args()
    if args.baseline and None not in args.sizes:
        parser.error("--baseline is built on all articles: give --sizes with 0")
    require_data([CORPUS], "indexing benchmark")
    queries = compose_queries()
    rows = []
    work = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    checkouts, baseline = {}, None
    try:
        if args.baseline:
            checkout, baseline = baseline_checkout(args.baseline, work)
            checkouts["baseline"] = checkout
        for size in args.sizes:
            row = {"size": size or "all"}
            systems = ("plain", "project", "no-entities") if size is None else ("plain", "project")
            for system in systems:
                index_dir = work / f"{system}-{size or 'all'}"
                index_dir.mkdir()
                row[system] = measure_build(system, size, index_dir)
                print(f"{row['size']} {system}: {row[system]}", flush=True)
            row["ratio"] = round(row["project"]["articles_per_s"] / row["plain"]["articles_per_s"], 2)
            if size is None and baseline:
                # The first round: plain and project above, the baseline now.
                (work / "baseline-all").mkdir()
                row["baseline"] = measure_build("baseline", size, work / "baseline-all", checkouts)
                row["baseline"]["commit"] = baseline
                shutil.rmtree(work / "baseline-all")
                rounds = [[row["plain"], row["project"], row["baseline"]]]
                rounds += alternating_builds(("plain", "project", "baseline"), size, work,
                                             args.ratio_pairs - 1, checkouts)
                row["ratio_pairs"] = [r[:2] for r in _seconds(rounds)]
                # Each round: plain's, the project's and the baseline's
                # seconds, then their CPU ms an article.
                row["baseline_rounds"] = [[m["seconds"] for m in r] + [m["cpu_ms_per_article"] for m in r]
                                          for r in rounds]
                row["ratio"] = round(statistics.median(a / b for a, b in row["ratio_pairs"]), 2)
                row["baseline_ratio"] = round(statistics.median(r[0] / r[2] for r in row["baseline_rounds"]), 2)
                row["speedup"] = round(statistics.median(r[2] / r[1] for r in row["baseline_rounds"]), 2)
            elif size is None and args.ratio_pairs > 1:
                row["ratio_pairs"] = [[row["plain"]["seconds"], row["project"]["seconds"]]]
                row["ratio_pairs"] += _seconds(alternating_builds(("plain", "project"), size, work,
                                                                  args.ratio_pairs - 1))
                row["ratio"] = round(statistics.median(a / b for a, b in row["ratio_pairs"]), 2)
            if "no-entities" in row:
                shutil.rmtree(work / f"no-entities-{size or 'all'}")
                row["entity_pairs"] = [[row["project"]["seconds"], row["no-entities"]["seconds"]]]
                # Built without entities first, recorded with them first.
                row["entity_pairs"] += [pair[::-1] for pair in _seconds(alternating_builds(
                    ("no-entities", "project"), size, work, args.pairs - 1))]
                row["entity_cost"] = round(statistics.median(a / b for a, b in row["entity_pairs"]), 2)
            row["latency"] = measure_queries(work / f"project-{size or 'all'}", queries)
            print(f"{row['size']} ratio {row['ratio']} latency {row['latency']}", flush=True)
            shutil.rmtree(work / f"plain-{size or 'all'}")
            rows.append(row)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for row in rows:
                shutil.move(str(work / f"project-{row['size']}"), args.keep / f"project-{row['size']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_results(rows, queries)


def write_results(rows, queries):
    facts = machine_facts(["whoosh-reloaded"])
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "indexing.json").write_text(
        json.dumps({"machine": facts, "rows": rows, "queries": queries}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    lines = [
        "# Indexing and query latency (bench/indexing.py)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {facts.get('cpus')} cores, Python "
        f"{facts.get('python')}, whoosh-reloaded {facts.get('packages', {}).get('whoosh-reloaded')}.",
        "(a) plain Whoosh, one process, StandardAnalyzer, same stored fields, one commit;",
        "(b) this project: Arabic analysis, entities, facet columns, segments built on every core.",
        "Peak RSS is the whole process tree. Latency: 200 composed 1-3 word queries with",
        "facets and top-10 snippets; warm = the service's per-generation arrays loaded.",
        "",
        "| articles | plain art/s | project art/s | ratio b/a | plain RSS MB | project RSS MB "
        "| plain index MB | project index MB | median ms | p95 ms | cold median ms | cold p95 ms "
        "| one-word median ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, b, q = r["plain"], r["project"], r["latency"]
        lines.append(
            f"| {b['articles']:,} | {a['articles_per_s']} | {b['articles_per_s']} | {r['ratio']} "
            f"| {a['peak_rss_mb']} | {b['peak_rss_mb']} | {a['index_mb']} | {b['index_mb']} "
            f"| {q['median_ms']} | {q['p95_ms']} | {q['cold_median_ms']} | {q['cold_p95_ms']} "
            f"| {q['one_word_median_ms']} |"
        )
        if "ratio_pairs" in r:
            lines.append("")
            lines.append(
                f"Plain Whoosh / this project on all {b['articles']:,} articles, "
                f"{len(r['ratio_pairs'])} pairs built in alternation: {_pairs(r['ratio_pairs'])}; median ratio b/a "
                f"**{r['ratio']}x** (the table's ratio column). CPU an article, first pair: plain "
                f"{a.get('cpu_ms_per_article')} ms, this project {b.get('cpu_ms_per_article')} ms "
                "(all its processes)."
            )
        if "baseline_rounds" in r:
            c = r["baseline"]["commit"]
            rounds = "; ".join(f"{p} s / {q} s / {o} s ({pc} / {qc} / {oc} ms)"
                               for p, q, o, pc, qc, oc in r["baseline_rounds"])
            lines.append("")
            lines.append(
                f"The same alternation with the project at commit {c} built third in each round "
                f"(plain / this project / {c}: seconds, then CPU ms an article): {rounds}. "
                f"Median ratios: {c} to plain Whoosh **{r['baseline_ratio']}x**, this project to plain "
                f"**{r['ratio']}x**; this project builds **{r['speedup']}x** as fast as {c}."
            )
        if "entity_cost" in r:
            lines.append("")
            lines.append(
                f"Entity recognition cost on all {b['articles']:,} articles, with / without entities, "
                f"{len(r['entity_pairs'])} pairs built in alternation: {_pairs(r['entity_pairs'])}; median "
                f"**{r['entity_cost']}x**."
            )
    lines += near_copy_cost()
    (RESULTS_DIR / "indexing.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _pairs(pairs):
    return ", ".join(f"{x} s / {y} s ({x / y:.2f}x)" for x, y in pairs)


def near_copy_cost():
    """The near-copy index-time cost, as ``bench/nearcopies.py --cost`` last measured it."""
    path = RESULTS_DIR / "nearcopies.json"
    recorded = json.loads(path.read_text()) if path.exists() else {}
    c = recorded.get("cost")
    if not c:
        return []
    return ["", f"Near-copy signatures and clustering (`bench/nearcopies.py --cost {c['articles']}`, "
                f"{recorded['cost_measured']}): the first {c['articles']:,} articles with entities, "
                f"with near-copies {c['with_s']} s, without {c['without_s']} s, alternating: "
                f"**{c['ratio']}x** (target: at most 1.15x)."]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_build":
        run_build(sys.argv[2], int(sys.argv[3]) or None, sys.argv[4])
    else:
        main()
