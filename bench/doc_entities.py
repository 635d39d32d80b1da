"""Score the recogniser's document-level actors and countries on the dev set.

    python bench/doc_entities.py                 # P/R/F1 per split (dev, check, all)
    python bench/doc_entities.py --errors        # ... and every miss and false positive
    python bench/doc_entities.py --json out.json # ... and the figures, machine-readable
    python bench/doc_entities.py --select        # print the selection (ids, sources, zips)

The set, ``bench/entity_devset.json``, holds 80 SaudiNewsNet articles by id
(url) with the countries and actors a reader finds in each; its
``guidelines`` key says how they were annotated, so that a second annotator
can follow them.  It holds ids and names only: the articles are read from
the zips in ``../shared/data/saudinewsnet`` (absent: the benchmark says so
and exits 0; under CI=true that is an error, exit 1).

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
  ...) is in the ``check`` split, the others in ``dev``: 60 and 20.  The
  check split is reported, never used for error analysis: a guard against
  fitting the recogniser to the dev articles.

Scoring (:func:`score_document`), per document, summed over documents
(micro-averaged):

* countries: the predicted set of ISO codes against the gold set;
* actors: a predicted actor matches a gold actor when one of its names
  (canonical name or alias) and one of the gold actor's have the same
  :func:`name_key` (normalized spelling, clitics and the article handled,
  honorifics dropped).  Each gold actor is matched at most once and each
  prediction at most once (a maximum matching), so a second prediction for
  the same gold actor, an alias the recogniser did not merge, is a false
  positive.  Kinds are ignored for the overall figure; the per-kind figures
  match persons with persons and organisations with organisations only.

The recogniser reads each article as indexing does: title, a newline, the
body (:func:`indexer.segments.article_text` of the record read by
:func:`indexer.readers.to_article`), all articles in one
:func:`analyzers.entities.extract_entities_many` call.
"""

import argparse
import json
import random
import re
import sys
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzers.normalize import normalize  # noqa: E402
from bench.common import DATA_DIR, require_data  # noqa: E402

SAUDINEWSNET = DATA_DIR / "saudinewsnet"
DEVSET = ROOT / "bench" / "entity_devset.json"

SEED = 13  # issue 13
TOTAL = 80
MIN_WORDS, MAX_WORDS = 80, 900
CHECK_EVERY = 4
SPLITS = ("dev", "check", "all")
KINDS = ("person", "organization")

# Proclitics a name can carry in running text, and only before the article
# (وبالأهلي, للنصر): a bare و/ب/ل/ف/ك is too often the name's own first
# letter (وليد, بدر, فهد) to strip.
CLITICS_BEFORE_AL = ("وبال", "وال", "بال", "فال", "كال", "وكال", "ولل", "فلل", "لل")
ARTICLE = "ال"
# Honorifics the guidelines keep out of canonical names; the recogniser may
# keep them in its span.  Titles naming an office (الرئيس الأمريكي) are
# not here: a span with one is a wrong span.
HONORIFICS = frozenset(normalize(w) for w in (
    "الأمير", "الأميرة", "الشيخ", "الشيخة", "الدكتور", "الدكتورة", "د", "المهندس",
    "السفير", "العميد", "العقيد", "العماد", "الكابتن", "معالي", "سمو", "فخامة",
    "صاحب", "السمو", "الملكي", "سموه",
))
# Words that open a compound name and are written joined or apart
# (عبد الله / عبدالله, أبو صالح / أبوصالح).
JOINERS = frozenset(normalize(w) for w in ("عبد", "أبو", "ابو"))
NON_WORD = re.compile(r"[^\w]+")


# -- selection ---------------------------------------------------------------

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
        for i in range(quota[source]):
            # Fewer dates than the quota: go round them again.
            name = zips[i % len(zips)]
            candidates = [r for r in pool[source][name] if r["url"] not in {c["id"] for c in chosen}]
            if not candidates:
                continue
            record = rng.choice(candidates)
            used[name] += 1
            chosen.append({
                "id": record["url"],
                "source": source,
                "date": (record.get("date_extracted") or "")[:10],
                "zip": name,
            })
    for i, entry in enumerate(chosen):
        entry["split"] = "check" if i % CHECK_EVERY == CHECK_EVERY - 1 else "dev"
    return chosen


# -- the set and its articles --------------------------------------------------

def load_devset(path=DEVSET):
    """Return the set's articles, checked; a bad entry is a SystemExit naming it."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SystemExit(f"{path}: cannot read the dev set: {e}")
    articles = doc.get("articles") if isinstance(doc, dict) else None
    if not isinstance(articles, list):
        raise SystemExit(f"{path}: expected an object with an 'articles' list")
    for n, article in enumerate(articles):
        where = f"{path}: article {n} ({article.get('id', '?') if isinstance(article, dict) else '?'})"
        if not isinstance(article, dict):
            raise SystemExit(f"{where}: expected an object")
        for field in ("id", "zip", "split", "countries", "actors"):
            if field not in article:
                raise SystemExit(f"{where}: missing field {field!r}")
        if article["split"] not in ("dev", "check"):
            raise SystemExit(f"{where}: field 'split' must be 'dev' or 'check'")
        for actor in article["actors"]:
            if not isinstance(actor, dict) or not actor.get("name") or actor.get("kind") not in KINDS:
                raise SystemExit(f"{where}: actor {actor!r} needs a name and a kind in {KINDS}")
    return articles


def read_texts(articles, folder=SAUDINEWSNET):
    """Return ``{id: text}``: each article's title + newline + body, as indexed."""
    from indexer.readers import FieldMap, to_article
    from indexer.segments import article_text

    wanted = defaultdict(set)
    for article in articles:
        wanted[article["zip"]].add(article["id"])
    texts, fields = {}, FieldMap()
    for name, ids in sorted(wanted.items()):
        with zipfile.ZipFile(folder / name) as archive:
            for member in archive.namelist():
                for record in json.loads(archive.read(member)):
                    url = record.get("url")
                    if url in ids and url not in texts:
                        parsed, _ = to_article(record, f"{name}:{url}", fields)
                        texts[url] = article_text(parsed)
    missing = [a["id"] for a in articles if a["id"] not in texts]
    if missing:
        raise SystemExit(f"{len(missing)} dev-set article(s) not found in their zip, e.g. {missing[0]}")
    return texts


# -- matching and scoring ------------------------------------------------------

def _token(word):
    for clitic in CLITICS_BEFORE_AL:
        if word.startswith(clitic) and len(word) > len(clitic) + 1:
            word = ARTICLE + word[len(clitic):]
            break
    if word.startswith(ARTICLE) and len(word) > len(ARTICLE) + 1:
        word = word[len(ARTICLE):]
    return "بن" if word == "ابن" else word


def name_key(name):
    """Return the form two names must share to be the same actor's.

    >>> name_key("وبالأهلي") == name_key("الأهلي") == name_key("أهلي")
    True
    >>> name_key("الأمير عبد الرحمن بن مساعد") == name_key("عبدالرحمن بن مساعد")
    True
    >>> name_key("للنصر") == name_key("«النصر»")
    True
    >>> name_key("الملك سلمان") == name_key("سلمان")
    False
    """
    words = NON_WORD.sub(" ", normalize(name)).split()
    joined = []
    for w in words:
        if joined and joined[-1] in JOINERS:
            joined[-1] += w
        else:
            joined.append(w)
    words = [_token(w) for w in joined]
    kept = [w for w in words if ARTICLE + w not in HONORIFICS and w not in HONORIFICS]
    return " ".join(kept or words)


def gold_keys(actor):
    return {name_key(n) for n in [actor["name"], *actor.get("aliases", ())]} - {""}


def predicted_keys(actor):
    return {name_key(n) for n in [actor.name, *actor.aliases]} - {""}


def match(gold, predicted):
    """Return ``{predicted index: gold index}``, a maximum matching.

    ``gold`` and ``predicted`` are lists of key sets; an edge joins two
    actors sharing a key.  Kuhn's augmenting paths: documents have tens of
    actors at most.
    """
    edges = [[g for g, gk in enumerate(gold) if pk & gk] for pk in predicted]
    owner = {}   # gold index -> predicted index

    def augment(p, seen):
        for g in edges[p]:
            if g in seen:
                continue
            seen.add(g)
            if g not in owner or augment(owner[g], seen):
                owner[g] = p
                return True
        return False

    for p in range(len(predicted)):
        augment(p, set())
    return {p: g for g, p in owner.items()}


def _actor_counts(gold, predicted):
    """Return ``(tp, fp, fn, errors, kind_errors)`` for one document's actors."""
    gk = [gold_keys(a) for a in gold]
    pk = [predicted_keys(a) for a in predicted]
    pairs = match(gk, pk)
    matched_gold = set(pairs.values())
    errors = []
    for p, actor in enumerate(predicted):
        if p in pairs:
            continue
        twin = next((gold[g]["name"] for g, keys in enumerate(gk) if keys & pk[p]), None)
        errors.append({
            "type": "fp", "name": actor.name, "kind": actor.kind, "aliases": list(actor.aliases),
            "duplicate_of": twin,   # matches a gold actor already matched: not merged
        })
    for g, actor in enumerate(gold):
        if g not in matched_gold:
            errors.append({"type": "fn", "name": actor["name"], "kind": actor["kind"],
                           "aliases": list(actor.get("aliases", ()))})
    kind_errors = [(gold[g]["name"], gold[g]["kind"], predicted[p].kind)
                   for p, g in pairs.items() if gold[g]["kind"] != predicted[p].kind]
    return len(pairs), len(predicted) - len(pairs), len(gold) - len(pairs), errors, kind_errors


def score_document(article, entities):
    """Return the counts and errors of one article: gold ``article``, ``entities``
    as :func:`analyzers.entities.extract_entities` returns them."""
    gold_c = set(article["countries"])
    pred_c = {c.code for c in entities.countries}
    tp, fp, fn, errors, kind_errors = _actor_counts(article["actors"], entities.actors)
    counts = {
        "countries": [len(gold_c & pred_c), len(pred_c - gold_c), len(gold_c - pred_c)],
        "actors": [tp, fp, fn],
    }
    for kind in KINDS:
        g = [a for a in article["actors"] if a["kind"] == kind]
        p = [a for a in entities.actors if a.kind == kind]
        counts[kind] = list(_actor_counts(g, p)[:3])
    errors += [{"type": "fp", "country": c} for c in sorted(pred_c - gold_c)]
    errors += [{"type": "fn", "country": c} for c in sorted(gold_c - pred_c)]
    return counts, errors, kind_errors


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(articles=None, texts=None, extract=None):
    """Run the recogniser over the set and return the figures.

    ``extract`` defaults to :func:`analyzers.entities.extract_entities_many`
    (pass another to measure a variant); ``texts`` to the articles read
    from the zips.  Returns ``{"figures": {split: {measure: {tp, fp, fn,
    p, r, f1}}}, "documents": [{id, split, source, errors, kind_errors}],
    "seconds": extraction time}``.
    """
    if articles is None:
        articles = load_devset()
    if texts is None:
        texts = read_texts(articles)
    if extract is None:
        from analyzers.entities import extract_entities_many as extract
    start = time.perf_counter()
    results = extract([texts[a["id"]] for a in articles])
    seconds = time.perf_counter() - start
    totals = {s: defaultdict(lambda: [0, 0, 0]) for s in SPLITS}
    documents = []
    for article, entities in zip(articles, results):
        counts, errors, kind_errors = score_document(article, entities)
        for split in (article["split"], "all"):
            for measure, (tp, fp, fn) in counts.items():
                t = totals[split][measure]
                t[0] += tp
                t[1] += fp
                t[2] += fn
        documents.append({"id": article["id"], "split": article["split"],
                          "source": article.get("source", ""), "errors": errors,
                          "kind_errors": kind_errors})
    figures = {}
    for split, measures in totals.items():
        figures[split] = {}
        for measure in ("countries", "actors", *KINDS):
            tp, fp, fn = measures[measure]
            p, r, f1 = prf(tp, fp, fn)
            figures[split][measure] = {"tp": tp, "fp": fp, "fn": fn,
                                       "p": round(p, 4), "r": round(r, 4), "f1": round(f1, 4)}
        figures[split]["documents"] = sum(1 for a in articles if split in ("all", a["split"]))
    return {"figures": figures, "documents": documents, "seconds": round(seconds, 2)}


def report(result):
    lines = ["| split | docs | measure | P | R | F1 | tp | fp | fn |", "|---|---|---|---|---|---|---|---|---|"]
    for split in SPLITS:
        f = result["figures"][split]
        for measure in ("countries", "actors", *KINDS):
            m = f[measure]
            lines.append(f"| {split} | {f['documents']} | {measure} | {m['p']:.3f} | {m['r']:.3f} | "
                         f"{m['f1']:.3f} | {m['tp']} | {m['fp']} | {m['fn']} |")
    return "\n".join(lines)


def print_errors(result, splits=("dev",)):
    for doc in result["documents"]:
        if doc["split"] not in splits or not (doc["errors"] or doc["kind_errors"]):
            continue
        print(f"\n## {doc['id']} ({doc['source']}, {doc['split']})")
        for e in doc["errors"]:
            if "country" in e:
                print(f"  {e['type'].upper()} country {e['country']}")
                continue
            extra = f" [duplicate of gold {e['duplicate_of']}]" if e.get("duplicate_of") else ""
            aliases = " | ".join(a for a in e["aliases"] if a != e["name"])
            print(f"  {e['type'].upper()} {e['kind'][:3]} {e['name']}"
                  + (f"  ({aliases})" if aliases else "") + extra)
        for name, gold_kind, predicted_kind in doc["kind_errors"]:
            print(f"  KIND {name}: gold {gold_kind}, predicted {predicted_kind}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--select", action="store_true", help="print the selection as JSON and stop")
    parser.add_argument("--errors", action="store_true",
                        help="print every false positive and miss (dev split; with --all-errors, every split)")
    parser.add_argument("--all-errors", action="store_true", help="with --errors: the check split too")
    parser.add_argument("--json", metavar="PATH", help="write the figures and errors as JSON to PATH")
    args = parser.parse_args(argv)
    require_data([SAUDINEWSNET], "document-level entity benchmark")
    if args.select:
        print(json.dumps(select(), ensure_ascii=False, indent=1))
        return 0
    result = evaluate()
    print(report(result))
    print(f"\nextraction: {result['seconds']} s for {result['figures']['all']['documents']} articles")
    if args.errors:
        print_errors(result, ("dev", "check") if args.all_errors else ("dev",))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
