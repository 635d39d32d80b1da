"""Benchmark the entity recogniser: CoNLL mention scores and extraction speed.

    python bench/entities.py [--folds 5] [--only 0,1] [--models DIR] [--skip-cv] [--skip-aqmar] [--skip-speed]

* ANERcorp training part, 5-fold cross-validation with contiguous folds
  whose boundaries fall between articles (see :func:`fold_bounds`), for the
  CRF alone and for the full recogniser, on every mention and on its named
  mentions (:func:`score_both`); nothing the recogniser uses is derived
  from ANERcorp's labels except the fold's CRF;
* AQMAR (Wikipedia) with the model trained on all of the ANERcorp part;
* ``extract_entities_many`` speed on SaudiNewsNet articles, in the batches
  indexing uses (ms/article and tokens/s on one core).

Mention-level scores are CoNLL's: a mention counts only with its exact span
and type.  Data is read from ``../shared/data``; when it is absent the
benchmark says so and stops, except under CI=true where that is an error.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzers.entities import crf, extract_entities_many  # noqa: E402
from analyzers.entities.conll import read_conll, spans  # noqa: E402
from analyzers.entities.crfmodel import MODEL  # noqa: E402
from analyzers.entities.resources import data_path  # noqa: E402
from analyzers.entities.training import train  # noqa: E402
from analyzers.entities.actors import find_mentions  # noqa: E402
from analyzers.entities.tokens import normalize_tokens, tokenize  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
ANERCORP = DATA / "anercorp_train" / "ANERCorp_train.txt"
AQMAR = DATA / "aqmar"
SAUDINEWSNET = DATA / "saudinewsnet"
TYPES = ("PERS", "ORG", "LOC", "MISC")
# Where a fold boundary may move to find an article break, in tokens.
BOUNDARY_WINDOW = 3000
TOPIC_WINDOW = 300
# Sentences the full recogniser reads as one document (repeats and
# surnames resolve within it).
DOC_SENTENCES = 15
FULL_KIND = {"person": "PERS", "organization": "ORG"}


def require(path):
    """Return True if ``path`` exists; skip (or fail under CI) otherwise."""
    if path.exists():
        return True
    message = f"skipped: {path} is absent (the shared data sits beside the repository)"
    if os.environ.get("CI") == "true":
        raise SystemExit(message.replace("skipped", "error"))
    print(message)
    return False


def _content_words(sentences):
    return {t for sent in sentences for t, _ in sent if len(t) > 3}


def fold_bounds(sentences, k):
    """Return k+1 sentence indexes cutting ``sentences`` into contiguous folds.

    ANERcorp marks no article breaks, so each cut is moved, within
    BOUNDARY_WINDOW tokens of the even split, to the sentence break where the
    vocabulary before and after overlaps least: a change of topic, i.e. of
    article.
    """
    starts = [0]
    for sent in sentences:
        starts.append(starts[-1] + len(sent))
    total = starts[-1]
    bounds = [0]
    for fold in range(1, k):
        target = total * fold / k
        best, best_score = None, None
        for i in range(1, len(sentences)):
            if abs(starts[i] - target) > BOUNDARY_WINDOW:
                continue
            before = _window(sentences, i, -1)
            after = _window(sentences, i, 1)
            score = len(before & after) / (len(before | after) or 1)
            if best_score is None or score < best_score:
                best, best_score = i, score
        bounds.append(best)
    bounds.append(len(sentences))
    return bounds


def _window(sentences, i, step):
    taken, j, out = 0, i if step > 0 else i - 1, []
    while 0 <= j < len(sentences) and taken < TOPIC_WINDOW:
        out.append(sentences[j])
        taken += len(sentences[j])
        j += step
    return _content_words(out)


def score(gold_sents, pred_sents):
    """Return ``{type: (tp, fp, fn)}`` over CoNLL chunks, plus "ALL"."""
    counts = {t: [0, 0, 0] for t in TYPES + ("ALL",)}
    for gold, pred in zip(gold_sents, pred_sents):
        g = set(spans(gold))
        p = set(spans(pred))
        for kind in TYPES:
            gk = {s for s in g if s[2] == kind}
            pk = {s for s in p if s[2] == kind}
            c = counts[kind]
            c[0] += len(gk & pk)
            c[1] += len(pk - gk)
            c[2] += len(gk - pk)
        counts["ALL"][0] += len(g & p)
        counts["ALL"][1] += len(p - g)
        counts["ALL"][2] += len(g - p)
    return counts


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_both(model_path, sentences):
    """Return ``(crf_counts, full_counts, named_counts)`` for ``sentences``.

    The CRF alone tags each sentence.  The full recogniser (curated
    gazetteer, organisation-head and title rules, the CRF, repeats and
    surnames: :func:`analyzers.entities.actors.find_mentions`) reads
    DOC_SENTENCES sentences at a time as one document, ANERcorp marking no
    article breaks; its PERS and ORG mentions replace the CRF's, whose LOC
    and MISC are kept so the overall figure stays comparable.  The named
    counts leave out descriptive names (a head noun and common words:
    وزارة الصناعة، الجيش الإسرائيلي), which the recogniser finds because
    users filter by them but ANERcorp, tagging proper names, leaves
    untagged.
    """
    rec = crf.Recogniser(model_path)
    gold = [[tag for _, tag in s] for s in sentences]
    crf_counts = score(gold, [rec.tag(normalize_tokens([t for t, _ in s])) for s in sentences])
    full_gold, full_pred, full_names = [], [], []
    for i in range(0, len(sentences), DOC_SENTENCES):
        chunk = sentences[i:i + DOC_SENTENCES]
        norms = normalize_tokens([t for s in chunk for t, _ in s])
        pred = [t if t[2:] in ("LOC", "MISC") else "O" for t in rec.tag(norms)]
        names = list(pred)
        for m in find_mentions(norms, rec):
            kind = FULL_KIND[m.kind]
            tags = ["B-" + kind] + ["I-" + kind] * (m.end - m.start - 1)
            pred[m.start:m.end] = tags
            if not m.descriptive:
                names[m.start:m.end] = tags
        full_gold.append([tag for s in chunk for _, tag in s])
        full_pred.append(pred)
        full_names.append(names)
    return crf_counts, score(full_gold, full_pred), score(full_gold, full_names)


def run_fold(args):
    train_sents, test_sents, *keep = args
    if keep and keep[0] is not None:
        # A fold model kept from an earlier run: rule changes are re-scored
        # against the same CRF.  Stale once a gazetteer the features read
        # changes (the flags differ), so final figures train afresh.
        model = Path(keep[0])
        if not model.is_file():
            model.parent.mkdir(parents=True, exist_ok=True)
            train(train_sents, model)
        return score_both(model, test_sents)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "fold.crfsuite"
        train(train_sents, model)
        return score_both(model, test_sents)


def add(total, counts):
    for kind, c in counts.items():
        for j in range(3):
            total[kind][j] += c[j]


def report(title, counts):
    print(f"\n{title}")
    print("| type | P | R | F1 | gold |")
    print("|---|---|---|---|---|")
    for kind in ("PERS", "ORG", "LOC", "MISC", "ALL"):
        tp, fp, fn = counts[kind]
        p, r, f = prf(tp, fp, fn)
        print(f"| {kind} | {p:.3f} | {r:.3f} | {f:.3f} | {tp + fn} |")


def cross_validate(k, workers, only=None, models=None):
    sentences = read_conll(ANERCORP)
    bounds = fold_bounds(sentences, k)
    jobs = []
    for fold in only or range(k):
        lo, hi = bounds[fold], bounds[fold + 1]
        kept = str(Path(models) / f"fold{fold}of{k}.crfsuite") if models else None
        jobs.append((sentences[:lo] + sentences[hi:], sentences[lo:hi], kept))
    totals = [{t: [0, 0, 0] for t in TYPES + ("ALL",)} for _ in range(3)]
    with ProcessPoolExecutor(workers) as pool:
        for fold, counts in zip(only or range(k), pool.map(run_fold, jobs)):
            for total, c in zip(totals, counts):
                add(total, c)
            print(f"fold {fold}: " + " | ".join(
                f"{name} PERS {prf(*c['PERS'])[2]:.3f} ORG {prf(*c['ORG'])[2]:.3f} overall {prf(*c['ALL'])[2]:.3f}"
                for name, c in zip(("CRF", "full", "names"), counts)
            ))
    which = f"folds {only} of " if only else ""
    report(f"ANERcorp train part, {which}{k}-fold CV (contiguous folds at {bounds}), CRF alone", totals[0])
    report(f"Same folds, full recogniser ({DOC_SENTENCES}-sentence documents), every mention", totals[1])
    report("Same folds, full recogniser, named mentions (descriptive names left out)", totals[2])


def read_aqmar():
    tag_map = {"PER": "PERS", "MIS": "MISC", "MIS0": "MISC", "MIS1": "MISC",
               "MIS2": "MISC", "MIS3": "MISC", "MIS-1": "MISC", "MIS-2": "MISC"}
    out = []
    for path in sorted(AQMAR.glob("*.txt")):
        out += read_conll(path, tag_map)
    return out


def evaluate_aqmar(retrain):
    """Score AQMAR with the packaged model (built by scripts/train_ner.py from
    all of the ANERcorp train part), or a fresh one with ``retrain``."""
    test_sents = read_aqmar()
    model = data_path(MODEL)
    if retrain or not model.is_file():
        counts, full, names = run_fold((read_conll(ANERCORP), test_sents))
    else:
        counts, full, names = score_both(model, test_sents)
    report("AQMAR (Wikipedia), model trained on all of the ANERcorp train part, CRF alone", counts)
    report("AQMAR, full recogniser, every mention", full)
    report("AQMAR, full recogniser, named mentions", names)


def articles(limit):
    for path in sorted(SAUDINEWSNET.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                for a in json.loads(archive.read(name)):
                    yield (a.get("title") or "") + "\n" + (a.get("content") or "")
                    limit -= 1
                    if limit <= 0:
                        return


def speed(n, batch=64):
    # The first n articles warm the per-type caches, as the first minutes of
    # an index run do; the next n are timed, in batches of 64 as indexing
    # recognises them (extract_entities_many, see indexer.segments).
    texts = list(articles(2 * n))
    for start in range(0, n, batch):
        extract_entities_many(texts[start:min(start + batch, n)])
    texts = texts[n:]
    # CPU time of this process: the budget is per core, and a shared
    # machine's wall clock counts other people's work.
    per_article, total = [], 0.0
    for start in range(0, len(texts), batch):
        chunk = texts[start:start + batch]
        t0 = time.process_time()
        extract_entities_many(chunk)
        spent = time.process_time() - t0
        total += spent
        per_article.append(spent / len(chunk))
    tokens = sum(len(tokenize(t)) for t in texts)
    tok_counts = sorted(len(tokenize(t)) for t in texts)
    print(f"\nSpeed on {len(texts)} SaudiNewsNet articles (median {tok_counts[len(texts) // 2]} tokens, "
          f"mean {tokens / len(texts):.0f}), in batches of {batch}:")
    print(f"median batch {statistics.median(per_article) * 1000:.2f} ms/article (CPU), "
          f"mean {total / len(texts) * 1000:.2f} ms/article, {tokens / total:,.0f} tokens/s, "
          f"total {total:.1f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", type=lambda s: [int(x) for x in s.split(",")],
                        help="score only these folds (e.g. 0,1), for quick comparisons")
    parser.add_argument("--workers", type=int, default=min(5, os.cpu_count() or 1))
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--models", metavar="DIR",
                        help="keep the fold models in DIR and reuse them on later runs "
                             "(rule changes only: retrain after a gazetteer change)")
    parser.add_argument("--retrain", action="store_true", help="train a fresh model for AQMAR")
    parser.add_argument("--skip-aqmar", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    if not require(ANERCORP):
        return
    if not args.skip_cv:
        cross_validate(args.folds, args.workers, args.only, args.models)
    if not args.skip_aqmar and require(AQMAR):
        evaluate_aqmar(args.retrain)
    if not args.skip_speed and require(SAUDINEWSNET):
        speed(args.articles)


if __name__ == "__main__":
    main()
