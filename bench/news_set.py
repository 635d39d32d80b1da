"""The two news sets of the relevance benchmark, built over SaudiNewsNet.

*News questions* (``news_questions.tsv``, ``news_qrels.txt``): one Arabic
question, written by hand, for each of ~150 articles picked by
``question_articles``; the qrels hold the source article and every pooled
article judged to answer the question too (wire stories run in several
papers).  Only our own questions and the articles' URLs are stored, never
article text.

*News titles* (made at run time, never stored): 300 articles picked by
``title_articles``; each title is a query, its article is indexed with the
title removed, and that article is the one relevant document (known item).

Both sets search one corpus: every SaudiNewsNet article with content
(distinct URLs), the title articles' titles blanked (``news_corpus``).

``python bench/news_set.py candidates`` prints the articles the question
set is written for; ``pool RUN...`` prints, for each question, the pooled
articles of TREC runs not judged yet, and ``judge`` merges the judgments of
such a pool into the qrels; ``unjudged RUN...`` gives the share of a run's top
10 that no one has judged (building aids: they print article text to the
terminal, which stays out of the repository).
"""

import argparse
import glob
import json
import random
import re
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, DATA_DIR  # noqa: E402

NEWS_DIR = DATA_DIR / "saudinewsnet"
QUESTIONS = BENCH_DIR / "news_questions.tsv"
QRELS = BENCH_DIR / "news_qrels.txt"

# Fixed seeds: the sets must be the same articles on every machine and run.
QUESTION_SEED = 15
QUESTION_COUNT = 150
# Every source gets a few questions, even the two sports papers with under
# a hundred articles: the held-out sets may come from any of them.
MIN_PER_SOURCE = 3
TITLE_SEED = 1015
TITLE_COUNT = 300
# An article this short is a caption or a brief; a reader's question about
# it is a question about its title.
MIN_BODY_WORDS = 120
# Shorter titles are column names ("فواصل", "صح لسانك"), not descriptions.
MIN_TITLE_WORDS = 4


def doc_id(url):
    """An article's id: its URL with any whitespace percent-encoded.

    Two URLs hold a no-break space, which would split a TREC line.
    """
    return re.sub(r"\s", lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), url)


def read_news():
    """Every SaudiNewsNet article with content, first occurrence of a URL,
    zips and their members in sorted order, as benchmark document dicts."""
    docs, seen = [], set()
    for path in sorted(glob.glob(str(NEWS_DIR / "*.zip"))):
        day = Path(path).stem
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                for rec in json.loads(archive.read(member)):
                    url = rec.get("url") or ""
                    if not (rec.get("content") or "").strip() or url in seen:
                        continue
                    seen.add(url)
                    docs.append({
                        "id": doc_id(url), "title": rec.get("title") or "",
                        "body": rec["content"], "origin": "saudinewsnet",
                        "date": rec.get("date_extracted"), "source": rec.get("source") or "",
                        "author": rec.get("author") or "", "url": url, "day": day,
                    })
    return docs


def _words(text):
    return len(text.split())


def _spread(pool, count, rng):
    """``count`` articles of ``pool`` taken round-robin over its days, each
    day's articles in a seeded random order."""
    by_day = defaultdict(list)
    for doc in pool:
        by_day[doc["day"]].append(doc)
    days = sorted(by_day)
    for day in days:
        rng.shuffle(by_day[day])
    picked, turn = [], rng.randrange(len(days))
    while len(picked) < count and any(by_day.values()):
        day = days[turn % len(days)]
        if by_day[day]:
            picked.append(by_day[day].pop())
        turn += 1
    return picked


def question_articles(docs, count=QUESTION_COUNT, seed=QUESTION_SEED):
    """The articles the question set is written for, spread over sources and days.

    Each source gets a share of ``count`` proportional to its eligible
    articles (at least MIN_PER_SOURCE, largest remainders first), taken
    round-robin over the days.  Ordered by source, then pick order.
    """
    eligible = [d for d in docs if _words(d["body"]) >= MIN_BODY_WORDS and d["title"].strip()]
    sizes = Counter(d["source"] for d in eligible)
    quota = {s: MIN_PER_SOURCE for s in sizes}
    rest = count - sum(quota.values())
    big = sum(sizes.values())
    shares = {s: rest * n / big for s, n in sizes.items()}
    for s in sizes:
        quota[s] += int(shares[s])
    by_remainder = sorted(sizes, key=lambda s: (-(shares[s] - int(shares[s])), s))
    for s in by_remainder[:count - sum(quota.values())]:
        quota[s] += 1
    rng = random.Random(seed)
    picked = []
    for source in sorted(sizes):
        picked += _spread([d for d in eligible if d["source"] == source], quota[source], rng)
    return picked


def title_articles(docs, exclude=(), count=TITLE_COUNT, seed=TITLE_SEED):
    """The articles whose titles are the titles set's queries.

    Left out: articles in ``exclude`` (judged for the question set, whose
    titles must stay indexed), short bodies, titles under MIN_TITLE_WORDS
    words, a title or body another article shares (the known item would be
    ambiguous), and bodies that contain their title verbatim (the title would
    not be removed).
    """
    titles = Counter(d["title"].strip() for d in docs)
    bodies = Counter(d["body"].strip() for d in docs)
    eligible = [
        d for d in docs
        if _words(d["body"]) >= MIN_BODY_WORDS and _words(d["title"]) >= MIN_TITLE_WORDS
        and titles[d["title"].strip()] == 1 and bodies[d["body"].strip()] == 1
        and d["title"].strip() not in d["body"]
    ]
    # Excluded articles are passed over in a fixed order, not removed before
    # drawing: one more judged article then changes one pick, not all of them.
    exclude = set(exclude)
    order = random.Random(seed).sample(eligible, len(eligible))
    return [d for d in order if d["id"] not in exclude][:count]


def load_questions(path=None):
    """[(qid, question)] and {qid: url of the article it was written for}."""
    path = path or QUESTIONS
    queries, sources = [], {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if number == 1 or not line.strip():
                continue  # the header
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 3 or not all(fields):
                raise ValueError(f"{path}:{number}: expected qid, question, url (tab-separated)")
            qid, question, url = fields
            queries.append((qid, question))
            sources[qid] = url
    return queries, sources


def load_qrels(path=None):
    """{qid: {docid: grade}} with every judged document, grade 0 included."""
    path = path or QRELS
    qrels = defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 4 or not fields[3].isdigit():
                raise ValueError(f"{path}:{number}: expected 'qid 0 docid grade'")
            qrels[fields[0]][fields[2]] = int(fields[3])
    return dict(qrels)


def judged_ids(qrels):
    """Every document judged relevant to some question."""
    return {doc for judged in qrels.values() for doc, grade in judged.items() if grade > 0}


def news_corpus(docs, stripped):
    """``docs`` with the titles of the ``stripped`` ids blanked."""
    return [{**d, "title": ""} if d["id"] in stripped else d for d in docs]


def question_qrels(questions, sources, judged):
    """{qid: {docid: grade}} of the relevant documents: the article each
    question was written for, and every pooled article judged relevant."""
    qrels = {}
    for qid, _ in questions:
        relevant = {d: g for d, g in judged.get(qid, {}).items() if g > 0}
        relevant.setdefault(sources[qid], 1)
        qrels[qid] = relevant
    return qrels


def news_sets(docs):
    """(corpus, {set name: (queries, qrels)}) for the two news sets.

    Qrels map a qid to ``{docid: grade}``, relevant documents only.  Before
    the pool is judged (no QRELS file) the question set has only each
    question's own article.
    """
    questions, sources = load_questions()
    if QRELS.exists():
        judged = load_qrels()
    else:
        print(f"note: {QRELS} not found; each question has only its own article",
              file=sys.stderr)
        judged = {}
    qrels = question_qrels(questions, sources, judged)
    picks = title_articles(docs, exclude=judged_ids(qrels))
    sets = {
        "news-questions": (questions, qrels),
        "news-titles": ([(f"T{n:03d}", d["title"]) for n, d in enumerate(picks, 1)],
                        {f"T{n:03d}": {d["id"]: 1} for n, d in enumerate(picks, 1)}),
    }
    return news_corpus(docs, {d["id"] for d in picks}), sets


# --- Building aids -----------------------------------------------------------


def _lead(doc, words):
    return " ".join(doc["body"].split()[:words])


def print_candidates(words):
    for n, doc in enumerate(question_articles(read_news()), 1):
        print(f"## {n} {doc['source']} {doc['day']} {doc['url']}\n{doc['title']}\n"
              f"{_lead(doc, words)}\n")


def read_run(path):
    run = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            qid, _, docid, rank, *_ = line.split()
            run[qid].append((int(rank), docid))
    return {q: [d for _, d in sorted(hits)] for q, hits in run.items()}


def _overlap(a, b):
    """Share of the words of body ``a`` also in body ``b`` (a same-story hint)."""
    words_a, words_b = set(a.split()), set(b.split())
    return len(words_a & words_b) / max(1, len(words_a))


def pool(runs, depth):
    """{qid: [docid, ...]}: the top ``depth`` of each run not judged yet,
    in run order, without each question's own article."""
    queries, sources = load_questions()
    judged = load_qrels() if QRELS.exists() else {}
    runs = [read_run(p) for p in runs]
    pooled = {}
    for qid, _ in queries:
        seen = [sources[qid], *judged.get(qid, {})]
        for run in runs:
            seen += [d for d in run.get(qid, [])[:depth] if d not in seen]
        pooled[qid] = seen[1 + len(judged.get(qid, {})):]
    return pooled


def print_unjudged(runs, depth):
    """Print, for each run, the share of its top ``depth`` no one has judged."""
    judged = load_qrels()
    for path in runs:
        ranked = [(qid, d) for qid, docs in read_run(path).items() for d in docs[:depth]]
        unjudged = sum(d not in judged.get(qid, {}) for qid, d in ranked)
        print(f"{unjudged / max(1, len(ranked)):6.1%} of {len(ranked)}  {path}")


def print_pool(runs, depth, words, map_path):
    """Print each question's pooled documents, numbered; write the numbers'
    ids to ``map_path`` for ``write_judgments``."""
    docs = {d["id"]: d for d in read_news()}
    queries, sources = load_questions()
    pooled = pool(runs, depth)
    for qid, question in queries:
        if not pooled[qid]:
            continue
        source = docs[sources[qid]]
        print(f"## {qid} {question}\n   = {source['title']}")
        for n, docid in enumerate(pooled[qid], 1):
            doc = docs[docid]
            print(f"   {n} [{_overlap(doc['body'], source['body']):.2f}] {doc['title']} | "
                  f"{_lead(doc, words)}")
    Path(map_path).write_text(json.dumps(pooled, ensure_ascii=False))


def write_judgments(map_path, relevant_path):
    """Merge a judged pool into QRELS: every pooled document gets grade 0,
    the numbers listed in ``relevant_path`` (lines ``qid n n ...``) grade 1,
    each question's own article grade 1; earlier judgments are kept."""
    pooled = json.loads(Path(map_path).read_text())
    relevant = {}
    with open(relevant_path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            fields = line.split("#")[0].split()
            if not fields:
                continue
            qid, *picks = fields
            if qid not in pooled or not all(p.isdigit() and 0 < int(p) <= len(pooled[qid])
                                            for p in picks):
                raise ValueError(f"{relevant_path}:{number}: unknown question or number")
            relevant[qid] = {pooled[qid][int(p) - 1] for p in picks}
    queries, sources = load_questions()
    qrels = load_qrels() if QRELS.exists() else {}
    with open(QRELS, "w", encoding="utf-8") as f:
        for qid, _ in queries:
            judged = dict(qrels.get(qid, {}))
            judged[sources[qid]] = 1
            for docid in pooled.get(qid, []):
                judged[docid] = int(docid in relevant.get(qid, ()))
            for docid, grade in sorted(judged.items(), key=lambda item: (-item[1], item[0])):
                f.write(f"{qid} 0 {docid} {grade}\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cand = sub.add_parser("candidates", help="print the articles to write questions for")
    cand.add_argument("--words", type=int, default=150, help="words of each body to print")
    pooling = sub.add_parser("pool", help="print the unjudged pooled documents of TREC runs")
    pooling.add_argument("runs", nargs="+")
    pooling.add_argument("--depth", type=int, default=10)
    pooling.add_argument("--words", type=int, default=20)
    pooling.add_argument("--map", required=True, help="where to write the pool's numbering")
    unjudged = sub.add_parser("unjudged", help="the share of unjudged documents in TREC runs")
    unjudged.add_argument("runs", nargs="+")
    unjudged.add_argument("--depth", type=int, default=10)
    judge = sub.add_parser("judge", help="merge judgments of a printed pool into the qrels")
    judge.add_argument("--map", required=True, help="the numbering 'pool' wrote")
    judge.add_argument("relevant", help="lines 'qid n n ...': the relevant pool numbers")
    args = parser.parse_args(argv)
    if args.command == "candidates":
        print_candidates(args.words)
    elif args.command == "pool":
        print_pool(args.runs, args.depth, args.words, args.map)
    elif args.command == "unjudged":
        print_unjudged(args.runs, args.depth)
    else:
        write_judgments(args.map, args.relevant)


if __name__ == "__main__":
    main()
