"""Relevance benchmark: how well each system ranks the right documents for a query.

Three query sets, each with its corpus (see bench/README.md):

``xquad``           XQuAD-ar's 1,190 questions over its 240 passages plus the
                    first 5,000 SaudiNewsNet articles (non-empty content,
                    distinct URL, zips and their members in sorted order) as
                    distractors; one relevant passage each.
``news-questions``  150 questions written by hand for SaudiNewsNet articles
                    (``bench/news_questions.tsv``), with pooled judgments
                    (``bench/news_qrels.txt``): every article that answers.
``news-titles``     300 SaudiNewsNet titles as queries, each against its
                    article indexed without the title (known item), drawn at
                    run time (``bench/news_set.py``).

Both news sets search one corpus: every SaudiNewsNet article with content
(30,676 distinct URLs), the 300 title articles' titles blanked.  Metrics:
MRR@10, Recall@10 (share of the relevant documents in the top 10) and
nDCG@10 (linear gain of the judged grade).

Every system indexes ``title + "\\n" + body`` in one field: SaudiNewsNet
headlines are indexed (they are Arabic and part of the article); XQuAD
passage titles are not (English page names such as ``Super_Bowl_50``).

Systems, all in one run:

(a) this project: ``indexer.writer.index_articles`` and
    ``indexer.search.SearchService.search``, queries passed as typed;
(b) Whoosh's StandardAnalyzer with Whoosh's BM25F, an OR of the words;
(c) Lucene's Arabic analysis ported to Whoosh (``bench/lucene_arabic.py``)
    with Lucene's idf (``indexer.scoring.LuceneBM25``), and with Whoosh's;
(d) real Lucene: Anserini (pyserini 0.22.1) with language ``ar``.

Ablations rerun (a) with one change each; they are the ``ABLATIONS`` table,
and every one runs on every set unless it names its corpora.  A job is one
index (a system, or one index-time variant of the project) over one corpus,
run in its own process, two at a time: a changed module table then cannot
leak through the analyzers' caches.  The query-time ablations share the
project's default index.

Usage: ``python bench/relevance.py`` (see bench/README.md).
"""

import argparse
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import news_set  # noqa: E402
from common import (  # noqa: E402
    DATA_DIR, REPO_ROOT, RESULTS_DIR, machine_facts, require_data, timed,
)

XQUAD_DIR = DATA_DIR / "xquad_ar"
DISTRACTORS = 5000
K = 10

# Set name -> (corpus it searches, label in the report).
SETS = {
    "xquad": ("xquad", "XQuAD-ar"),
    "news-questions": ("news", "news questions"),
    "news-titles": ("news", "news titles"),
}
CORPORA = ("xquad", "news")

# The bars issue 15 sets, in one run with the ablations: XQuAD-ar MRR@10 at
# least XQUAD_BAR, and at least NEWS_MARGIN over real Lucene on the news
# questions.
XQUAD_BAR = 0.91
NEWS_MARGIN = 0.03


# --- Data ------------------------------------------------------------------


def load_passages():
    """Yield XQuAD-ar passages as document dicts."""
    with open(XQUAD_DIR / "passages.tsv", encoding="utf-8") as f:
        for line in f:
            pid, title, text = line.rstrip("\n").split("\t", 2)
            yield {"id": pid, "title": title, "body": text, "origin": "xquad",
                   "date": None, "source": "xquad", "author": "", "url": ""}


def load_xquad():
    """[(qid, question)] and {qid: {passage id: grade}}."""
    with open(XQUAD_DIR / "queries.tsv", encoding="utf-8") as f:
        queries = [tuple(line.rstrip("\n").split("\t", 1)) for line in f if line.strip()]
    qrels = {}
    with open(XQUAD_DIR / "qrels.txt", encoding="utf-8") as f:
        for line in f:
            qid, _, docid, rel = line.split()
            if int(rel) > 0:
                qrels.setdefault(qid, {})[docid] = int(rel)
    return queries, qrels


def with_titles(docs, title_policy):
    """``docs`` with the titles ``title_policy`` indexes.

    ``news``: SaudiNewsNet headlines only; ``all``: XQuAD's English page
    names too (underscores as spaces); ``none``: no titles at all.
    """
    out = []
    for doc in docs:
        title = doc["title"]
        if title_policy == "none" or (title_policy == "news" and doc["origin"] == "xquad"):
            title = ""
        elif doc["origin"] == "xquad":
            title = title.replace("_", " ")
        out.append({**doc, "title": title})
    return out


def load_corpus(corpus, title_policy="news"):
    """(documents, {set name: (queries, qrels)}) of ``corpus``."""
    news = news_set.read_news()
    if corpus == "xquad":
        docs, sets = list(load_passages()) + news[:DISTRACTORS], {"xquad": load_xquad()}
    else:
        docs, sets = news_set.news_sets(news)
    return with_titles(docs, title_policy), sets


def indexed_text(doc):
    # The same string the project's writer puts in its searched field.
    return f"{doc['title']}\n{doc['body']}"


# --- Metrics ---------------------------------------------------------------


def query_metrics(ranked, judged):
    """(reciprocal rank, recall, nDCG) at K of one ranking.

    ``judged`` maps each relevant id to its grade (> 0); nDCG uses the
    grade as a linear gain, as trec_eval's ``ndcg_cut`` does.
    """
    top = ranked[:K]
    rr = next((1 / rank for rank, docid in enumerate(top, 1) if docid in judged), 0.0)
    recall = sum(docid in judged for docid in top) / len(judged)
    dcg = sum(judged.get(docid, 0) / math.log2(rank + 1) for rank, docid in enumerate(top, 1))
    ideal = sorted(judged.values(), reverse=True)[:K]
    idcg = sum(grade / math.log2(rank + 1) for rank, grade in enumerate(ideal, 1))
    return rr, recall, dcg / idcg


def score_run(run, queries, qrels):
    """Metrics of ``run`` ({qid: [docid, ...]}) and its per-query reciprocal ranks.

    A query without a relevant document is an error in the qrels, not a zero.
    """
    per_query = []
    for qid, _ in queries:
        if not qrels.get(qid):
            raise ValueError(f"query {qid} has no relevant document in the qrels")
        per_query.append(query_metrics(run.get(qid, []), qrels[qid]))
    n = len(per_query)
    return {
        "mrr": round(sum(m[0] for m in per_query) / n, 4),
        "recall": round(sum(m[1] for m in per_query) / n, 4),
        "ndcg": round(sum(m[2] for m in per_query) / n, 4),
        "queries": n,
        "rr": [m[0] for m in per_query],
    }


def randomization_p(rr_a, rr_b, trials=10000, seed=0):
    """Two-sided paired randomization test on per-query reciprocal ranks."""
    diffs = [a - b for a, b in zip(rr_a, rr_b)]
    observed = abs(sum(diffs))
    rng = random.Random(seed)
    extreme = sum(
        abs(sum(d if rng.random() < 0.5 else -d for d in diffs)) >= observed - 1e-12
        for _ in range(trials)
    )
    return (extreme + 1) / (trials + 1)


def scored_rows(base, runs, sets, keep_runs):
    """One row per set: ``base`` plus the scores of ``runs[set]``."""
    rows = []
    for name, (queries, qrels) in sets.items():
        run, seconds = runs[name]
        row = {**base, "set": name, "query_s": round(seconds, 1),
               **score_run(run, queries, qrels)}
        if keep_runs:
            row["run"] = run
        rows.append(row)
    return rows


def timed_runs(sets, search):
    """{set: (run, seconds)} with ``search(queries)`` returning a run."""
    out = {}
    for name, (queries, _) in sets.items():
        start = time.perf_counter()
        out[name] = (search(queries), time.perf_counter() - start)
    return out


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


def whoosh_rows(name, analyzer, weightings, docs, sets, workdir, keep_runs):
    """Index ``docs`` once, then score each (config, weighting) pair on each set."""
    times = {}
    with timed(times, "index_s"):
        ix = build_whoosh_index(workdir, docs, analyzer)
    rows = []
    for config, weighting in weightings:
        runs = timed_runs(sets, lambda qs: run_whoosh(ix, analyzer, weighting, qs))
        rows += scored_rows({"system": name, "config": config, **times}, runs, sets, keep_runs)
    return rows


def job_whoosh_standard(docs, sets, workdir, quick, keep_runs):
    from whoosh.analysis import StandardAnalyzer
    from whoosh.scoring import BM25F

    return whoosh_rows(
        "(b) Whoosh StandardAnalyzer", StandardAnalyzer(),
        [("BM25F K1=1.2 B=0.75, Whoosh idf", BM25F())], docs, sets, workdir, keep_runs,
    )


def _lucene_port_job(stopwords):
    def job(docs, sets, workdir, quick, keep_runs):
        from whoosh.scoring import BM25F

        from indexer.scoring import LuceneBM25
        from lucene_arabic import lucene_arabic_analyzer

        label = "" if stopwords else ", no stopwords"
        return whoosh_rows(
            "(c) Lucene Arabic port on Whoosh", lucene_arabic_analyzer(stopwords=stopwords),
            [(f"K1=1.2 B=0.75, Lucene idf{label}", LuceneBM25()),
             (f"K1=1.2 B=0.75, Whoosh idf{label}", BM25F())],
            docs, sets, workdir, keep_runs,
        )
    return job


# --- Real Lucene (d) --------------------------------------------------------

ANSERINI_BM25 = ((1.2, 0.75), (0.9, 0.4))
ANSERINI_DEFAULT = "ArabicAnalyzer, BM25 k1=1.2 b=0.75"


def write_json_collection(docs, folder):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "docs.jsonl", "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps({"id": doc["id"], "contents": indexed_text(doc)}, ensure_ascii=False))
            f.write("\n")


def job_anserini(docs, sets, workdir, quick, keep_runs):
    try:
        # pyserini first: it puts Anserini's jar on jnius's class path.
        import pyserini  # noqa: F401
        from pyserini.pyclass import autoclass
    except ImportError as e:
        return [{"system": "(d) Lucene (Anserini)", "config": "-", "set": name,
                 "skipped": f"pyserini is not installed ({e}); pip install '.[bench]'"}
                for name in sets]
    collection, index_dir = workdir / "collection", workdir / "index"
    write_json_collection(docs, collection)
    times = {}
    with timed(times, "index_s"):
        autoclass("io.anserini.index.IndexCollection").main([
            "-collection", "JsonCollection", "-generator", "DefaultLuceneDocumentGenerator",
            "-input", str(collection), "-index", str(index_dir), "-threads", "1",
            "-language", "ar",
        ])
    agreement = port_agreement(autoclass, docs, [q for qs, _ in sets.values() for q in qs])
    searcher = autoclass("io.anserini.search.SimpleSearcher")(str(index_dir))
    searcher.set_language("ar")
    rows = []
    for k1, b in ANSERINI_BM25:
        searcher.set_bm25(k1, b)
        runs = timed_runs(sets, lambda qs: {
            qid: [hit.docid for hit in searcher.search(question, K)] for qid, question in qs})
        base = {"system": "(d) Lucene (Anserini)", "config": f"ArabicAnalyzer, BM25 k1={k1} b={b}",
                **times, "port_agreement": agreement}
        rows += scored_rows(base, runs, sets, keep_runs)
    searcher.close()
    return rows


PORT_CHECK_DOCS = 1000


def port_agreement(autoclass, docs, queries):
    """How often bench/lucene_arabic.py gives exactly Lucene's tokens.

    Compared on every query and on the first PORT_CHECK_DOCS documents of
    the corpus, through Lucene's own ArabicAnalyzer.
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


# --- Patching the project from the benchmark ---------------------------------


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

    def rewrite_with_scale(q, *args):
        out = rewrite(q, *args)
        if isinstance(q, Q.Or) and isinstance(out, Q.Or):
            out.scale = value
        return out

    return {("indexer.query", "_rewrite"): rewrite_with_scale}


def whoosh_idf(doc_count, doc_freq):
    """Whoosh's idf (``Weighting.idf``), in the signature of ``lucene_idf``."""
    return math.log(doc_count / (doc_freq + 1)) + 1


def bm25(k1, b, use_whoosh_idf=False):
    """BM25 settings for the service's scorer, the numpy Ranker (built per
    index generation in indexer.snapshot), and Whoosh's weighting kept on
    its searchers."""
    from functools import partial

    from whoosh.scoring import BM25F

    import indexer.snapshot
    from indexer.scoring import LuceneBM25

    changes = {
        ("indexer.search", "LuceneBM25"): partial(BM25F if use_whoosh_idf else LuceneBM25, K1=k1, B=b),
        ("indexer.snapshot", "Ranker"): partial(indexer.snapshot.Ranker, K1=k1, B=b),
    }
    if use_whoosh_idf:
        changes[("indexer.ranking", "lucene_idf")] = whoosh_idf
    return changes


def _fold_hamza():
    """Fold ؤ and ئ for every text analyzed from now on, word lists included.

    The entity gazetteers load first, as written: folded, two spellings
    they list of one name (شاؤول, شاوول) would be duplicate keys, which
    their loader rejects.  The index's word lists are then read again
    through the folded table, and the caches of earlier folds dropped.
    """
    import analyzers.entities  # noqa: F401
    import analyzers.normalize as N
    from analyzers.analysis import INDEX_TIME_DATA, exact_term, index_term
    from analyzers.data import load_words
    from analyzers.stemmer import light_stem

    # Where each word list that decides index terms is held.
    held = {
        "stopwords.txt": ("analyzers.analysis", "STOPWORDS"),
        "protected.txt": ("analyzers.stemmer", "PROTECTED"),
        "waw_stems.txt": ("analyzers.stemmer", "WAW_STEMS"),
        "lam_stems.txt": ("analyzers.stemmer", "LAM_STEMS"),
    }
    if set(held) != set(INDEX_TIME_DATA):
        # A new list would keep its unfolded words: the ablation would lie.
        raise ValueError(f"the hamza ablation re-reads {sorted(held)}, the analysis uses {INDEX_TIME_DATA}")
    N.FOLD_TABLE.update({ord(k): v for k, v in N.HAMZA_FOLDS.items()})
    for cached in (N._fold_array, N.normalize_token, light_stem, index_term, exact_term):
        cached.cache_clear()
    return {target: load_words(name) for name, target in held.items()}


def stopwords_without(heading):
    """The shipped stopwords minus one group of the data file: the words
    under the comment starting with ``heading``, up to the next comment."""
    from importlib import resources

    import analyzers.analysis as A
    from analyzers.normalize import normalize

    text = resources.files("analyzers.data").joinpath("stopwords.txt").read_text("utf-8")
    dropped, inside, found, in_comment = set(), False, False, False
    for line in text.splitlines():
        if line.startswith("#"):
            # A comment's first line names its group (it may run on).
            if not in_comment:
                inside = line.lstrip("# ").startswith(heading)
                found |= inside
            in_comment = True
            continue
        in_comment = False
        if inside:
            dropped.update(normalize(w) for w in line.split())
    if not found:
        raise ValueError(f"no stopword group starting {heading!r} in stopwords.txt")
    return {("analyzers.analysis", "STOPWORDS"): frozenset(A.STOPWORDS - dropped)}


# Index-time variants: name -> function returning the module changes, made
# in a fresh process before any analysis (and kept for its queries).
INDEX_VARIANTS = {
    "default": dict,
    "nostem": lambda: {("analyzers.analysis", "light_stem"): _no_stem},
    "hamza": _fold_hamza,
    "nostop": lambda: {("analyzers.analysis", "STOPWORDS"): frozenset()},
    "noprotect": lambda: {("analyzers.stemmer", "PROTECTED"): frozenset()},
    "stop-noquestion": lambda: stopwords_without("Interrogatives"),
    "stop-nopronoun": lambda: stopwords_without("Prepositions and أن"),
}


# --- The project (a) and its ablations ---------------------------------------


@dataclass(frozen=True)
class Ablation:
    """One change to the project as shipped.

    ``index`` names an INDEX_VARIANTS entry and ``title`` a title policy
    (see ``with_titles``): a change to either needs its own index.
    ``query`` returns the query-time changes ``{(module, name): value}``,
    made around the searches only; ablations that change nothing else share
    the project's default index.  ``corpora`` limits an ablation that means
    nothing on some corpus.
    """

    label: str
    query: Callable[[], dict] = dict
    index: str = "default"
    title: str = "news"
    corpora: tuple = CORPORA

    @property
    def job(self):
        if self.title != "news":
            return f"project-title-{self.title}"
        return "project" if self.index == "default" else f"project-{self.index}"


BASELINE = Ablation("as shipped")


def _collapsed():
    """A story's near-copies one hit, as the page and the CLI show them."""
    return {(__name__, "COLLAPSE"): True}

# To add an ablation, add a row: it runs on every set, in the job its index
# needs, and gets a row in every table.
ABLATIONS = [
    Ablation("near-copies collapsed (as the page shows them)", _collapsed),
    Ablation("no proximity rerank", lambda: {("indexer.proximity", "WEIGHT"): 0.0,
                                             ("indexer.proximity", "LEAD_WEIGHT"): 0.0}),
    Ablation("no lead bonus (where the words first occur)", lambda: {("indexer.proximity", "LEAD_WEIGHT"): 0.0}),
    Ablation("lead bonus weight 1", lambda: {("indexer.proximity", "LEAD_WEIGHT"): 1.0}),
    *(Ablation(f"lead bonus half-way at position {h}", lambda h=h: {("indexer.proximity", "LEAD_HALF"): h})
      for h in (10, 50)),
    *(Ablation(f"proximity window {w}", lambda w=w: {("indexer.proximity", "WINDOW"): w})
      for w in (5, 12)),
    Ablation("no spelling-variant expansion", lambda: {("indexer.query", "variants"): _no_variants}),
    Ablation("no clitic forms (لعدم finds only لعدم, not عدم)",
             lambda: {("indexer.ranking", "CLITIC_PREPOSITIONS"): ""}),
    Ablation("clitic forms weighted as the word's own",
             lambda: {("indexer.ranking", "CLITIC_WEIGHT"): 1.0}),
    Ablation("Whoosh idf", lambda: bm25(1.2, 0.75, use_whoosh_idf=True)),
    *(Ablation(f"OR coordination {c}", lambda c=c: coordination(c)) for c in (0.5, 0.9, 1.0)),
    *(Ablation(f"BM25 K1={k1} B={b}", lambda k1=k1, b=b: bm25(k1, b))
      for k1, b in ((0.9, 0.4), (1.2, 0.5), (1.2, 0.9), (1.6, 0.75), (2.0, 0.75))),
    Ablation("no stemming", index="nostem"),
    Ablation("hamza carriers folded (ؤ→و, ئ→ي)", index="hamza"),
    Ablation("no stopwords", index="nostop"),
    Ablation("interrogatives, تم and فيما not stopwords", index="stop-noquestion"),
    Ablation("prepositions with a pronoun (عليها, له) not stopwords", index="stop-nopronoun"),
    Ablation("no protected words", index="noprotect"),
    Ablation("XQuAD page names indexed too", title="all", corpora=("xquad",)),
    Ablation("no titles indexed", title="none"),
]


# A run ranks documents: near-copies are not collapsed (as 'archive query
# --queries' writes runs); collapsing a story's copies into one hit is the
# browser's and the CLI's presentation, measured by the ablation below.
COLLAPSE = False


def run_project(index_dir, queries):
    """Search every query as a user would; count the ones refused."""
    from indexer.errors import QueryError
    from indexer.search import SearchService

    run, refused, zero = {}, [], 0
    with SearchService(index_dir, result_cache=0) as service:
        for qid, question in queries:
            try:
                hits = service.search(question, per_page=K, facets=False, snippets=False,
                                      collapse=COLLAPSE).hits
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
    from indexer import proximity
    from indexer.scoring import LuceneBM25

    bm25 = LuceneBM25()
    return (f"BM25 K1={bm25.K1} B={bm25.B}, Lucene idf, proximity rerank of the top "
            f"{proximity.DEPTH} (window {proximity.WINDOW}, weight {proximity.WEIGHT}; lead bonus "
            f"weight {proximity.LEAD_WEIGHT}, half-way at position {proximity.LEAD_HALF})")


def _project_job(ablations):
    """The job of one project index: its ablations, searched on each set."""
    first = ablations[0]

    def job(docs, sets, workdir, quick, keep_runs):
        from indexer.readers import Article

        todo = [a for a in ablations if a is BASELINE] if quick else ablations
        articles = [Article(d["id"], d["title"], d["body"], None, d["source"],
                            d["author"], d["url"], d["origin"]) for d in docs]
        rows, times = [], {}
        with patched(INDEX_VARIANTS[first.index]()):
            with timed(times, "index_s"):
                index_in_process(workdir, articles)
            for ablation in todo:
                base = {"system": "(a) this project", "config": ablation.label,
                        "ablation": ablation is not BASELINE, "defaults": project_defaults(),
                        **times}
                for name, (queries, qrels) in sets.items():
                    start = time.perf_counter()
                    with patched(ablation.query()):
                        run, refused, zero = run_project(workdir, queries)
                    rows += scored_rows(
                        {**base, "errors": len(refused), "refused": refused[:5],
                         "all_zero_scores": zero},
                        {name: (run, time.perf_counter() - start)}, {name: (queries, qrels)},
                        keep_runs)
        return rows
    return job


@dataclass(frozen=True)
class Job:
    """One index and what is searched on it; ``corpora`` it applies to."""

    run: Callable
    corpora: tuple = CORPORA
    title_policy: str = "news"
    system: bool = False
    ablations: tuple = field(default=())


def build_jobs():
    """Every job: the project's one per index it needs, then the baselines."""
    groups = {}
    for ablation in (BASELINE, *ABLATIONS):
        groups.setdefault(ablation.job, []).append(ablation)
    jobs = {}
    for name, ablations in groups.items():
        corpora = tuple(c for c in CORPORA if any(c in a.corpora for a in ablations))
        jobs[name] = Job(_project_job(ablations), corpora, ablations[0].title,
                         system=BASELINE in ablations, ablations=tuple(ablations))
    jobs.update({
        "lucene-port": Job(_lucene_port_job(stopwords=True), system=True),
        # Two reference points kept on XQuAD-ar only: on the news corpus
        # they would cost a quarter of the run and bear on no bar.
        "lucene-port-nostop": Job(_lucene_port_job(stopwords=False), ("xquad",), system=True),
        "whoosh-standard": Job(job_whoosh_standard, ("xquad",), system=True),
        "anserini": Job(job_anserini, system=True),
    })
    return jobs


JOBS = build_jobs()


def run_job(name, corpus, set_names, quick, keep_runs, out_path):
    """Worker entry: run one job on one corpus here and write its rows as JSON."""
    job = JOBS[name]
    docs, sets = load_corpus(corpus, job.title_policy)
    sets = {s: sets[s] for s in set_names}
    with tempfile.TemporaryDirectory(prefix=f"relevance-{name}-{corpus}-") as tmp:
        rows = job.run(docs, sets, Path(tmp), quick, keep_runs)
    Path(out_path).write_text(json.dumps({"job": name, "rows": rows}, ensure_ascii=False))


def spawn(task, outdir, tree, quick, keep_runs):
    """Run ``task`` (job, corpus, sets) in a fresh interpreter importing the project from ``tree``."""
    name, corpus, set_names = task
    out = Path(outdir) / f"{name}-{corpus}.json"
    log = Path(outdir) / f"{name}-{corpus}.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(tree), os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, __file__, "--job", name, "--corpus", corpus,
               "--sets", *set_names, "--out", str(out)]
    command += ["--quick"] * quick + ["--keep-runs"] * keep_runs
    start = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, env=env, check=False)
    print(f"  {name} on {corpus}: {time.perf_counter() - start:.0f}s"
          + ("" if proc.returncode == 0 else " FAILED"), flush=True)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:]
        return [{"system": name, "config": "-", "set": s,
                 "skipped": f"job failed: {' '.join(tail)}"} for s in set_names]
    return json.loads(out.read_text())["rows"]


def plan(names, set_names):
    """(job, corpus, sets) tasks, the news corpus first: its indexes are the
    longest, and two workers finish sooner when the long tasks start first."""
    tasks = []
    for corpus in sorted(CORPORA, key=lambda c: c != "news"):
        wanted = [s for s in set_names if SETS[s][0] == corpus]
        tasks += [(n, corpus, wanted) for n in names if wanted and corpus in JOBS[n].corpora]
    return tasks


# --- Report ----------------------------------------------------------------


def fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def is_baseline(row):
    return row["system"].startswith("(a)") and not row.get("ablation")


def row_label(row):
    """(system, configuration) as the tables print them."""
    if is_baseline(row):
        return row["system"], f"{row['config']}; {row['defaults']}"
    return row["system"], row["config"]


def systems_table(rows):
    """A markdown table of the systems' rows on one set."""
    cols = ["system", "configuration", "MRR@10", "R@10", "nDCG@10", "refused",
            "index s", "query s"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        system, config = row_label(row)
        if "skipped" in row:
            cells = [system, config, f"skipped: {row['skipped'][:300]}"]
            cells += [""] * (len(cols) - len(cells))
        else:
            cells = [system, config, fmt(row["mrr"]), fmt(row["recall"]), fmt(row["ndcg"]),
                     str(row.get("errors", "-")), str(row.get("index_s", "-")),
                     str(row.get("query_s", "-"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ablation_table(rows, set_names):
    """One line per ablation: its MRR@10 on each set and the difference from
    the project as shipped, then R@10's difference."""
    baselines = {r["set"]: r for r in rows if is_baseline(r) and "skipped" not in r}
    by_label = {}
    for row in rows:
        if row.get("ablation"):
            by_label.setdefault(row["config"], {})[row["set"]] = row
    cols = ["ablation"]
    for s in set_names:
        label = SETS[s][1]
        cols += [f"{label} MRR@10", "ΔMRR", "ΔR@10"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for label, per_set in by_label.items():
        cells = [label]
        for s in set_names:
            row, base = per_set.get(s), baselines.get(s)
            if row is None:
                cells += ["n/a", "", ""]
            elif "skipped" in row or base is None:
                cells += ["skipped", "", ""]
            else:
                cells += [fmt(row["mrr"]), f"{row['mrr'] - base['mrr']:+.3f}",
                          f"{row['recall'] - base['recall']:+.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def on_set(rows, name):
    return [r for r in rows if r.get("set") == name]


def project_row(rows):
    return next((r for r in rows if is_baseline(r) and "skipped" not in r), None)


def lucene_row(rows):
    """Real Lucene at Anserini's default BM25 (k1=1.2, b=0.75)."""
    return next((r for r in rows if r["system"].startswith("(d)") and "skipped" not in r
                 and r["config"] == ANSERINI_DEFAULT), None)


def reading(rows, set_names):
    """Plain statements computed from the rows (the report's summary)."""
    notes = []
    for name in set_names:
        rows_here, label = on_set(rows, name), SETS[name][1]
        project, lucene = project_row(rows_here), lucene_row(rows_here)
        if not (project and lucene):
            continue
        gap = project["mrr"] - lucene["mrr"]
        p = randomization_p(project["rr"], lucene["rr"])
        note = (f"{label} ({project['queries']} queries): this project MRR@10 "
                f"{project['mrr']:.3f}, R@10 {project['recall']:.3f}, nDCG@10 "
                f"{project['ndcg']:.3f}; real Lucene ({lucene['config']}) {lucene['mrr']:.3f}, "
                f"{lucene['recall']:.3f}, {lucene['ndcg']:.3f}. Difference {gap:+.3f} MRR@10 "
                f"(paired randomization test p = {p:.4f}).")
        if name == "xquad":
            note += (f" The bar (MRR@10 >= {XQUAD_BAR}) is "
                     f"{'met' if project['mrr'] >= XQUAD_BAR else 'not met'}.")
        elif name == "news-questions":
            note += (f" The bar (+{NEWS_MARGIN} MRR@10 over real Lucene) is "
                     f"{'met' if gap >= NEWS_MARGIN else 'not met'}.")
        notes.append(note)
    for corpus in CORPORA:
        lucene = next((r for r in rows if "port_agreement" in r
                       and SETS[r["set"]][0] == corpus), None)
        if lucene:
            agree = lucene["port_agreement"]
            notes.append(
                f"The Lucene port (c) gives exactly Lucene's ArabicAnalyzer tokens on the {corpus} "
                f"corpus for {agree['docs'][0]:,} of {agree['docs'][1]:,} documents and "
                f"{agree['questions'][0]:,} of {agree['questions'][1]:,} queries "
                "(checked through Lucene itself in the same run).")
    notes += ablation_reading(rows, set_names)
    for name in set_names:
        project = project_row(on_set(rows, name))
        if project and (project["errors"] or project["all_zero_scores"]):
            notes.append(f"{SETS[name][1]}: {project['errors']} queries refused with "
                         f"QueryError, {project['all_zero_scores']} ranked with all-zero scores.")
    return notes


def ablation_reading(rows, set_names):
    """What each ablation says about its feature, across the sets."""
    baselines = {s: project_row(on_set(rows, s)) for s in set_names}
    deltas = {}
    for row in rows:
        base = baselines.get(row.get("set"))
        if row.get("ablation") and "skipped" not in row and base:
            # Rounded as printed, so that a listed +0.003 is a rise.
            deltas.setdefault(row["config"], {})[row["set"]] = (
                round(row["mrr"] - base["mrr"], 3), row["rr"] == base["rr"])
    helps, hurts, mixed, same, small = [], [], [], [], []
    for label, per_set in deltas.items():
        moved = {s: d for s, (d, _) in per_set.items() if abs(d) >= 0.003}
        text = f"{label} (" + ", ".join(
            f"{SETS[s][1]} {d:+.3f}" for s, (d, _) in per_set.items()) + ")"
        if all(unchanged for _, unchanged in per_set.values()):
            same.append(label)
        elif moved and all(d > 0 for d in moved.values()):
            helps.append(text)
        elif moved and all(d < 0 for d in moved.values()):
            hurts.append(text)
        elif moved:
            mixed.append(text)
        else:
            small.append(label)
    notes = []
    if helps:
        notes.append("Changes that raise MRR@10 by 0.003 or more on some set and lower it by "
                     "as much on none (candidates to adopt): " + "; ".join(helps) + ".")
    if hurts:
        notes.append("Changes that lower MRR@10 by 0.003 or more on some set and raise it by "
                     "as much on none (what the project ships is better): " + "; ".join(hurts)
                     + ".")
    if mixed:
        notes.append("Changes that raise MRR@10 by 0.003 or more on one set and lower it by as "
                     "much on another (keep only what helps both): " + "; ".join(mixed) + ".")
    if small:
        notes.append("Changes that moved MRR@10 by less than 0.003 on every set: "
                     + ", ".join(small) + ".")
    if same:
        notes.append("No query's rank moved on any set: " + ", ".join(same) + ".")
    return notes


CORPUS_NOTE = (
    "Corpora. XQuAD-ar: its 240 passages + the first 5,000 SaudiNewsNet articles with content "
    "(distinct URLs, zips in sorted order); 1,190 questions, one relevant passage each. "
    "News: every SaudiNewsNet article with content (30,676 distinct URLs), searched by two "
    "sets: 150 hand-written questions (`bench/news_questions.tsv`) judged by pooling "
    "(`bench/news_qrels.txt`, relevant = answers the question), and 300 titles drawn at run "
    "time whose articles are indexed without them (one relevant article each). "
    "Every system indexes `title + \"\\n\" + body` as one field: SaudiNewsNet headlines are "
    "indexed, XQuAD's English page-name titles are not. "
    "(a) is `index_articles(..., entities=False)` + `SearchService.search(query, "
    "per_page=10, facets=False, snippets=False)`, queries as typed; (b) and (c) query an OR "
    "of the analyzed words, each weighted by its count, as Anserini's bag-of-words query "
    "does; (d) is Anserini's IndexCollection + SimpleSearcher with `-language ar` (Lucene's "
    "ArabicAnalyzer, its stopwords included). MRR@10; R@10 is the share of a query's "
    "relevant documents in its top 10; nDCG@10 has the judged grade as gain. \"refused\": "
    "queries the project's parser rejected with QueryError."
)

ABLATION_NOTE = (
    "Each row changes one thing from the project as shipped and gives its MRR@10 and its "
    "difference from it (Δ) on each set. Changes are made from the benchmark (module tables "
    "patched in a fresh process per index), never in the project's code; the query-time "
    "ones share the default index. \"OR coordination\" sets Whoosh's coordination factor on "
    "the parsed OR groups (the project parses with a plain OR). n/a: the change means "
    "nothing on that corpus."
)


def slim(row):
    return {k: v for k, v in row.items() if k not in ("rr", "run")}


def write_report(rows, set_names, facts, seconds):
    today = date.today().isoformat()
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "relevance.json").write_text(json.dumps(
        {"date": today, "machine": facts, "seconds": round(seconds), "sets": set_names,
         "corpus": CORPUS_NOTE, "rows": [slim(r) for r in rows]},
        ensure_ascii=False, indent=1) + "\n")
    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items() if v)
    md = [
        "# Relevance benchmark", "",
        f"Measured {today} by `python bench/relevance.py` in {seconds / 60:.1f} min on "
        f"{facts['cpus']} CPUs, two jobs at a time ({facts['cpu_s'] / 60:.1f} CPU-minutes in "
        f"all; load average {facts['load'][0]:.1f} at the start, {facts['load'][1]:.1f} at the "
        f"end: the machine is shared and times are indicative), Python "
        f"{facts['python']}, {packages}, {facts['java']}. Project code: {facts['source']}.",
        "", CORPUS_NOTE, "", "## Reading", "", *[f"- {n}" for n in reading(rows, set_names)], "",
    ]
    for name in set_names:
        md += [f"## Systems on {SETS[name][1]}", "",
               systems_table([r for r in on_set(rows, name) if not r.get("ablation")]), ""]
    md += ["## Ablations of this project's pipeline", "", ABLATION_NOTE, "",
           ablation_table(rows, set_names), ""]
    (RESULTS_DIR / "relevance.md").write_text("\n".join(md))


def write_runs(rows, folder):
    """Every row's ranking as a TREC run file, ``SET__SYSTEM__CONFIG.txt``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for row in rows:
        if "run" not in row:
            continue
        tag = "__".join(re.sub(r"[^\w.=-]+", "_", part).strip("_")
                        for part in (row["system"], row["config"]))
        with open(folder / f"{row['set']}__{tag}.txt", "w", encoding="utf-8") as f:
            for qid, ranked in row["run"].items():
                for rank, docid in enumerate(ranked, 1):
                    f.write(f"{qid} Q0 {docid} {rank} {K + 1 - rank} {tag[:40]}\n")


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
    parser.add_argument("--corpus", choices=CORPORA, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--keep-runs", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", choices=JOBS, metavar="JOB",
                        help=f"run only these jobs (no report written): {', '.join(JOBS)}")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS), metavar="SET",
                        help=f"run only these query sets: {', '.join(SETS)} (default all; "
                             "a report is written only for all of them)")
    parser.add_argument("--quick", action="store_true", help="systems only, no ablations")
    parser.add_argument("--commit", metavar="REV",
                        help="benchmark the project as committed at REV, not the working tree")
    parser.add_argument("--runs", metavar="DIR", help="also write every row's TREC run into DIR")
    parser.add_argument("--workers", type=int, default=2, help="jobs run at once (default 2)")
    args = parser.parse_args(argv)
    require_data([XQUAD_DIR / "passages.tsv", XQUAD_DIR / "queries.tsv",
                  XQUAD_DIR / "qrels.txt", news_set.NEWS_DIR], "relevance benchmark")
    if args.job:
        run_job(args.job, args.corpus, args.sets, args.quick, args.keep_runs, args.out)
        return
    set_names = [s for s in SETS if s in args.sets]
    names = args.only or [n for n, job in JOBS.items() if job.system or not args.quick]
    tasks = plan(names, set_names)
    start, load = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        tree, source = prepare_tree(args.commit, tmp)
        print(f"{len(tasks)} jobs, {args.workers} at a time, on {source}:", flush=True)
        with ThreadPoolExecutor(args.workers) as pool:
            results = list(pool.map(
                lambda t: spawn(t, tmp, tree, args.quick, bool(args.runs)), tasks))
    rows = [row for job_rows in results for row in job_rows]
    seconds = time.perf_counter() - start
    facts = machine_facts(["whoosh-reloaded", "pyserini", "pyjnius", "pyarabic"])
    # The jobs are waited-for children: their CPU time is all the run's work.
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    facts.update(java=java_version(), source=source, cpu_s=round(used.ru_utime + used.ru_stime),
                 load=[round(load, 2), round(os.getloadavg()[0], 2)])
    for name in set_names:
        print(f"\n{SETS[name][1]}:")
        print(systems_table([r for r in on_set(rows, name) if not r.get("ablation")]))
    if any(r.get("ablation") for r in rows):
        print("\n" + ablation_table(rows, set_names))
    for note in reading(rows, set_names):
        print("-", note)
    if args.runs:
        write_runs(rows, args.runs)
        print(f"wrote the runs to {args.runs}")
    print(f"{seconds / 60:.1f} min")
    if not args.only and set_names == list(SETS):
        write_report(rows, set_names, facts, seconds)
        print(f"wrote {RESULTS_DIR / 'relevance.md'} and relevance.json")


if __name__ == "__main__":
    main()
