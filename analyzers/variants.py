"""Query-time expansion for spelling variants that normalization cannot fold.

سوريا and سورية, أمريكا and أميركا, ميليشيات and مليشيات are one word to a
reader but different letters to an index.  Folding them in the analyzer
would need rules too broad to be safe (every final ا to ة), so the families
are kept as data (``analyzers/data/variants.txt``) and applied to the terms
of a parsed query only: the index stores each word as written, the query
for one spelling asks for all of them.
"""

from analyzers.analysis import analyze
from analyzers.data import read_lines


def _load_families(stem=True):
    groups = {}
    for line in read_lines("variants.txt"):
        terms = set()
        for word in line.split():
            terms.update(analyze(word, stem=stem))
        if len(terms) < 2:
            continue
        family = frozenset(terms)
        for term in terms:
            # A term in two families gets the union of both.
            groups[term] = groups.get(term, frozenset()) | family
    return groups


_FAMILIES = {}


def variants(term, stem=True):
    """Return the analyzed terms that spell the same word as ``term``.

    ``term`` is an analyzed index term; the result includes it and is a
    frozenset of one element when the term has no known variants.

    >>> sorted(variants("سوريا"))
    ['سوريا', 'سوريه']
    """
    if stem not in _FAMILIES:
        _FAMILIES[stem] = _load_families(stem)
    return _FAMILIES[stem].get(term, frozenset((term,)))
