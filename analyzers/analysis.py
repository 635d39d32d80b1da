"""From words to index terms: one function, and the Whoosh analyzer built on it.

:func:`index_term` turns a surface word into the term it is indexed and
searched under (the rules live in :mod:`analyzers.normalize`,
:mod:`analyzers.stopwords` and :mod:`analyzers.stemmer`); every path that
needs terms goes through it: the Whoosh analyzer's one filter
(:class:`ArabicTermFilter`), the indexing fast path (:func:`term_positions`,
:func:`word_positions`), snippets and spelling suggestions.  Whoosh pickles
the analyzer into the index schema, so these class names and this module
path are part of the on-disk format: after moving one, rebuild the index.
"""

import hashlib
from functools import lru_cache
from importlib import resources
from itertools import compress, count, repeat
from operator import is_

from whoosh.analysis import Filter

from analyzers.normalize import normalize_token
from analyzers.stemmer import light_stem
from analyzers.stopwords import STOPWORDS
from analyzers.tokenizer import WORD_PATTERN, ArabicTokenizer


class ArabicTermFilter(Filter):
    """Replace each word with the term it is indexed under: :func:`index_term`.

    The whole per-word chain (normalize, drop stopwords, light-stem) is one
    function, so this analyzer (query parsing, Whoosh's highlighter) and the
    indexing fast path (:func:`term_positions`, the recogniser's tokens,
    snippets, spelling suggestions) cannot drift apart.  With ``stem=False``
    words are normalized but not stemmed (:func:`exact_term`).

    Like ``StopFilter(renumber=True)``, positions close the gaps stopwords
    leave, so a phrase matches across them the same way at index and query
    time ("تبادل في المعلومات" finds "تبادل المعلومات").  With
    ``removestops=False`` a stopword stays, marked ``stopped``; a token that
    is nothing but marks (a lone tatweel run, a stray direction mark)
    normalizes to nothing and is always dropped.  Only ``text`` changes:
    ``startchar``/``endchar`` keep pointing at the original spelling.
    """

    def __init__(self, stem=True):
        self.stem = stem

    def __eq__(self, other):
        return other and self.__class__ is other.__class__ and self.stem == other.stem

    def __call__(self, tokens):
        term_of = index_term if self.stem else exact_term
        pos = None
        for t in tokens:
            term = term_of(t.text)
            if term is None:
                if not t.removestops and normalize_token(t.text):
                    t.stopped = True
                    yield t
                continue
            t.text = term
            t.stopped = False
            if t.positions:
                # StopFilter's renumbering: the first kept word keeps its
                # own position and the others count on from there.
                pos = t.pos if pos is None else pos + 1
                t.pos = pos
            yield t


def arabic_analyzer(stem=True):
    """Return the archive's analyzer, the same at index and query time.

    ArabicTokenizer | ArabicTermFilter

    The only query-only step, spelling-variant expansion, runs on parsed
    queries (see :mod:`analyzers.variants`), not here.
    """
    return ArabicTokenizer() | ArabicTermFilter(stem=stem)


def analyze(text, stem=True):
    """Return the index terms of ``text``, in order.

    >>> analyze("وأكّد الرئيسُ الإيرانيّ في طهران")
    ['اكد', 'رئيس', 'ايران', 'طهران']
    """
    return [t.text for t in arabic_analyzer(stem)(text)]


# word as written -> its index term (None: not indexed), for index_term.
# A plain dict rather than an lru_cache: indexing looks up every token of
# every article, and through map() a dict look-up costs half a cached
# call.  Bounded like a cache (SaudiNewsNet has 315k word types); past it,
# new words are analyzed each time.
_TERMS = {}
TERM_CACHE = 1 << 18
_UNSEEN = object()


def index_term(word):
    """Return the term the analyzer indexes surface ``word`` under, or None.

    The whole chain for one word, cached: token frequencies are Zipfian, so
    nearly every lookup after the first few thousand articles is a hit.
    None for stopwords and for words that normalize to nothing.  The order
    is important (:func:`normalized_term`): the stopword list is normalized
    but not stemmed, so stopwords go before the stemmer.

    >>> index_term("وبالإستخبارات"), index_term("في")
    ('استخبار', None)
    """
    term = _TERMS.get(word, _UNSEEN)
    if term is _UNSEEN:
        term = normalized_term(normalize_token(word))
        if len(_TERMS) < TERM_CACHE:
            _TERMS[word] = term
    return term


# Forget the cached terms (after a change to the analysis, in benchmarks).
index_term.cache_clear = _TERMS.clear


def index_terms(words):
    """Return ``[index_term(w) for w in words]``, a look-up per known word.

    >>> index_terms(["في", "بغداد", "وبغداد"])
    [None, 'بغداد', 'بغداد']
    """
    if not isinstance(words, list):
        words = list(words)
    terms = list(map(_TERMS.get, words, repeat(_UNSEEN)))
    if _UNSEEN in terms:
        for i in compress(count(), map(is_, terms, repeat(_UNSEEN))):
            terms[i] = index_term(words[i])
    return terms


@lru_cache(maxsize=1 << 16)
def exact_term(word):
    """Return ``word`` normalized but not stemmed, or None for a stopword.

    >>> exact_term("والمعلومات"), exact_term("في")
    ('والمعلومات', None)
    """
    normalized = normalize_token(word)
    if not normalized or normalized in STOPWORDS:
        return None
    return normalized


def normalized_term(normalized):
    """Return :func:`index_term` of a word from its normalized form (for
    callers that normalized it already), uncached.

    >>> normalized_term("وبالاستخبارات"), normalized_term("في")
    ('استخبار', None)
    """
    if not normalized or normalized in STOPWORDS:
        return None
    return light_stem(normalized)


def term_positions(text):
    """Return (length, {term: [positions]}) exactly as :func:`arabic_analyzer` indexes ``text``.

    The indexing fast path: the same tokenizer pattern and the same cached
    per-word function as the Whoosh analyzer, without a generator and a
    Token object per word.

    >>> term_positions("في بغداد وبغداد")
    (2, {'بغداد': [1, 2]})
    """
    return word_positions(WORD_PATTERN.findall(text))


def word_positions(words):
    """Return :func:`term_positions` of a text from its words (the
    tokenizer's, in order): indexing with entities takes them from the
    recogniser's tokens, so a text is split once.

    >>> word_positions(["في", "بغداد", "وبغداد"])
    (2, {'بغداد': [1, 2]})
    """
    return _positions(index_terms(words))


def _positions(terms):
    """Return ``(length, {term: [positions]})`` from the index term of each
    word of a text (a list; None: not indexed)."""
    kept = [term for term in terms if term is not None]
    if not kept:
        return 0, {}
    # Whoosh's StopFilter(renumber=True) keeps the first kept word's own
    # position and counts on from there.
    first = terms.index(kept[0])
    positions = {}
    at = positions.setdefault
    for pos, term in enumerate(kept, first):
        at(term, []).append(pos)
    return len(kept), positions


# Bump when a rule in the code changes what a word is indexed as.
ANALYSIS_RULES_VERSION = 8
# Data files that decide index terms (variants apply at query time only).
INDEX_TIME_DATA = ("stopwords.txt", "protected.txt", "waw_stems.txt", "lam_stems.txt")


@lru_cache(maxsize=1)
def analysis_fingerprint():
    """A short hash of everything that decides the terms a text is indexed as.

    An index records it; an index built with other rules or word lists
    would silently miss words its queries are now analyzed into.
    """
    digest = hashlib.sha1(str(ANALYSIS_RULES_VERSION).encode())
    data = resources.files("analyzers.data")
    for name in INDEX_TIME_DATA:
        digest.update(data.joinpath(name).read_bytes())
    return digest.hexdigest()[:16]
