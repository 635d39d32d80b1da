"""CoNLL files and chunks: ``token TAG`` lines with BIO tags, and the
mention spans those tags make."""

from analyzers.entities.features import SENTENCE_END

TYPES = ("PERS", "ORG", "LOC", "MISC")


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
            current.append((token, map_tag(tag, tag_map)))
            if token in SENTENCE_END:
                sentences.append(current)
                current = []
    if current:
        sentences.append(current)
    return sentences


def map_tag(tag, tag_map=None):
    """A tag as ANERcorp writes it, or O.

    >>> map_tag("B-PER", {"PER": "PERS"}), map_tag("I-ORG"), map_tag("B-MIS1")
    ('B-PERS', 'I-ORG', 'O')
    """
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, kind = tag.split("-", 1)
    if tag_map is not None:
        kind = tag_map.get(kind, kind)
    if prefix not in ("B", "I") or kind not in TYPES:
        return "O"
    return f"{prefix}-{kind}"


def spans(tags):
    """Return CoNLL chunks ``[(start, end, type)]`` from BIO tags.

    As conlleval does, an I- tag that does not continue a chunk of its type
    starts a new chunk.

    >>> spans(["B-PERS", "I-PERS", "O", "I-ORG", "B-LOC", "B-LOC"])
    [(0, 2, 'PERS'), (3, 4, 'ORG'), (4, 5, 'LOC'), (5, 6, 'LOC')]
    """
    # Only tagged tokens matter; most are O.
    at = [i for i, tag in enumerate(tags) if tag != "O"]
    return chunks(at, [tags[i] for i in at])


def chunks(positions, tags):
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
