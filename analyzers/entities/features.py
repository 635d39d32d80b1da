"""The CRF's features of a word type, from one template table.

Each token is described by features of its word type only, so they are
computed once per type and cached:

* the normalized word, its form without article or clitics, prefixes and
  suffixes (Arabic marks gender, number and clitics at the edges);
* its distributional clusters, learned from SaudiNewsNet: PPMI clusters
  at three granularities (``data/clusters.tsv.gz``) and word2vec clusters
  at three more (``data/embedding_clusters.tsv.gz``), the lever for names
  the labelled data never saw;
* gazetteer flags: given name, title or role trigger (اللواء، وزير، المتحدث),
  organisation head noun (وزارة، حزب), generic complement, reporting verb,
  country word, known actor word.

The templates are one table, :data:`TEMPLATES`, in groups whose features
all follow from one key of the word type (a prefix of three letters fixes
the prefix of two).  Training writes each group's features
(:func:`own_features`); the decoder (:mod:`analyzers.entities.crf`) sums
each group's weights once per key, so both read the same table.

A token's feature list is its own features plus those of its neighbours at
-2..+2 under an offset prefix (:func:`sentence_features`), so tagging a
document is list concatenation and one call into crfsuite.
"""

import gzip
from dataclasses import dataclass
from functools import lru_cache

from analyzers.entities import gazetteer
from analyzers.entities.resources import FIRST_NAMES, TRIGGERS, data_path
from analyzers.entities.tokens import NEWLINE, bare, clitic_closure, clitic_variants

CLUSTERS = "clusters.tsv.gz"
EMBEDDING_CLUSTERS = "embedding_clusters.tsv.gz"

SENTENCE_END = frozenset(".!?؟")
# Punctuation that is a token of its own; anything else non-alphabetic is
# classed by shape.
PUNCT = frozenset(".,،:;؛!?؟()[]{}\"'«»-–—/…")

# Neighbour offsets and which of their features a token sees.
CONTEXT = (-2, -1, 1, 2)
BIGRAM = "w-1|c0="

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


def word_clusters(norm):
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


def gazetteer_flags(norm):
    """Return the names of the word lists ``norm`` (or a clitic-free form) is in."""
    if norm not in flag_words():
        return []  # most words: one look-up
    index = _flag_index()
    found = set()
    for form, _ in clitic_variants(norm):
        found.update(index.get(form, ()))
    return sorted(found)


@lru_cache(maxsize=1)
def flag_words():
    """Every word that may carry a gazetteer flag, clitics and all."""
    return clitic_closure(_flag_index())


def shape(norm):
    if not norm.isalpha() or norm in PUNCT:   # most words skip both tests
        if norm.isdigit():
            return "digit"
        if norm in PUNCT or not any(map(str.isalnum, norm)):
            return "punct"
    if norm.isascii():
        return "latin"
    return "word" if len(norm) > 3 else f"short{len(norm)}"


@dataclass(frozen=True)
class WordType:
    """What the templates read of a normalized word type."""

    norm: str
    bare: str
    clusters: tuple | None     # PPMI cluster path (fine, mid, coarse)
    embedding: tuple | None    # word2vec cluster path


def word_type(norm):
    cl, ec = word_clusters(norm)
    return WordType(norm, bare(norm), cl, ec)


def cluster_features(name, path):
    """Features of a cluster path (fine, mid, coarse ids) or of none."""
    if not path:
        return [name + "=none"]
    return [f"{name}{level}={cluster}" for level, cluster in enumerate(path)]


def _flag_features(norm):
    return ["g=" + f for f in gazetteer_flags(norm)] if norm is not None else []


# The feature templates: (group, key of a WordType, the group's features
# for a key).  Every feature of a group follows from its key, so the
# decoder sums a group's weights once per key.  The word2vec clusters (a
# wider window than the PPMI ones, so more topical) add ORG recall.
TEMPLATES = (
    ("word", lambda w: w.norm, lambda k: ["w=" + k]),
    ("bare", lambda w: w.bare, lambda k: ["b=" + k]),
    ("prefix", lambda w: w.norm[:3], lambda k: ["p2=" + k[:2], "p3=" + k]),
    ("suffix", lambda w: w.norm[-3:], lambda k: ["s1=" + k[-1:], "s2=" + k[-2:], "s3=" + k]),
    ("bare suffix", lambda w: w.bare[-2:], lambda k: ["bs2=" + k]),
    ("fixed", lambda w: (shape(w.norm), w.norm != w.bare),
     lambda k: ["bias", "shape=" + k[0], "art=" + str(k[1])]),
    ("ppmi clusters", lambda w: w.clusters, lambda k: cluster_features("c", k)),
    # Most words are on no list: their key is None, and they have no flags.
    ("gazetteers", lambda w: w.norm if w.norm in flag_words() else None, _flag_features),
    ("embedding clusters", lambda w: w.embedding, lambda k: cluster_features("e", k)),
)


def own_features(norm):
    """Return ``(features, fine cluster)`` of one word type at its own position."""
    w = word_type(norm)
    own = [f for _, key, features in TEMPLATES for f in features(key(w))]
    return own, w.clusters[0] if w.clusters else "none"


# Which of its own features a word shows to a neighbour at distance 1 and 2,
# by template (the text before "="); neighbours see only the coarser two
# word2vec levels.
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
