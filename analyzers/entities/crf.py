"""The statistical name recogniser: CRF features, training and tagging.

A linear-chain CRF (python-crfsuite) tags tokens with ANERcorp's BIO labels
(PERS, ORG, LOC, MISC).  Each token is described by features of its word
type only, so they are computed once per type and cached:

* the normalized word, its form without article or clitics, prefixes and
  suffixes (Arabic marks gender, number and clitics at the edges);
* its distributional cluster at three granularities, learned from
  SaudiNewsNet (``data/clusters.tsv.gz``): the lever for names the labelled
  data never saw;
* gazetteer flags: given name, title or role trigger (اللواء، وزير، المتحدث),
  organisation head noun (وزارة، حزب), generic complement, reporting verb,
  country word, known actor word.

A token's feature list is its own features plus those of its neighbours at
-2..+2 under an offset prefix, so tagging a document is list concatenation
and one call into crfsuite.
"""

import gzip
import threading
from functools import lru_cache

import numpy as np
import pycrfsuite

from analyzers.entities import gazetteer
from analyzers.entities.resources import FIRST_NAMES, TRIGGERS, data_path
from analyzers.entities.tokens import NEWLINE, bare, clitic_variants, normalize_tokens

MODEL = "ner.crfsuite"
CLUSTERS = "clusters.tsv.gz"

SENTENCE_END = frozenset(".!?؟")
# Punctuation that is a token of its own; anything else non-alphabetic is
# classed by shape.
PUNCT = frozenset(".,،:;؛!?؟()[]{}\"'«»-–—/…")

# Neighbour offsets and which of their features a token sees.
CONTEXT = (-2, -1, 1, 2)
# Word types whose summed scores are kept, 180 bytes each (SaudiNewsNet has
# about 400k types); beyond that a text's new types are scored afresh.
TYPE_CACHE = 1 << 18
BIGRAM = "w-1|c0="

TRAIN_PARAMS = {
    "c1": 0.05,           # L1 keeps the model small and drops noisy word features
    "c2": 0.01,
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


@lru_cache(maxsize=1)
def clusters():
    """Return ``{word: (fine, mid, coarse)}`` cluster ids as strings ({} if absent)."""
    path = data_path(CLUSTERS)
    if not path.is_file():
        return {}
    parents = []
    table = {}
    with gzip.open(path.open("rb"), "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#parents"):
                parents.append([int(x) for x in line.split()[2:]])
            elif not line.startswith("#"):
                word, fine = line.rstrip("\n").split("\t")
                table[word] = int(fine)
    out = {}
    for word, fine in table.items():
        ids = [fine]
        for level in parents:
            ids.append(level[ids[-1]])
        out[word] = tuple(str(i) for i in ids)
    return out


def _cluster(norm):
    table = clusters()
    if norm in table:
        return table[norm]
    for form, _ in clitic_variants(norm)[1:]:
        if form in table:
            return table[form]
    return None


def _gazetteer_flags(norm):
    """Yield the names of the word lists ``norm`` (or a clitic-free form) is in."""
    forms = [f for f, _ in clitic_variants(norm)]
    for name, words in _GAZ_FLAGS:
        if any(f in words for f in forms):
            yield name
    if any(f in gazetteer.country_words() for f in forms):
        yield "country"
    if any(f in gazetteer.actor_words() for f in forms):
        yield "actor"


def _shape(norm):
    if norm.isdigit():
        return "digit"
    if norm in PUNCT or not any(ch.isalnum() for ch in norm):
        return "punct"
    if norm.isascii():
        return "latin"
    return "word" if len(norm) > 3 else f"short{len(norm)}"


@lru_cache(maxsize=1 << 17)
def type_features(norm):
    """Return ``(own, {offset: neighbour features}, fine cluster)`` for one word type."""
    b = bare(norm)
    shape = _shape(norm)
    own = [
        "bias",
        "w=" + norm,
        "b=" + b,
        "shape=" + shape,
        "p2=" + norm[:2],
        "p3=" + norm[:3],
        "s1=" + norm[-1:],
        "s2=" + norm[-2:],
        "s3=" + norm[-3:],
        "bs2=" + b[-2:],
        "art=" + str(norm != b),
    ]
    cl = _cluster(norm)
    if cl:
        own += ["c0=" + cl[0], "c1=" + cl[1], "c2=" + cl[2]]
    else:
        own.append("c=none")
    flags = list(_gazetteer_flags(norm))
    own += ["g=" + f for f in flags]
    near = ["w=" + norm, "shape=" + shape] + ["g=" + f for f in flags]
    if cl:
        near += ["c1=" + cl[1], "c0=" + cl[0]]
    far = ["w=" + norm] + ["g=" + f for f in flags]
    if cl:
        far.append("c2=" + cl[2])
    context = {}
    for off in CONTEXT:
        feats = near if abs(off) == 1 else far
        context[off] = [f"{off}:{f}" for f in feats]
    return own, context, cl[0] if cl else "none"


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
    a sentence's emission scores are then a few array additions, and
    Viterbi runs over the nine labels.  The result equals crfsuite's.
    Immutable after construction, so threads can share it.
    """

    def __init__(self, model_path):
        tagger = pycrfsuite.Tagger()
        tagger.open(str(model_path))
        info = tagger.info()
        self.labels = sorted(info.labels, key=lambda label: int(info.labels[label]))
        index = {label: i for i, label in enumerate(self.labels)}
        size = len(self.labels)
        self.weights = {}
        for (attr, label), weight in info.state_features.items():
            vec = self.weights.get(attr)
            if vec is None:
                vec = self.weights[attr] = np.zeros(size)
            vec[index[label]] = weight
        self.transitions = np.zeros((size, size))
        for (a, b), weight in info.transitions.items():
            self.transitions[index[a], index[b]] = weight
        self._zero = np.zeros(size)
        self._edges = {off: self._sum(_EDGE[off]) for off in CONTEXT}
        # "w-1|c0=<previous word>|<cluster>" weights, keyed by the pair.
        self.bigrams = {}
        for attr, vec in self.weights.items():
            if attr.startswith(BIGRAM):
                prev, fine = attr[len(BIGRAM):].rsplit("|", 1)
                self.bigrams[(prev, fine)] = vec
        self._ids = {}
        self._fines = []
        self._matrix = np.zeros((1024, 1 + len(CONTEXT), size), dtype=np.float32)
        self._lock = threading.Lock()

    def _sum(self, feats):
        vec = self._zero.copy()
        for f in feats:
            w = self.weights.get(f)
            if w is not None:
                vec += w
        return vec

    def _type_ids(self, norms):
        """Return row indexes into ``self._matrix`` for ``norms``, adding new types."""
        ids = self._ids
        missing = [x for x in set(norms) if x not in ids]
        if missing and len(ids) + len(missing) > TYPE_CACHE:
            # A full registry (a huge, noisy vocabulary): score the rare
            # types afresh in a scratch registry instead of growing forever.
            scratch = Recogniser.__new__(Recogniser)
            scratch.__dict__.update(self.__dict__)
            scratch._ids, scratch._fines = {}, []
            scratch._matrix = np.zeros_like(self._matrix[:1024])
            scratch._lock = threading.Lock()
            self._scratch = scratch
            return None
        if missing:
            with self._lock:
                for norm in missing:
                    if norm in ids:
                        continue
                    own, context, _ = type_features(norm)
                    rows = np.stack([self._sum(own)] + [self._sum(context[off]) for off in CONTEXT])
                    row = len(ids)
                    if row >= len(self._matrix):
                        # Grow into a new array: readers keep the old one,
                        # whose rows they already use, valid.
                        grown = np.zeros((2 * len(self._matrix),) + self._matrix.shape[1:], dtype=np.float32)
                        grown[:row] = self._matrix[:row]
                        self._matrix = grown
                    self._matrix[row] = rows
                    self._fines.append(_fine(norm))
                    ids[norm] = row  # published last, once the row is written
        return np.fromiter((ids[x] for x in norms), dtype=np.intp, count=len(norms))

    def tag(self, norms):
        """Return one BIO tag per normalized token.

        All sentences of the text are scored and decoded together: emissions
        in one pass over the tokens, Viterbi over a (sentences x labels)
        array, one step per position of the longest sentence.
        """
        tags = ["O"] * len(norms)
        sents = list(split_sentences(norms))
        if not sents:
            return tags
        positions = [i for start, end in sents for i in range(start, end)]
        words = [norms[i] for i in positions]
        lengths = np.array([end - start for start, end in sents])
        sid = np.repeat(np.arange(len(sents)), lengths)
        offset = np.arange(len(words)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        ids = self._type_ids(words)
        owner = self
        if ids is None:
            owner = self._scratch
            ids = owner._type_ids(words)
        matrix = owner._matrix
        per = matrix[ids]                                # m x 5 x L
        emit = per[:, 0].copy()
        m = len(words)
        idx = np.arange(m)
        for row, off in enumerate(CONTEXT, start=1):
            j = np.clip(idx + off, 0, m - 1)
            inside = (idx + off >= 0) & (idx + off < m) & (sid[j] == sid)
            emit += np.where(inside[:, None], per[j, row], self._edges[off])
        bigrams = self.bigrams
        fines = owner._fines
        for t in range(1, m):
            if offset[t]:
                w = bigrams.get((words[t - 1], fines[ids[t]]))
                if w is not None:
                    emit[t] += w
        labels = self._viterbi(emit, sid, offset, lengths)
        for i, label in zip(positions, labels):
            tags[i] = self.labels[label]
        return tags

    def _viterbi(self, emit, sid, offset, lengths):
        n_sent, longest, size = len(lengths), int(lengths.max()), len(self.labels)
        grid = np.zeros((n_sent, longest, size))
        grid[sid, offset] = emit
        score = grid[:, 0]
        back = np.zeros((longest, n_sent, size), dtype=np.intp)
        trans = self.transitions[None]
        for t in range(1, longest):
            cand = score[:, :, None] + trans              # S x from x to
            back[t] = cand.argmax(axis=1)
            live = (lengths > t)[:, None]
            score = np.where(live, cand.max(axis=1) + grid[:, t], score)
        path = np.zeros((n_sent, longest), dtype=np.intp)
        cur = score.argmax(axis=1)
        rows = np.arange(n_sent)
        for t in range(longest - 1, 0, -1):
            live = lengths > t
            path[live, t] = cur[live]
            cur = np.where(live, back[t, rows, cur], cur)
        path[:, 0] = cur
        return path[sid, offset]


def _fine(norm):
    return type_features(norm)[2]


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
    """
    out = []
    start = kind = None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, this = tag.partition("-")
        if kind is not None and (prefix != "I" or this != kind):
            out.append((start, i, kind))
            kind = None
        if prefix == "B" or (prefix == "I" and kind is None):
            start, kind = i, this
    return out
