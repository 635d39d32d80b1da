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
            feats.append("w-1|c0=" + norms[i - 1] + "|" + fine)
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
    """A loaded CRF; one tagger per thread, since crfsuite's is stateful."""

    def __init__(self, model_path):
        self.model_path = str(model_path)
        self._local = threading.local()

    def _tagger(self):
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            tagger = pycrfsuite.Tagger()
            tagger.open(self.model_path)
            self._local.tagger = tagger
        return tagger

    def tag(self, norms):
        """Return one BIO tag per normalized token."""
        tagger = self._tagger()
        tags = ["O"] * len(norms)
        for start, end in split_sentences(norms):
            tags[start:end] = tagger.tag(sentence_features(norms[start:end]))
        return tags


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
