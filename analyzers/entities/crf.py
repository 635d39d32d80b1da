"""The CRF decoder: tags tokens with a trained model's weights, in numpy.

A linear-chain CRF (python-crfsuite) tags tokens with ANERcorp's BIO labels
(PERS, ORG, LOC, MISC).  Its features are those of :mod:`.features` (one
template table for training and tagging); training is in :mod:`.training`,
reading model files in :mod:`.crfmodel`, CoNLL chunks in :mod:`.conll`.
"""

import threading
from functools import lru_cache
from types import SimpleNamespace

import numpy as np

from analyzers.entities.conll import chunks as _chunks
from analyzers.entities.crfmodel import MODEL, model_info, open_tagger
from analyzers.entities.features import (
    BIGRAM, CONTEXT, SENTENCE_END, TEMPLATES, word_type,
)
from analyzers.entities.resources import data_path
from analyzers.entities.tokens import NEWLINE

# Word types whose summed scores are kept, 180 bytes each: all of
# SaudiNewsNet's 261k.  Beyond that a text's new types are scored afresh on
# each call (with 2^17, extraction over the whole corpus took 83 s, not 65).
TYPE_CACHE = 1 << 18
# New types are scored this many at a time (bounds the gathered rows).
REGISTER_CHUNK = 4096
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
        # Each template group's features follow from one key of the word
        # type (features.TEMPLATES): its weights are summed once per key,
        # into a row appended to _base, on first sight of the key.  A type's
        # scores are then the sum of one row per group.
        self._base = base
        self._rows = len(base)
        self._groups = [(key, features, {}) for _, key, features in TEMPLATES]
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
        # Guards the registry and _base, which scoring new types grows.
        self._lock = threading.RLock()
        self._add_types([NEWLINE])

    def _group_row(self, features):
        """The row of _base holding the summed weights of ``features``."""
        found = [self._base_row[f] for f in features if f in self._base_row]
        if not found:
            return 0
        if len(found) == 1:
            return found[0]
        if self._rows == len(self._base):
            # A few thousand group rows in all (prefixes, suffixes, cluster
            # paths, flag sets): grown in steps, not doubled (the base
            # weights are tens of MB in every worker).
            self._base = _grown(self._base, len(self._base) + max(4096, len(self._base) // 8))
        self._base[self._rows] = self._base[found].sum(axis=0)
        self._rows += 1
        return self._rows - 1

    def _score_types(self, new):
        """Return the registry rows of the word types ``new``:
        ``SimpleNamespace(_matrix, _fine, _prev, _kind)``."""
        # One row per template group and type (a dict look-up by the
        # group's key), then one gather and one segmented sum per chunk.
        with self._lock:
            groups = self._groups
            rows, starts, fines = [], [], []
            for norm in new:
                w = word_type(norm)
                starts.append(len(rows))
                for key_of, features, cache in groups:
                    key = key_of(w)
                    row = cache.get(key)
                    if row is None:
                        row = cache[key] = self._group_row(features(key))
                    if row:
                        rows.append(row)
                if len(rows) == starts[-1]:
                    rows.append(0)   # a type the model knows nothing of
                fines.append(_fine_id(w.clusters[0]) if w.clusters else 0)
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



