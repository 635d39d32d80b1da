"""The statistical name recogniser: CRF features, training and tagging.

A linear-chain CRF (python-crfsuite) tags tokens with ANERcorp's BIO labels
(PERS, ORG, LOC, MISC).  Each token is described by features of its word
type only, so they are computed once per type and cached:

* the normalized word, its form without article or clitics, prefixes and
  suffixes (Arabic marks gender, number and clitics at the edges);
* its distributional clusters, learned from SaudiNewsNet: PPMI clusters
  at three granularities (``data/clusters.tsv.gz``) and word2vec clusters
  at three more (``data/embedding_clusters.tsv.gz``), the lever for names
  the labelled data never saw;
* gazetteer flags: given name, title or role trigger (اللواء، وزير، المتحدث),
  organisation head noun (وزارة، حزب), generic complement, reporting verb,
  country word, known actor word.

A token's feature list is its own features plus those of its neighbours at
-2..+2 under an offset prefix, so tagging a document is list concatenation
and one call into crfsuite.
"""

import gzip
import lzma
import re
import tempfile
import threading
from pathlib import Path
from functools import lru_cache
from types import SimpleNamespace

import numpy as np
import pycrfsuite

from analyzers.entities import gazetteer
from analyzers.entities.resources import FIRST_NAMES, TRIGGERS, data_path
from analyzers.entities.tokens import NEWLINE, bare, clitic_closure, clitic_variants, normalize_tokens

# The packaged model, xz-compressed (crfsuite's format is mostly zeros):
# 0.9 MB instead of 2.9.
MODEL = "ner.crfsuite.xz"
CLUSTERS = "clusters.tsv.gz"
EMBEDDING_CLUSTERS = "embedding_clusters.tsv.gz"

SENTENCE_END = frozenset(".!?؟")
# Punctuation that is a token of its own; anything else non-alphabetic is
# classed by shape.
PUNCT = frozenset(".,،:;؛!?؟()[]{}\"'«»-–—/…")

# Neighbour offsets and which of their features a token sees.
CONTEXT = (-2, -1, 1, 2)
# Word types whose summed scores are kept, 180 bytes each: all of
# SaudiNewsNet's 261k.  Beyond that a text's new types are scored afresh on
# each call (with 2^17, extraction over the whole corpus took 83 s, not 65).
TYPE_CACHE = 1 << 18
# New types are scored this many at a time (bounds the gathered rows).
REGISTER_CHUNK = 4096
BIGRAM = "w-1|c0="
# Cluster ids are small integers (0: none), so (previous word, cluster)
# pairs pack into one integer key.
FINE_IDS = 1 << 16
# Emission margin (O over any other label) beyond which a token is taken
# as O without Viterbi: see Recogniser._decode.  None decodes exactly.
O_MARGIN = 10.0
# Chains Viterbi decodes side by side (bounds its score grids).
VITERBI_GROUP = 1024
# The registry's per-type arrays and their fill values.
TABLES = (("_matrix", 0), ("_fine", 0), ("_prev", -1), ("_kind", 0))
# Token kinds the tagger needs per type: a sentence-final mark, a newline.
END_KIND, NEWLINE_KIND = 1, 2

TRAIN_PARAMS = {
    "c1": 0.05,           # L1 keeps the model small and drops noisy word features
    # More L2 than the first 0.01: with the embedding clusters, 5-fold CV
    # scored better at 0.1 (see bench/results/entities.md).
    "c2": 0.1,
    "max_iterations": 200,
    "feature.possible_transitions": True,
    "feature.minfreq": 1,
}

_GAZ_FLAGS = (
    ("first", FIRST_NAMES),
    ("title", TRIGGERS["person"]),
    ("role", TRIGGERS["role"]),
    ("orghead", TRIGGERS["org"]),
    ("generic", TRIGGERS["generic"]),
    ("speech", TRIGGERS["speech"]),
)


def clusters(name=CLUSTERS):
    """Return ``{word: (fine, mid, coarse)}`` cluster ids as strings from
    data file ``name`` ({} if absent)."""
    # One cache entry per file, however the name is passed: a bounded
    # lru_cache keyed on call arguments would reload files in turn.
    return _read_clusters(name)


@lru_cache(maxsize=None)
def _read_clusters(name):
    path = data_path(name)
    if not path.is_file():
        return {}
    with gzip.open(path.open("rb"), "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    # "#parents" lines map each level's ids to the next coarser level's;
    # the other lines are "word<TAB>fine id", or comments.  Every worker
    # process reads this, so it is parsed in bulk.
    parents = [[int(x) for x in line.split()[2:]] for line in lines if line.startswith("#parents")]
    table = dict(line.split("\t") for line in lines if line and not line.startswith("#"))
    # One shared tuple per fine cluster, not one per word: a third of the memory.
    paths = {}
    for fine in set(table.values()):
        ids = [int(fine)]
        for level in parents:
            ids.append(level[ids[-1]])
        paths[fine] = tuple(str(i) for i in ids)
    return {word: paths[fine] for word, fine in table.items()}


def _clusters(norm):
    """Return the cluster paths of ``norm`` (or of its first clitic-free
    form in each table) in the PPMI and the word2vec tables, None where
    neither has it; clitics are peeled once for both."""
    c_table, e_table = clusters(CLUSTERS), clusters(EMBEDDING_CLUSTERS)
    cl, ec = c_table.get(norm), e_table.get(norm)
    if cl is None or ec is None:
        for form, _ in clitic_variants(norm)[1:]:
            if cl is None:
                cl = c_table.get(form)
            if ec is None:
                ec = e_table.get(form)
            if cl is not None and ec is not None:
                break
    return cl, ec


@lru_cache(maxsize=1)
def _flag_index():
    """Return ``{word: (flag, ...)}`` over every gazetteer the features name."""
    index = {}
    tables = _GAZ_FLAGS + (("country", gazetteer.country_words()), ("actor", gazetteer.actor_words()))
    for name, words in tables:
        for word in words:
            index.setdefault(word, []).append(name)
    return {word: tuple(flags) for word, flags in index.items()}


def _gazetteer_flags(norm):
    """Return the names of the word lists ``norm`` (or a clitic-free form) is in."""
    if norm not in _flag_words():
        return []  # most words: one look-up
    index = _flag_index()
    found = set()
    for form, _ in clitic_variants(norm):
        found.update(index.get(form, ()))
    return sorted(found)


@lru_cache(maxsize=1)
def _flag_words():
    """Every word that may carry a gazetteer flag, clitics and all."""
    return clitic_closure(_flag_index())


def _shape(norm):
    if not norm.isalpha() or norm in PUNCT:   # most words skip both tests
        if norm.isdigit():
            return "digit"
        if norm in PUNCT or not any(map(str.isalnum, norm)):
            return "punct"
    if norm.isascii():
        return "latin"
    return "word" if len(norm) > 3 else f"short{len(norm)}"


# Every value _shape returns (a type is never empty).
SHAPES = ("digit", "punct", "latin", "word", "short1", "short2", "short3")


def _template_values(base_row):
    """Return ``{template: [value, ...]}`` of the model's ``template=value`` features."""
    out = {}
    for feature in base_row:
        if feature:
            template, sep, value = feature.partition("=")
            if sep:
                out.setdefault(template, []).append(value)
    return out


def own_features(norm):
    """Return ``(features, fine cluster)`` of one word type at its own position."""
    # The word2vec clusters (a wider window than the PPMI ones, so more
    # topical) add ORG recall; neighbours see only the coarser two levels.
    cl, ec = _clusters(norm)
    own = _word_features(norm) + _cluster_features("c", cl) + _flag_features(norm) + _cluster_features("e", ec)
    return own, cl[0] if cl else "none"


def _word_features(norm):
    b = bare(norm)
    return [
        "bias",
        "w=" + norm,
        "b=" + b,
        "shape=" + _shape(norm),
        "p2=" + norm[:2],
        "p3=" + norm[:3],
        "s1=" + norm[-1:],
        "s2=" + norm[-2:],
        "s3=" + norm[-3:],
        "bs2=" + b[-2:],
        "art=" + str(norm != b),
    ]


def _cluster_features(name, path):
    """Features of a cluster path (fine, mid, coarse ids) or of none."""
    if not path:
        return [name + "=none"]
    return [f"{name}{level}={cluster}" for level, cluster in enumerate(path)]


def _flag_features(norm):
    return ["g=" + f for f in _gazetteer_flags(norm)]


# Which of its own features a word shows to a neighbour at distance 1 and 2,
# by template (the text before "=").
NEAR = frozenset({"w", "shape", "g", "c1", "c0", "e1", "e2"})
FAR = frozenset({"w", "g", "c2", "e2"})


def _template(feature):
    return feature.partition("=")[0]


@lru_cache(maxsize=1 << 14)
def type_features(norm):
    """Return ``(own, {offset: neighbour features}, fine cluster)`` for one word type."""
    own, fine = own_features(norm)
    near = [f for f in own if _template(f) in NEAR]
    far = [f for f in own if _template(f) in FAR]
    context = {off: [f"{off}:{f}" for f in (near if abs(off) == 1 else far)] for off in CONTEXT}
    return own, context, fine


_EDGE = {off: [f"{off}:edge"] for off in CONTEXT}


def sentence_features(norms):
    """Return crfsuite's feature lists for one sequence of normalized tokens."""
    types = [type_features(n) for n in norms]
    n = len(types)
    out = []
    for i, (own, _, fine) in enumerate(types):
        feats = list(own)
        for off in CONTEXT:
            j = i + off
            feats += types[j][1][off] if 0 <= j < n else _EDGE[off]
        if i:
            # The bigram of the previous word and this one's cluster
            # generalises "اللواء <name>" to unseen names.
            feats.append(BIGRAM + norms[i - 1] + "|" + fine)
        out.append(feats)
    return out


def split_sentences(tokens):
    """Yield ``(start, end)`` spans of ``tokens`` ending at sentence-final
    marks; newline tokens end a span and belong to none."""
    start = 0
    for i, tok in enumerate(tokens):
        if tok == NEWLINE:
            if i > start:
                yield start, i
            start = i + 1
        elif tok in SENTENCE_END:
            yield start, i + 1
            start = i + 1
    if start < len(tokens):
        yield start, len(tokens)


def read_conll(path, tag_map=None):
    """Read a ``token TAG`` file into sentences of ``(token, tag)`` pairs.

    Blank lines and sentence-final punctuation end a sentence.  ``tag_map``
    rewrites entity types (AQMAR's PER -> PERS); unknown tags become O.
    """
    sentences, current = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts:
                if current:
                    sentences.append(current)
                    current = []
                continue
            if len(parts) == 1:
                continue  # a tag without its token
            token, tag = parts[0], parts[-1]
            current.append((token, _map_tag(tag, tag_map)))
            if token in SENTENCE_END:
                sentences.append(current)
                current = []
    if current:
        sentences.append(current)
    return sentences


def _map_tag(tag, tag_map):
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, kind = tag.split("-", 1)
    if tag_map is not None:
        kind = tag_map.get(kind, kind)
    if prefix not in ("B", "I") or kind not in ("PERS", "ORG", "LOC", "MISC"):
        return "O"
    return f"{prefix}-{kind}"


def train(sentences, model_path, params=None):
    """Train a CRF on ``(token, tag)`` sentences and write it to ``model_path``."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for sent in sentences:
        tokens = [t for t, _ in sent]
        trainer.append(sentence_features(normalize_tokens(tokens)), [tag for _, tag in sent])
    trainer.set_params({**TRAIN_PARAMS, **(params or {})})
    trainer.train(str(model_path))


class Recogniser:
    """A trained CRF, decoded in numpy from its weights.

    crfsuite's own tagger converts every feature string on every call, which
    costs about 1.5 us a feature (30 ms an article).  Features here depend
    on word types only, so each type's weights are summed once into one
    score vector per position (own, and seen from each neighbour offset);
    a text's emission scores are then a few array gathers and additions,
    and Viterbi runs over the nine labels for all sentences at once.  The
    result equals crfsuite's (up to float32 ties, and the O shortcut of
    :meth:`_decode`).  :meth:`spans_many` tags many documents in one call,
    which is how indexing uses it: numpy's per-call costs then fall on a
    batch, not on each article.  Immutable after construction, except for
    the per-type registry, which only grows (up to TYPE_CACHE types) and
    publishes a type last, so threads can share it.
    """

    def __init__(self, model_path):
        info = model_info(open_tagger(model_path))
        self.labels = sorted(info.labels, key=lambda label: int(info.labels[label]))
        self._names = np.array(self.labels, dtype=object)
        self._o = self.labels.index("O") if "O" in self.labels else None
        index = {label: i for i, label in enumerate(self.labels)}
        size = len(self.labels)
        # Every state feature is a word's own feature, seen at its own
        # position (slot 0) or from a neighbour at CONTEXT[k] (slot k + 1),
        # except the bigram.  Fold the slots of one base feature together:
        # a type's scores are then the sum of one row per own feature.
        slots = {off: k for k, off in enumerate(CONTEXT, start=1)}
        base_row = {None: 0}                     # row 0: zeros, for padding
        cells, pairs = [], {}
        for (attr, label), weight in info.state_features.items():
            if attr.startswith(BIGRAM):
                prev, fine = attr[len(BIGRAM):].rsplit("|", 1)
                key = (prev, _fine_id(fine))
                pairs.setdefault(key, np.zeros(size, dtype=np.float32))[index[label]] = weight
                continue
            slot, base = 0, attr
            head, sep, rest = attr.partition(":")
            if sep and head.lstrip("-").isdigit() and int(head) in slots:
                slot, base = slots[int(head)], rest
            cells.append((base_row.setdefault(base, len(base_row)), slot, index[label], weight))
        self._base_row = base_row
        base = np.zeros((len(base_row), 1 + len(CONTEXT), size), dtype=np.float32)
        if cells:
            row, slot, label, weight = map(np.array, zip(*cells))
            base[row, slot, label] = weight
        # Features that follow from one value are summed once per value into
        # extra rows: a type's cluster features from its cluster path (keyed
        # by the fine id, which fixes the path; None: no cluster), its
        # prefixes from its first three letters, its suffixes from its last
        # three, and bias, shape and article together.
        sums = []

        def summed(features):
            sums.append(base[[base_row.get(f, 0) for f in features]].sum(axis=0))
            return len(base) + len(sums) - 1

        self._path_rows = {}
        self._fine_ids = {None: _fine_id("none")}
        self._fine_ids.update((path[0], _fine_id(path[0])) for path in clusters(CLUSTERS).values())
        for name, table in (("c", clusters(CLUSTERS)), ("e", clusters(EMBEDDING_CLUSTERS))):
            self._path_rows[name] = {
                path and path[0]: summed(_cluster_features(name, path))
                for path in {None} | set(table.values())
            }
        values = _template_values(base_row)
        # A prefix of three letters fixes the one of two, and a suffix of
        # three those of two and one; a value the model lacks falls back to
        # the shorter ones.
        self._prefix_rows = {v: summed(["p3=" + v, "p2=" + v[:2]]) for v in values.get("p3", ())}
        self._prefix2_rows = {v: base_row["p2=" + v] for v in values.get("p2", ())}
        self._suffix_rows = {v: summed(["s3=" + v, "s2=" + v[-2:], "s1=" + v[-1:]]) for v in values.get("s3", ())}
        self._suffix2_rows = {v: summed(["s2=" + v, "s1=" + v[-1:]]) for v in values.get("s2", ())}
        self._suffix1_rows = {v: base_row["s1=" + v] for v in values.get("s1", ())}
        self._fixed_rows = {
            (shape, art): summed(["bias", "shape=" + shape, "art=" + str(art)])
            for shape in SHAPES for art in (False, True)
        }
        self._word_rows = {v: base_row["w=" + v] for v in values.get("w", ())}
        self._bare_rows = {v: base_row["b=" + v] for v in values.get("b", ())}
        self._bare2_rows = {v: base_row["bs2=" + v] for v in values.get("bs2", ())}
        self._base = np.concatenate([base, np.array(sums, dtype=np.float32).reshape((-1,) + base.shape[1:])])
        self.transitions = np.zeros((size, size))
        for (a, b), weight in info.transitions.items():
            self.transitions[index[a], index[b]] = weight
        edge = self._base[base_row.get("edge", 0)]
        self._edges = edge[1:].copy()            # a neighbour past the sentence's edge
        # "w-1|c0=<previous word>|<cluster>" weights: a word that starts any
        # such feature gets a small id, and (id, cluster) pairs are looked
        # up as one sorted integer key per position.
        self._bigram_prev = {}
        for prev, _ in pairs:
            self._bigram_prev.setdefault(prev, len(self._bigram_prev))
        keys = np.array([self._bigram_prev[p] * FINE_IDS + f for p, f in pairs], dtype=np.int64)
        order = np.argsort(keys)
        self._bigram_keys = keys[order]
        self._bigram_vecs = np.array(list(pairs.values()), dtype=np.float32).reshape(-1, size)[order]
        self._ids = {}
        self._matrix = np.zeros((1024, 1 + len(CONTEXT), size), dtype=np.float32)
        # Per type row: its cluster id, its bigram-prefix id (-1: none), and
        # whether it ends a sentence or is a newline.
        self._fine = np.zeros(1024, dtype=np.int64)
        self._prev = np.full(1024, -1, dtype=np.int64)
        self._kind = np.zeros(1024, dtype=np.int8)
        self._lock = threading.Lock()
        self._add_types([NEWLINE])

    def _score_types(self, new):
        """Return the registry rows of the word types ``new``:
        ``SimpleNamespace(_matrix, _fine, _prev, _kind)``."""
        # One gather and one segmented sum per chunk of new types: a type
        # costs a dict look-up per feature template.
        get, c_rows, e_rows = self._base_row.get, self._path_rows["c"], self._path_rows["e"]
        prefix, prefix2 = self._prefix_rows.get, self._prefix2_rows.get
        suffix, suffix2, suffix1 = self._suffix_rows.get, self._suffix2_rows.get, self._suffix1_rows.get
        word, bare_word, bare2 = self._word_rows.get, self._bare_rows.get, self._bare2_rows.get
        fixed, fine_ids = self._fixed_rows, self._fine_ids
        flag_words = _flag_words()
        rows, starts, fines = [], [], []
        for norm in new:
            # The rows of own_features(norm), with the pre-summed ones for
            # what follows from one value; unknown features (row 0) left out.
            b = bare(norm)
            cl, ec = _clusters(norm)
            starts.append(len(rows))
            found = (
                word(norm), bare_word(b), prefix(norm[:3]) or prefix2(norm[:2]),
                suffix(norm[-3:]) or suffix2(norm[-2:]) or suffix1(norm[-1:]), bare2(b[-2:]),
            )
            rows.extend(filter(None, found))
            if norm in flag_words:
                rows.extend(filter(None, map(get, _flag_features(norm))))
            # Never empty: these rows always exist.
            rows += (fixed[_shape(norm), norm != b], c_rows[cl and cl[0]], e_rows[ec and ec[0]])
            fines.append(fine_ids[cl and cl[0]])
        starts.append(len(rows))
        scores = np.empty((len(new),) + self._base.shape[1:], dtype=np.float32)
        for lo in range(0, len(new), REGISTER_CHUNK):
            hi = min(lo + REGISTER_CHUNK, len(new))
            gathered = self._base[rows[starts[lo]:starts[hi]]]
            scores[lo:hi] = np.add.reduceat(gathered, np.subtract(starts[lo:hi], starts[lo]), axis=0)
        return SimpleNamespace(
            _matrix=scores,
            _fine=np.array(fines, dtype=np.int64),
            _prev=np.array([self._bigram_prev.get(norm, -1) for norm in new], dtype=np.int64),
            _kind=np.array(
                [NEWLINE_KIND if norm == NEWLINE else END_KIND if norm in SENTENCE_END else 0 for norm in new],
                dtype=np.int8,
            ),
        )

    def _add_types(self, missing):
        with self._lock:
            ids = self._ids
            new = [norm for norm in dict.fromkeys(missing) if norm not in ids]
            if not new:
                return
            scored = self._score_types(new)
            first = len(ids)
            end = first + len(new)
            if end > len(self._matrix):
                # Grow into new arrays: readers keep the old ones, whose
                # rows they already use, valid.
                grow = min(max(2 * len(self._matrix), end), max(TYPE_CACHE, end))
                for name, fill in TABLES:
                    setattr(self, name, _grown(getattr(self, name), grow, fill))
            for name, _ in TABLES:
                getattr(self, name)[first:end] = getattr(scored, name)
            for row, norm in enumerate(new, start=first):
                ids[norm] = row  # published last, once the rows are written

    def rows(self, norms):
        """Return the registry rows of ``norms``, registering the new ones.

        When the registry has no room for all of them (see :meth:`_registry`)
        none is added, and the new ones' rows are None.
        """
        missing = list(dict.fromkeys(x for x in norms if x not in self._ids))
        if missing and len(self._ids) + len(missing) <= TYPE_CACHE:
            self._add_types(missing)
        return list(map(self._ids.get, norms))

    def _registry(self, norms):
        """Return ``(tables, row ids)``: the arrays holding the rows of
        ``norms`` (the registry's own, new types added) and their indexes."""
        get = self._ids.get
        rows = list(map(get, norms))
        if None in rows:
            missing = [x for x in dict.fromkeys(norms) if get(x) is None]
            if len(self._ids) + len(missing) > TYPE_CACHE:
                # The registry is full (a huge, noisy vocabulary): this
                # call's types get tables of their own, the known ones'
                # rows copied, the new ones scored and forgotten.
                uniq = list(dict.fromkeys(norms))
                found = list(map(get, uniq))
                known = [(i, r) for i, r in enumerate(found) if r is not None]
                local = self._score_types([x for x, r in zip(uniq, found) if r is None])
                if known:
                    at, src = map(np.array, zip(*known))
                    fresh = np.setdiff1d(np.arange(len(uniq)), at)
                    tables = SimpleNamespace()
                    for name, fill in TABLES:
                        own, extra = getattr(self, name), getattr(local, name)
                        out = np.full((len(uniq),) + own.shape[1:], fill, dtype=own.dtype)
                        out[at] = own[src]
                        out[fresh] = extra
                        setattr(tables, name, out)
                    local = tables
                index = {x: i for i, x in enumerate(uniq)}
                return local, np.array([index[x] for x in norms], dtype=np.intp)
            self._add_types(missing)
            rows = list(map(self._ids.__getitem__, norms))
        return self, np.array(rows, dtype=np.intp)

    def tag(self, norms):
        """Return one BIO tag per normalized token.

        Sentences end at sentence-final marks and newlines (which are tagged
        O); all of them are scored and decoded together.
        """
        return self._names[self._best(norms)].tolist()

    def spans_many(self, docs, rows=None):
        """Return the CoNLL chunks (see :func:`spans`) of several documents
        (lists of normalized tokens).

        They are decoded in one call, newline-separated, which is exactly
        tagging each alone (sentences end at newlines) at a fraction of the
        per-call cost.  ``rows`` are the tokens' :meth:`rows` in this
        recogniser, none of them None, if the caller keeps them (a look-up
        per token saved).
        """
        joined, starts = [], []
        for norms in docs:
            starts.append(len(joined))
            joined.extend(norms)
            joined.append(NEWLINE)
        if rows is not None:
            newline = self._ids[NEWLINE]
            ids = []
            for doc in rows:
                ids.extend(doc)
                ids.append(newline)
            best = self._best(joined, (self, np.array(ids, dtype=np.intp)))
        else:
            best = self._best(joined)
        # Only the few tagged tokens are looked at in Python, all documents'
        # at once: the newline between two is never tagged, so no chunk runs
        # over it.
        if self._o is not None:
            tagged = np.flatnonzero(best != self._o)
        else:
            # A model without O tags every token: all but the separators.
            tagged = np.setdiff1d(np.arange(len(best)), np.array(starts[1:] + [len(joined)]) - 1)
        names = self.labels
        chunks = _chunks(tagged.tolist(), [names[x] for x in best[tagged].tolist()])
        out = [[] for _ in docs]
        doc_of = np.searchsorted(starts, [start for start, _, _ in chunks], side="right") - 1
        for (start, end, kind), doc in zip(chunks, doc_of.tolist()):
            out[doc].append((start - starts[doc], end - starts[doc], kind))
        return out

    def _best(self, norms, registered=None):
        """Return the best label index per token (O at newlines);
        ``registered`` is :meth:`_registry`'s answer, if known."""
        n = len(norms)
        if not n:
            return np.zeros(0, dtype=np.intp)
        owner, ids = registered or self._registry(norms)
        kind = owner._kind[ids]
        keep = kind != NEWLINE_KIND
        starts = np.empty(n, dtype=bool)
        starts[0] = True
        starts[1:] = kind[:-1] != 0          # after an end mark or a newline
        if not keep.all():
            positions = np.flatnonzero(keep)
            ids, starts = ids[positions], starts[positions]
        else:
            positions = None
        m = len(ids)
        out = np.full(n, self._o or 0, dtype=np.intp)
        if not m:
            return out
        sid = np.cumsum(starts) - 1
        matrix = owner._matrix                            # types x (1 + offsets) x L
        emit = matrix[ids, 0]
        neighbour = np.empty_like(ids)
        outside = np.empty(m, dtype=bool)
        for row, off in enumerate(CONTEXT, start=1):
            # Row ``row`` of the neighbour at offset ``off`` if it is in the
            # same sentence, else the sentence-edge weights.
            neighbour.fill(0)
            outside.fill(True)
            if off < 0:
                neighbour[-off:] = ids[:off]
                np.not_equal(sid[-off:], sid[:off], out=outside[-off:])
            else:
                neighbour[:-off] = ids[off:]
                np.not_equal(sid[:-off], sid[off:], out=outside[:-off])
            seen = matrix[neighbour, row]
            seen[outside] = self._edges[row - 1]
            emit += seen
        if len(self._bigram_keys) and m > 1:
            prev = owner._prev[ids[:-1]]
            cand = np.flatnonzero((prev >= 0) & ~starts[1:])
            if len(cand):
                keys = prev[cand] * FINE_IDS + owner._fine[ids[cand + 1]]
                at = np.searchsorted(self._bigram_keys, keys)
                at[at == len(self._bigram_keys)] = 0
                hit = self._bigram_keys[at] == keys
                emit[cand[hit] + 1] += self._bigram_vecs[at[hit]]
        best = self._decode(emit, starts)
        if positions is None:
            return best
        out[positions] = best
        return out

    def _decode(self, emit, starts):
        """Return the best label per position.

        Viterbi's steps are Python-level, one per position of the longest
        chain, so chains are first cut at tokens whose emission favours O
        over every other label by more than O_MARGIN: such a token is O on
        the best path in practice, though not provably (transitions could
        add more).  On 500 SaudiNewsNet articles a margin of 10 changed 49
        of 478k tags and cut tagging time by a quarter.  Each cut fixes O
        there, and its transitions move into the neighbours' scores.
        """
        if O_MARGIN is None or self._o is None:
            return self._viterbi(emit, starts)
        o = self._o
        gap = emit[:, o] - np.max(np.delete(emit, o, axis=1), axis=1)
        cut = gap > O_MARGIN
        if not cut.any():
            return self._viterbi(emit, starts)
        m = len(emit)
        emit = emit.copy()
        # A cut's successor in the same sentence starts a chain entered
        # from O; its predecessor ends a chain that leaves into O.
        after = np.flatnonzero(cut[:-1] & ~starts[1:] & ~cut[1:]) + 1
        emit[after] += self.transitions[o]
        before = np.flatnonzero(cut[1:] & ~starts[1:] & ~cut[:-1])
        emit[before] += self.transitions[:, o]
        keep = np.flatnonzero(~cut)
        best = np.full(m, o, dtype=np.intp)
        if len(keep):
            chain_start = starts.copy()
            chain_start[1:] |= cut[:-1]
            chain_start = chain_start[keep]
            best[keep] = self._viterbi(emit[keep], chain_start)
        return best

    def _viterbi(self, emit, starts):
        """Return the best label index per position.

        Chains are decoded in parallel, longest first, in groups of
        VITERBI_GROUP: the chains still running at step t are a prefix of
        their group, and a group of short chains costs few steps.
        """
        begin = np.flatnonzero(starts)
        lengths = np.diff(np.append(begin, len(emit)))
        order = np.argsort(-lengths, kind="stable")
        best = np.empty(len(emit), dtype=np.intp)
        trans = self.transitions.astype(np.float32)
        for lo in range(0, len(order), VITERBI_GROUP):
            group = order[lo:lo + VITERBI_GROUP]
            self._viterbi_group(emit, begin[group], lengths[group], trans, best)
        return best

    @staticmethod
    def _viterbi_group(emit, begin, lengths, trans, best):
        """Decode chains ``emit[begin[i]:begin[i] + lengths[i]]`` (lengths
        non-increasing) into ``best``; ``trans`` is the L x L float32
        transition matrix."""
        n_sent, longest, size = len(lengths), int(lengths[0]), emit.shape[1]
        # live[t]: how many chains are longer than t.
        live = np.searchsorted(-lengths, -np.arange(longest), side="left")
        chain = np.repeat(np.arange(n_sent), lengths)
        step = np.arange(len(chain)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        source = np.repeat(begin, lengths) + step
        # Step-major, so each step's rows are contiguous.
        grid = np.zeros((longest, n_sent, size), dtype=np.float32)
        grid[step, chain] = emit[source]
        score = grid[0].copy()
        back = np.zeros((longest, n_sent, size), dtype=np.int8)
        for t in range(1, longest):
            k = live[t]
            # Max-plus over the previous label, one label at a time: L passes
            # over k x L cost a third of argmax and max over a k x L x L
            # block.  Strictly greater keeps the first best, as argmax does.
            prev = score[:k]
            top = prev[:, :1] + trans[0]
            arg = back[t, :k]
            for j in range(1, size):
                cand = prev[:, j:j + 1] + trans[j]
                arg[cand > top] = j
                np.maximum(top, cand, out=top)
            score[:k] = top + grid[t, :k]
        path = np.zeros((n_sent, longest), dtype=np.intp)
        rows = np.arange(n_sent)
        cur = score.argmax(axis=1)
        for t in range(longest - 1, 0, -1):
            k = live[t]
            path[:k, t] = cur[:k]
            cur[:k] = back[t, rows[:k], cur[:k]]
        path[:, 0] = cur
        best[source] = path[chain, step]


def open_tagger(model_path):
    """Return crfsuite's tagger for a model file, xz-compressed (.xz) or not."""
    tagger = pycrfsuite.Tagger()
    path = str(model_path)
    if not path.endswith(".xz"):
        tagger.open(path)
        return tagger
    # open_inmemory keeps no reference to its buffer (a crash once freed);
    # crfsuite reads a file whole, so a temporary copy can go at once.
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "model.crfsuite"
        with lzma.open(path) as f:
            plain.write_bytes(f.read())
        tagger.open(str(plain))
    return tagger


_DUMP_SECTION = re.compile(r"^(LABELS|TRANSITIONS|STATE_FEATURES) = \{\n(.*?)^\}", re.M | re.S)
_DUMP_LABEL = re.compile(r"^[ \t]*(\d+): (.*)", re.M)
_DUMP_WEIGHT = re.compile(r"^[ \t]*\(\d+\) (.+) --> (.+): ([+-]?\d+\.\d+)", re.M)


def model_info(tagger):
    """Return what crfsuite's ``tagger.info()`` does (labels, transitions,
    state features), parsing the model's dump in bulk: info() parses it a
    line at a time, about a second for the packaged model, and every
    indexing worker loads the model."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.txt"
        tagger.dump(str(path))
        sections = dict(_DUMP_SECTION.findall(path.read_text("utf-8")))
    weights = {
        name: {(a, b): float(w) for a, b, w in _DUMP_WEIGHT.findall(sections.get(name, ""))}
        for name in ("TRANSITIONS", "STATE_FEATURES")
    }
    return SimpleNamespace(
        labels={name: number for number, name in _DUMP_LABEL.findall(sections.get("LABELS", ""))},
        transitions=weights["TRANSITIONS"],
        state_features=weights["STATE_FEATURES"],
    )


def compress_model(path):
    """Replace the model file ``path`` by ``path``.xz; return the new path."""
    path = Path(path)
    out = path.with_name(path.name + ".xz")
    out.write_bytes(lzma.compress(path.read_bytes(), preset=9))
    path.unlink()
    return out


def _grown(array, size, fill=0):
    out = np.full((size,) + array.shape[1:], fill, dtype=array.dtype)
    out[:len(array)] = array
    return out


def _fine_id(fine):
    return int(fine) + 1 if fine.isdigit() else 0


@lru_cache(maxsize=1)
def default_recogniser():
    """Return the packaged model, or None when it has not been built."""
    path = data_path(MODEL)
    if not path.is_file():
        return None
    return Recogniser(path)


def spans(tags):
    """Return CoNLL chunks ``[(start, end, type)]`` from BIO tags.

    As conlleval does, an I- tag that does not continue a chunk of its type
    starts a new chunk.

    >>> spans(["B-PERS", "I-PERS", "O", "I-ORG", "B-LOC", "B-LOC"])
    [(0, 2, 'PERS'), (3, 4, 'ORG'), (4, 5, 'LOC'), (5, 6, 'LOC')]
    """
    # Only tagged tokens matter; most are O.
    at = [i for i, tag in enumerate(tags) if tag != "O"]
    return _chunks(at, [tags[i] for i in at])


def _chunks(positions, tags):
    """Return chunks from the non-O ``tags`` at increasing ``positions``."""
    out = []
    start = kind = None
    last = -1
    for i, tag in zip(positions, tags):
        prefix, _, this = tag.partition("-")
        if kind is not None and (i != last + 1 or prefix != "I" or this != kind):
            out.append((start, last + 1, kind))
            kind = None
        if prefix == "B" or (prefix == "I" and kind is None):
            start, kind = i, this
        last = i
    if kind is not None:
        out.append((start, last + 1, kind))
    return out
