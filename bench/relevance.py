"""Relevance benchmark: how well each system ranks the right passage for a question.

Corpus: the 240 Arabic passages of XQuAD-ar plus the first 5,000
SaudiNewsNet articles (non-empty content, distinct URL, zips and their
members in sorted order) as distractors.  Queries: XQuAD-ar's 1,190
questions, one relevant passage each.  Metrics: MRR@10, Recall@10, nDCG@10.

Every system indexes the same text, ``title + "\\n" + body`` in one field:
SaudiNewsNet headlines are indexed (they are Arabic and part of the
article); XQuAD passage titles are not (they are English Wikipedia page
names such as ``Super_Bowl_50``, metadata no Arabic question is written
against).  The ``title`` ablations measure both choices.

Systems, all in one run:

(a) this project: ``indexer.writer.index_articles`` and
    ``indexer.search.SearchService.search``, questions passed as typed;
(b) Whoosh's StandardAnalyzer with Whoosh's BM25F, an OR of the words;
(c) Lucene's Arabic analysis ported to Whoosh (``bench/lucene_arabic.py``)
    with Lucene's idf (``indexer.scoring.LuceneBM25``), and with Whoosh's;
(d) real Lucene: Anserini (pyserini 0.22.1) with language ``ar``.

Ablations rerun (a) with one setting changed.  Each job runs in its own
process, two at a time: a changed module table then cannot leak through
the analyzers' caches, and index-time variants cannot share an index.

Usage: ``python bench/relevance.py`` (see bench/README.md).
"""

import argparse
import glob
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    DATA_DIR, REPO_ROOT, RESULTS_DIR, machine_facts, require_data, timed,
)

XQUAD_DIR = DATA_DIR / "xquad_ar"
NEWS_DIR = DATA_DIR / "saudinewsnet"
DISTRACTORS = 5000
K = 10
# The bar the project's issue sets: beat real Lucene's best MRR@10 by this.
TARGET_MARGIN = 0.02


# --- Data ------------------------------------------------------------------


def load_passages():
    """Yield XQuAD-ar passages as document dicts (titles kept, see policy)."""
    with open(XQUAD_DIR / "passages.tsv", encoding="utf-8") as f:
        for line in f:
            pid, title, text = line.rstrip("\n").split("\t", 2)
            yield {"id": pid, "title": title, "body": text, "origin": "xquad",
                   "date": None, "source": "xquad", "author": "", "url": ""}


def load_distractors(limit=DISTRACTORS):
    """Return the first ``limit`` SaudiNewsNet articles with content, by URL."""
    docs, seen = [], set()
    for path in sorted(glob.glob(str(NEWS_DIR / "*.zip"))):
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                for rec in json.loads(archive.read(member)):
                    url = rec.get("url") or ""
                    if not (rec.get("content") or "").strip() or url in seen:
                        continue
                    seen.add(url)
                    docs.append({
                        "id": url, "title": rec.get("title") or "",
                        "body": rec["content"], "origin": "saudinewsnet",
                        "date": rec.get("date_extracted"), "source": rec.get("source") or "",
                        "author": rec.get("author") or "", "url": url,
                    })
                    if len(docs) == limit:
                        return docs
    return docs


def load_corpus(title_policy="news"):
    """Return every document, with the titles ``title_policy`` indexes.

    ``news``: SaudiNewsNet headlines only; ``all``: XQuAD's English page
    names too (underscores as spaces); ``none``: no titles at all.
    """
    docs = list(load_passages()) + load_distractors()
    for doc in docs:
        if title_policy == "none" or (title_policy == "news" and doc["origin"] == "xquad"):
            doc["title"] = ""
        elif doc["origin"] == "xquad":
            doc["title"] = doc["title"].replace("_", " ")
    return docs


def load_queries():
    with open(XQUAD_DIR / "queries.tsv", encoding="utf-8") as f:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in f if line.strip()]


def load_qrels():
    qrels = {}
    with open(XQUAD_DIR / "qrels.txt", encoding="utf-8") as f:
        for line in f:
            qid, _, docid, rel = line.split()
            if int(rel) > 0:
                qrels.setdefault(qid, set()).add(docid)
    return qrels


def indexed_text(doc):
    # The same string the project's writer puts in its searched field.
    return f"{doc['title']}\n{doc['body']}"


# --- Metrics ---------------------------------------------------------------


def first_relevant_rank(ranked, relevant):
    """1-based rank of the first relevant id in ``ranked`` (top K), or 0."""
    for rank, docid in enumerate(ranked[:K], 1):
        if docid in relevant:
            return rank
    return 0


def metrics(ranks, relevant_counts):
    """MRR@K, Recall@K and nDCG@K from first-relevant ranks.

    XQuAD has one relevant passage per question, so Recall@K is the share of
    questions whose passage is in the top K, and nDCG@K is 1/log2(rank+1).
    """
    n = len(ranks)
    hits = [r for r in ranks if r]
    recall = sum(1 / c for r, c in zip(ranks, relevant_counts) if r)
    return {
        "mrr": round(sum(1 / r for r in hits) / n, 4),
        "recall": round(recall / n, 4),
        "ndcg": round(sum(1 / math.log2(r + 1) for r in hits) / n, 4),
    }


def score_run(run, queries, qrels):
    """Return metrics and per-query ranks of ``run`` ({qid: [docid, ...]})."""
    ranks = [first_relevant_rank(run.get(qid, []), qrels[qid]) for qid, _ in queries]
    result = metrics(ranks, [len(qrels[qid]) for qid, _ in queries])
    result["ranks"] = ranks
    return result


def randomization_p(ranks_a, ranks_b, trials=10000, seed=0):
    """Two-sided paired randomization test on reciprocal ranks."""
    diffs = [(1 / a if a else 0) - (1 / b if b else 0) for a, b in zip(ranks_a, ranks_b)]
    observed = abs(sum(diffs))
    rng = random.Random(seed)
    extreme = sum(
        abs(sum(d if rng.random() < 0.5 else -d for d in diffs)) >= observed - 1e-12
        for _ in range(trials)
    )
    return (extreme + 1) / (trials + 1)


# --- Whoosh baselines (b) and (c) -----------------------------------------


def build_whoosh_index(path, docs, analyzer):
    from whoosh import fields, index

    schema = fields.Schema(id=fields.ID(stored=True), text=fields.TEXT(analyzer=analyzer))
    ix = index.create_in(str(path), schema)
    writer = ix.writer(limitmb=256)
    for doc in docs:
        writer.add_document(id=doc["id"], text=indexed_text(doc))
    writer.commit()
    return ix


def bag_of_words_query(analyzer, text):
    """An OR of the analyzed words, a repeated word weighted by its count
    (what Anserini's BagOfWordsQueryGenerator builds)."""
    from whoosh import query as Q

    counts = Counter(t.text for t in analyzer(text))
    return Q.Or([Q.Term("text", word, boost=n) for word, n in counts.items()])


def run_whoosh(ix, analyzer, weighting, queries):
    run = {}
    with ix.searcher(weighting=weighting) as searcher:
        for qid, question in queries:
            q = bag_of_words_query(analyzer, question)
            run[qid] = [hit["id"] for hit in searcher.search(q, limit=K)]
    return run


def whoosh_rows(name, analyzer, weightings, docs, queries, qrels, workdir):
    """Index ``docs`` once, then score each (config, weighting) pair."""
    times = {}
    with timed(times, "index_s"):
        ix = build_whoosh_index(workdir, docs, analyzer)
    rows = []
    for config, weighting in weightings:
        row = {"system": name, "config": config, **times}
        with timed(row, "query_s"):
            run = run_whoosh(ix, analyzer, weighting, queries)
        rows.append({**row, **score_run(run, queries, qrels)})
    return rows


def job_whoosh_standard(docs, queries, qrels, workdir):
    from whoosh.analysis import StandardAnalyzer
    from whoosh.scoring import BM25F

    return whoosh_rows(
        "(b) Whoosh StandardAnalyzer", StandardAnalyzer(),
        [("BM25F K1=1.2 B=0.75, Whoosh idf", BM25F())], docs, queries, qrels, workdir,
    )


def _lucene_port_job(stopwords):
    def job(docs, queries, qrels, workdir):
        from whoosh.scoring import BM25F

        from indexer.scoring import LuceneBM25
        from lucene_arabic import lucene_arabic_analyzer

        label = "" if stopwords else ", no stopwords"
        return whoosh_rows(
            "(c) Lucene Arabic port on Whoosh", lucene_arabic_analyzer(stopwords=stopwords),
            [(f"K1=1.2 B=0.75, Lucene idf{label}", LuceneBM25()),
             (f"K1=1.2 B=0.75, Whoosh idf{label}", BM25F())],
            docs, queries, qrels, workdir,
        )
    return job


# --- Real Lucene (d) --------------------------------------------------------

ANSERINI_BM25 = ((1.2, 0.75), (0.9, 0.4))


def write_json_collection(docs, folder):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "docs.jsonl", "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps({"id": doc["id"], "contents": indexed_text(doc)}, ensure_ascii=False))
            f.write("\n")


def job_anserini(docs, queries, qrels, workdir):
    try:
        # pyserini first: it puts Anserini's jar on jnius's class path.
        import pyserini  # noqa: F401
        from pyserini.pyclass import autoclass
    except ImportError as e:
        return [{"system": "(d) Lucene (Anserini)", "config": "-",
                 "skipped": f"pyserini is not installed ({e}); pip install '.[bench]'"}]
    collection, index_dir = workdir / "collection", workdir / "index"
    write_json_collection(docs, collection)
    times = {}
    with timed(times, "index_s"):
        autoclass("io.anserini.index.IndexCollection").main([
            "-collection", "JsonCollection", "-generator", "DefaultLuceneDocumentGenerator",
            "-input", str(collection), "-index", str(index_dir), "-threads", "1",
            "-language", "ar",
        ])
    agreement = port_agreement(autoclass, docs, queries)
    searcher = autoclass("io.anserini.search.SimpleSearcher")(str(index_dir))
    searcher.set_language("ar")
    rows = []
    for k1, b in ANSERINI_BM25:
        searcher.set_bm25(k1, b)
        row = {"system": "(d) Lucene (Anserini)", "config": f"ArabicAnalyzer, BM25 k1={k1} b={b}",
               **times}
        with timed(row, "query_s"):
            run = {qid: [hit.docid for hit in searcher.search(question, K)]
                   for qid, question in queries}
        rows.append({**row, **score_run(run, queries, qrels), "port_agreement": agreement})
    searcher.close()
    return rows


PORT_CHECK_DOCS = 1000


def port_agreement(autoclass, docs, queries):
    """How often bench/lucene_arabic.py gives exactly Lucene's tokens.

    Compared on every question and on the first PORT_CHECK_DOCS documents
    (the XQuAD passages come first), through Lucene's own ArabicAnalyzer.
    """
    from lucene_arabic import lucene_arabic_analyzer

    lucene = autoclass("org.apache.lucene.analysis.ar.ArabicAnalyzer")()
    analyze = autoclass("io.anserini.analysis.AnalyzerUtils").analyze
    port = lucene_arabic_analyzer()

    def same(text):
        return list(analyze(lucene, text)) == [t.text for t in port(text)]

    texts = [indexed_text(d) for d in docs[:PORT_CHECK_DOCS]]
    return {"docs": [sum(map(same, texts)), len(texts)],
            "questions": [sum(same(q) for _, q in queries), len(queries)]}


# --- The project (a) and its ablations ---------------------------------------


def _resolve(module, name):
    """Return (object, attribute) for ``name``, which may be ``Class.attr``."""
    import importlib

    obj = importlib.import_module(module)
    *path, attr = name.split(".")
    for part in path:
        obj = getattr(obj, part)
    return obj, attr


@contextmanager
def patched(changes):
    """Set attributes ``{(module, name): value}``, restore them after.

    A target that no longer exists is an error, not a silent no-op: an
    ablation that changes nothing would read as "no effect".
    """
    saved = []
    try:
        for (module, name), value in changes.items():
            obj, attr = _resolve(module, name)
            saved.append((obj, attr, getattr(obj, attr)))
            setattr(obj, attr, value)
        yield
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)


def _no_stem(word):
    return word


def _no_variants(term, stem=True):
    return frozenset((term,))


def coordination(value):
    """Make the parsed OR groups carry Whoosh's coordination factor ``value``.

    The project parses with a plain OR; this sets ``scale`` on every Or the
    parser made, after the project's rewrite (which would rebuild it without).
    """
    from whoosh import query as Q

    from indexer import query

    rewrite = query._rewrite

    def rewrite_with_scale(q):
        out = rewrite(q)
        if isinstance(q, Q.Or) and isinstance(out, Q.Or):
            out.scale = value
        return out

    return {("indexer.query", "_rewrite"): rewrite_with_scale}


def whoosh_idf(doc_count, doc_freq):
    """Whoosh's idf (``Weighting.idf``), in the signature of ``lucene_idf``."""
    return math.log(doc_count / (doc_freq + 1)) + 1


def bm25(k1, b, use_whoosh_idf=False):
    """BM25 settings for both of the service's scorers: Whoosh's weighting
    (phrases, prefixes) and, where the code has it, the numpy Ranker."""
    from functools import partial

    from whoosh.scoring import BM25F

    import indexer.search
    from indexer.scoring import LuceneBM25

    changes = {("indexer.search", "LuceneBM25"):
               partial(BM25F if use_whoosh_idf else LuceneBM25, K1=k1, B=b)}
    if hasattr(indexer.search, "Ranker"):
        changes[("indexer.search", "Ranker")] = partial(indexer.search.Ranker, K1=k1, B=b)
        if use_whoosh_idf:
            changes[("indexer.ranking", "lucene_idf")] = whoosh_idf
    return changes


def index_time_changes(variant):
    """Module changes for an index-time variant, made before any analysis.

    Applied in a fresh process before the project's word lists are loaded:
    hamza folding must also fold the stopword and protected lists.
    """
    if variant == "hamza":
        import analyzers.normalize as N

        N.FOLD_TABLE.update({ord(k): v for k, v in N.HAMZA_FOLDS.items()})
        return {}
    return {
        "nostem": {("analyzers.analysis", "light_stem"): _no_stem},
        "nostop": {("analyzers.analysis", "STOPWORDS"): frozenset()},
        "noprotect": {("analyzers.stemmer", "PROTECTED"): frozenset()},
    }.get(variant, {})


# Query-time settings: (label, function returning the changes).  Every
# ablation carries the two parser fixes, so that it measures its own change
# and not the last word of most questions going missing.
BASELINE = "as shipped"
QUERY_SETTINGS = {
    "main": [
        (BASELINE, dict),
        ("no proximity rerank", lambda: {("indexer.proximity", "WEIGHT"): 0.0}),
        ("no spelling-variant expansion", lambda: {("indexer.query", "variants"): _no_variants}),
        ("Whoosh idf", lambda: bm25(1.2, 0.75, use_whoosh_idf=True)),
    ],
    "coordination": [
        (f"OR coordination {c}", lambda c=c: coordination(c)) for c in (0.5, 0.9, 1.0)
    ],
    "bm25": [
        (f"BM25 K1={k1} B={b}", lambda k1=k1, b=b: bm25(k1, b))
        for k1, b in ((0.9, 0.4), (1.2, 0.5), (1.2, 0.9), (1.6, 0.75), (2.0, 0.75))
    ],
    "baseline": [(BASELINE, dict)],
}


def run_project(index_dir, queries):
    """Search every question as a user would; count the ones refused."""
    from indexer.errors import QueryError
    from indexer.search import SearchService

    run, refused, zero = {}, [], 0
    with SearchService(index_dir) as service:
        for qid, question in queries:
            try:
                hits = service.search(question, per_page=K, facets=False, snippets=False).hits
            except QueryError as e:
                refused.append({"qid": qid, "error": str(e)})
                continue
            run[qid] = [hit.id for hit in hits]
            # All-zero scores mean an arbitrary order (Whoosh's CoordMatcher
            # zeroes every score when only one query term is in the index).
            zero += bool(hits) and all(not hit.score for hit in hits)
    return run, refused, zero


def index_in_process(index_dir, articles):
    """``index_articles`` in this process, where the index-time changes are.

    The writer may build segments in spawned worker processes, which would
    import the project's tables unchanged; one job keeps it here.
    """
    import inspect

    from indexer.writer import index_articles

    serial = {"jobs": 1} if "jobs" in inspect.signature(index_articles).parameters else {}
    index_articles(index_dir, articles, entities=False, **serial)


def project_defaults():
    from indexer.scoring import LuceneBM25

    bm25 = LuceneBM25()
    from indexer import proximity

    return (f"BM25 K1={bm25.K1} B={bm25.B}, Lucene idf, proximity rerank of the top "
            f"{proximity.DEPTH} (window {proximity.WINDOW}, weight {proximity.WEIGHT})")


def _project_job(variant="default", title_policy="news", settings="baseline"):
    def job(docs, queries, qrels, workdir):
        changes = index_time_changes(variant)
        from indexer.readers import Article

        articles = [Article(d["id"], d["title"], d["body"], None, d["source"],
                            d["author"], d["url"], d["origin"]) for d in docs]
        rows, times = [], {}
        with patched(changes):
            with timed(times, "index_s"):
                index_in_process(workdir, articles)
            for label, make_changes in QUERY_SETTINGS[settings]:
                row = {"system": "(a) this project", "variant": variant, "title": title_policy,
                       "config": label, "defaults": project_defaults(), **times}
                with patched(make_changes()), timed(row, "query_s"):
                    run, refused, zero = run_project(workdir, queries)
                rows.append({**row, **score_run(run, queries, qrels), "errors": len(refused),
                             "refused": refused[:5], "all_zero_scores": zero})
        return rows
    job.title_policy = title_policy
    return job


JOBS = {
    "project": _project_job(settings="main"),
    "project-coordination": _project_job(settings="coordination"),
    "project-bm25": _project_job(settings="bm25"),
    "lucene-port": _lucene_port_job(stopwords=True),
    "lucene-port-nostop": _lucene_port_job(stopwords=False),
    "whoosh-standard": job_whoosh_standard,
    "anserini": job_anserini,
    "project-nostem": _project_job("nostem"),
    "project-hamza": _project_job("hamza"),
    "project-nostop": _project_job("nostop"),
    "project-noprotect": _project_job("noprotect"),
    "project-title-all": _project_job(title_policy="all"),
    "project-title-none": _project_job(title_policy="none"),
}
# Jobs that make the systems table; the rest are ablations (``--quick``
# skips them).
SYSTEM_JOBS = ("project", "lucene-port", "lucene-port-nostop", "whoosh-standard", "anserini")

ABLATION_LABELS = {
    "nostem": "no stemming",
    "hamza": "hamza carriers folded (ؤ→و, ئ→ي)",
    "nostop": "no stopwords",
    "noprotect": "no protected words",
}


def run_job(name, out_path):
    """Worker entry: run one job in this process and write its rows as JSON."""
    job = JOBS[name]
    docs = load_corpus(getattr(job, "title_policy", "news"))
    queries, qrels = load_queries(), load_qrels()
    with tempfile.TemporaryDirectory(prefix=f"relevance-{name}-") as tmp:
        rows = job(docs, queries, qrels, Path(tmp))
    Path(out_path).write_text(json.dumps({"job": name, "rows": rows}, ensure_ascii=False))


def spawn(name, outdir, tree):
    """Run job ``name`` in a fresh interpreter importing the project from ``tree``."""
    out = Path(outdir) / f"{name}.json"
    log = Path(outdir) / f"{name}.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(tree), os.environ.get("PYTHONPATH")) if p))
    start = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.run([sys.executable, __file__, "--job", name, "--out", str(out)],
                              stdout=f, stderr=subprocess.STDOUT, env=env, check=False)
    print(f"  {name}: {time.perf_counter() - start:.0f}s"
          + ("" if proc.returncode == 0 else " FAILED"), flush=True)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:]
        return [{"system": name, "config": "-", "skipped": f"job failed: {' '.join(tail)}"}]
    return json.loads(out.read_text())["rows"]


# --- Report ----------------------------------------------------------------


def fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def is_project_baseline(row):
    return (row.get("variant") == "default" and row.get("title") == "news"
            and row["config"] in (BASELINE,))


def row_label(row):
    """(system, configuration) as the tables print them."""
    if "variant" not in row:
        return row["system"], row["config"]
    parts = [ABLATION_LABELS[row["variant"]]] if row["variant"] != "default" else []
    if row["title"] != "news":
        parts.append({"all": "XQuAD page names indexed too",
                      "none": "no titles indexed"}[row["title"]])
    if row["config"] not in (BASELINE,) or not parts:
        parts.append(row["config"])
    if is_project_baseline(row):
        parts.append(row["defaults"])
    return row["system"], "; ".join(parts)


def table(rows, baseline=None):
    """A markdown table; with ``baseline``, deltas of MRR@10 and R@10 too."""
    cols = ["system", "configuration", "MRR@10", "R@10", "nDCG@10"]
    cols += ["ΔMRR", "ΔR@10"] if baseline else []
    cols += ["refused", "index s", "query s"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        system, config = row_label(row)
        if "skipped" in row:
            cells = [system, config, f"skipped: {row['skipped'][:300]}"]
            cells += [""] * (len(cols) - len(cells))
        else:
            cells = [system, config, fmt(row["mrr"]), fmt(row["recall"]), fmt(row["ndcg"])]
            if baseline:
                cells += [f"{row['mrr'] - baseline['mrr']:+.3f}",
                          f"{row['recall'] - baseline['recall']:+.3f}"]
            cells += [str(row.get("errors", "-")), str(row.get("index_s", "-")),
                      str(row.get("query_s", "-"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def split_rows(rows):
    """The systems table (project baselines included) and the ablations."""
    systems = [r for r in rows if "variant" not in r or is_project_baseline(r)]
    return systems, [r for r in rows if r not in systems]


def find(rows, config):
    return next((r for r in rows if "skipped" not in r and is_project_baseline(r)
                 and r["config"] == config), None)


def reading(rows):
    """Plain statements computed from the rows (the report's summary)."""
    lucene = [r for r in rows if "skipped" not in r and r["system"].startswith("(d)")]
    notes = []
    best = max(lucene, key=lambda r: r["mrr"]) if lucene else None
    for config in (BASELINE,):
        project = find(rows, config)
        if not (project and best):
            continue
        gap = project["mrr"] - best["mrr"]
        met = gap >= TARGET_MARGIN and project["recall"] >= best["recall"]
        notes.append(
            f"This project ({config}): MRR@10 {project['mrr']:.3f}, R@10 "
            f"{project['recall']:.3f}; real Lucene's best ({best['config']}): "
            f"{best['mrr']:.3f}, {best['recall']:.3f}. Difference {gap:+.3f} MRR@10 "
            f"(paired randomization test p = {randomization_p(project['ranks'], best['ranks']):.4f})"
            f": the target (+{TARGET_MARGIN} MRR@10, no loss of R@10) is "
            f"{'met' if met else 'not met'}."
        )
    if lucene and "port_agreement" in lucene[0]:
        agree = lucene[0]["port_agreement"]
        notes.append(
            "The Lucene port (c) gives exactly Lucene's ArabicAnalyzer tokens on "
            f"{agree['docs'][0]:,} of {agree['docs'][1]:,} documents and "
            f"{agree['questions'][0]:,} of {agree['questions'][1]:,} questions "
            "(checked through Lucene itself in the same run)."
        )
    notes += ablation_reading(rows)
    baseline = find(rows, BASELINE)
    for row in split_rows(rows)[1]:
        if baseline and "ranks" in row and row["ranks"] == baseline["ranks"]:
            notes.append(f"{row_label(row)[1]}: every question's relevant passage sits at the "
                         "same rank as in the baseline; the change made no difference here.")
    for project in filter(None, (find(rows, c) for c in (BASELINE,))):
        if project["errors"] or project["all_zero_scores"]:
            notes.append(f"{project['config']}: {project['errors']} questions refused with "
                         f"QueryError, {project['all_zero_scores']} ranked with all-zero scores.")
    return notes


def ablation_reading(rows):
    """The ablations that moved MRR@10 by at least 0.003, largest first."""
    baseline = find(rows, BASELINE)
    if not baseline:
        return []
    moved = [(r["mrr"] - baseline["mrr"], r["recall"] - baseline["recall"], row_label(r)[1])
             for r in split_rows(rows)[1] if "skipped" not in r]
    moved = sorted((m for m in moved if abs(m[0]) >= 0.003), reverse=True)
    if not moved:
        return ["No ablation moved MRR@10 by 0.003 or more."]
    others = len(split_rows(rows)[1]) - len(moved)
    return ["Ablations that moved MRR@10 by 0.003 or more (the other "
            f"{others} moved it less): "
            + "; ".join(f"{label} {dm:+.3f} (R@10 {dr:+.3f})" for dm, dr, label in moved) + "."]


def write_report(rows, facts, seconds):
    systems, ablations = split_rows(rows)
    today = date.today().isoformat()
    RESULTS_DIR.mkdir(exist_ok=True)
    slim = [{k: v for k, v in r.items() if k != "ranks"} for r in rows]
    (RESULTS_DIR / "relevance.json").write_text(json.dumps(
        {"date": today, "machine": facts, "seconds": round(seconds), "corpus": CORPUS_NOTE,
         "rows": slim}, ensure_ascii=False, indent=1) + "\n")
    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items() if v)
    md = [
        "# Relevance benchmark", "",
        f"Measured {today} by `python bench/relevance.py` in {seconds / 60:.1f} min on "
        f"{facts['cpus']} CPUs (shared with other jobs: times are indicative), Python "
        f"{facts['python']}, {packages}, {facts['java']}. Project code: {facts['source']}.",
        "", CORPUS_NOTE, "", "## Systems", "", table(systems), "",
        "## Ablations of this project's pipeline", "",
        ABLATION_NOTE, "", table(ablations, find(rows, BASELINE)), "",
        "## Reading", "", *[f"- {n}" for n in reading(rows)], "",
    ]
    (RESULTS_DIR / "relevance.md").write_text("\n".join(md))


CORPUS_NOTE = (
    "Corpus: XQuAD-ar's 240 passages + the first 5,000 SaudiNewsNet articles with content "
    "(distinct URLs, zips in sorted order); 1,190 questions, one relevant passage each. "
    "Every system indexes `title + \"\\n\" + body` as one field: SaudiNewsNet headlines are "
    "indexed, XQuAD's English page-name titles are not (see the title ablations). "
    "(a) is `index_articles(..., entities=False)` + `SearchService.search(question, "
    "per_page=10, facets=False, snippets=False)`, questions as typed; (b) and (c) query an OR "
    "of the analyzed words, each weighted by its count, as Anserini's bag-of-words query "
    "does; (d) is Anserini's IndexCollection + SimpleSearcher with `-language ar` (Lucene's "
    "ArabicAnalyzer, its stopwords included). \"refused\": questions the project's parser "
    "rejected with QueryError."
)

ABLATION_NOTE = (
    "Each row changes one thing from the project as shipped and gives its difference from "
    "it (Δ). Changes are made from the benchmark (module tables patched in a fresh process "
    "per index), never in the project's code. \"OR coordination\" sets Whoosh's "
    "coordination factor on the parsed OR groups (the project parses with a plain OR)."
)


def prepare_tree(commit, tmp):
    """Return (folder to import the project from, description of the code)."""
    def git(*args):
        return subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True,
                              text=True, check=True).stdout.strip()

    if commit:
        sha = git("rev-parse", commit)
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", sha, "analyzers",
                                  "indexer"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        return tree, f"commit {sha[:12]}"
    dirty = git("status", "--porcelain", "--", "analyzers", "indexer")
    sha = git("rev-parse", "--short=12", "HEAD")
    return REPO_ROOT, f"working tree at {sha}" + (
        " with uncommitted changes in analyzers/ or indexer/" if dirty else "")


def java_version():
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return "no Java"
    return out.stderr.splitlines()[0] if out.stderr else "Java (version unknown)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--job", choices=JOBS, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", choices=JOBS, metavar="JOB",
                        help=f"run only these jobs (no report written): {', '.join(JOBS)}")
    parser.add_argument("--quick", action="store_true", help="systems only, no ablations")
    parser.add_argument("--commit", metavar="REV",
                        help="benchmark the project as committed at REV, not the working tree")
    parser.add_argument("--workers", type=int, default=2, help="jobs run at once (default 2)")
    args = parser.parse_args(argv)
    require_data([XQUAD_DIR / "passages.tsv", XQUAD_DIR / "queries.tsv",
                  XQUAD_DIR / "qrels.txt", NEWS_DIR], "relevance benchmark")
    if args.job:
        run_job(args.job, args.out)
        return
    names = args.only or (SYSTEM_JOBS if args.quick else list(JOBS))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        tree, source = prepare_tree(args.commit, tmp)
        print(f"{len(names)} jobs, {args.workers} at a time, on {source}:", flush=True)
        with ThreadPoolExecutor(args.workers) as pool:
            results = list(pool.map(lambda n: spawn(n, tmp, tree), names))
    rows = [row for job_rows in results for row in job_rows]
    seconds = time.perf_counter() - start
    facts = machine_facts(["whoosh-reloaded", "pyserini", "pyjnius", "pyarabic"])
    facts.update(java=java_version(), source=source)
    systems, ablations = split_rows(rows)
    print(table(systems), table(ablations, find(rows, BASELINE)), sep="\n\n")
    for note in reading(rows):
        print("-", note)
    if not args.only:
        write_report(rows, facts, seconds)
        print(f"wrote {RESULTS_DIR / 'relevance.md'} and relevance.json")


if __name__ == "__main__":
    main()
