"""Find who (actors) and where (countries) an Arabic news text is about.

>>> ents = extract_entities("أكد المتحدث باسم الخارجية الروسية أن موسكو تدعم بغداد")
>>> [(c.code, c.count) for c in ents.countries]
[('RU', 2), ('IQ', 1)]
>>> resolve_country("Iran") == resolve_country("إيران") == resolve_country("ir") == "IR"
True

Countries come from gazetteers (:mod:`.countries`); actors from a curated
gazetteer, a CRF trained on ANERcorp and rules for titles and organisation
heads (:mod:`.actors`).  Tables and the model load lazily, once per process,
from the package's ``data/`` directory; nothing touches the network.  All
results are immutable values, safe to share between threads and to pickle.
"""

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, count
from operator import not_

from analyzers.entities.countries import country_label, find_countries, resolve_country
from analyzers.entities.layout import boilerplate
from analyzers.entities.tokens import tokenize
from analyzers.normalize import normalize

__all__ = [
    "Actor",
    "Country",
    "Entities",
    "country_label",
    "extract_entities",
    "extract_entities_many",
    "resolve_country",
]


@dataclass(frozen=True)
class Country:
    """A country the text mentions ``count`` times, by ISO 3166-1 alpha-2 code."""

    code: str
    label_ar: str
    label_en: str
    count: int

    def to_dict(self):
        return {"code": self.code, "label_ar": self.label_ar, "label_en": self.label_en, "count": self.count}


@dataclass(frozen=True)
class Actor:
    """A named person or organisation, with the surface forms seen in the text.

    ``name`` is the canonical Arabic name; ``kind`` is "person" or
    "organization"; ``label_en`` is set when the gazetteer knows it.
    """

    name: str
    kind: str
    aliases: list
    count: int
    label_en: str = ""

    def to_dict(self):
        return {"name": self.name, "kind": self.kind, "aliases": list(self.aliases), "count": self.count}


@dataclass(frozen=True)
class Entities:
    """The countries and actors of one document, most mentioned first."""

    countries: list = field(default_factory=list)
    actors: list = field(default_factory=list)

    def to_dict(self):
        return {
            # Explicit dicts: dataclasses.asdict deep-copies every field.
            "countries": [c.to_dict() for c in self.countries],
            "actors": [a.to_dict() for a in self.actors],
        }


def extract_entities(text):
    """Return the :class:`Entities` of ``text`` (title + "\\n" + body)."""
    return extract_entities_many([text])[0]


def extract_entities_many(texts, with_tokens=False):
    """Return the :class:`Entities` of each text, as :func:`extract_entities`
    would, with the CRF run once over all of them (much cheaper per text).

    With ``with_tokens``, each result is ``(entities, tokens)``: the text's
    tokens as :func:`analyzers.entities.tokens.tokenize` splits it.  Its
    words are the analyzer's (:func:`analyzers.tokenizer.is_word` picks them
    out), so indexing splits each text once.
    """
    from analyzers.entities.actors import crf_chunks, find_actors  # loads the model

    tokenized = [tokenize(text) for text in texts]
    # Per text, its tokens' records as columns: normalized forms, kind bits,
    # actor and country gazetteer hits, CRF rows.
    columns = [tuple(zip(*records)) or ((),) * 5 for records in _describe(tokenized)]
    docs = [c[0] for c in columns]
    rows = [c[4] for c in columns]
    if any(None in doc for doc in rows):
        rows = None  # no model, or its registry is full: look types up by name
    out = []
    for tokens, (norms, kinds, hits, country_hits, _), chunks in zip(
        tokenized, columns, crf_chunks(docs, rows=rows)
    ):
        skip = boilerplate(norms)
        actors, person_tokens = find_actors(tokens, norms, chunks, kinds=kinds, hits=hits, skip=skip)
        mentions = find_countries(norms, person_tokens, hits=country_hits, skip=skip)
        counts = Counter(code for _, _, code, _ in mentions)
        countries = [
            Country(code, *country_label(code), count)
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        entities = Entities(countries=countries, actors=actors)
        out.append((entities, tokens) if with_tokens else entities)
    return out


# token as written -> (normalized form, kind bits, actor gazetteer candidates,
# country candidates, the CRF's registry row): every per-type
# fact each token needs, in one look-up (separate tables cost a cache miss
# each per token).
# Bounded (SaudiNewsNet has 315k token types, a worker meets most of them);
# past that, or once the CRF's registry is full (no row), new tokens are
# described afresh each time.
_WORDS = {}
WORD_CACHE = 1 << 18


def _describe(tokenized):
    """Return the records of every token of several texts."""
    words = [list(map(_WORDS.get, tokens)) for tokens in tokenized]
    new, gaps = {}, []
    for tokens, found in zip(tokenized, words):
        if None in found:
            at = list(compress(count(), map(not_, found)))   # the new tokens' places
            new.update(dict.fromkeys(tokens[i] for i in at))
            gaps.append((tokens, found, at))
    if not new:
        return words
    fresh = _describer()(list(new))
    # Filled in place: mapping every token again to merge the new records
    # would cost a second look-up per token.
    for tokens, found, at in gaps:
        for i in at:
            found[i] = fresh[tokens[i]]
    return words


@lru_cache(maxsize=1)
def _describer():
    """Return the function that describes new tokens (tables bound once)."""
    from analyzers.entities.actors import KIND_WORDS, token_kind
    from analyzers.entities.countries import country_table
    from analyzers.entities.crf import default_recogniser
    from analyzers.entities.gazetteer import actor_table
    from analyzers.entities.tokens import clitic_closure

    actor_candidates = actor_table().candidates
    country_candidates = country_table().candidates
    recogniser = default_recogniser()
    # Most new words are in no table: one look-up tells them (a new type
    # costs a third as much), the rest are looked up in full.
    maybe = clitic_closure(KIND_WORDS | actor_table().first_words | country_table().first_words)

    def facts(token):
        norm = normalize(token)
        if norm in maybe:
            return norm, token_kind(norm), actor_candidates(norm), country_candidates(norm)
        return norm, 0, (), ()

    def describe(tokens):
        found = list(map(facts, tokens))
        # The CRF scores the new word types together, much cheaper than alone.
        norms = list(dict.fromkeys(f[0] for f in found))
        row_of = dict(zip(norms, recogniser.rows(norms))) if recogniser is not None else {}
        out = {}
        for token, fact in zip(tokens, found):
            word = out[token] = fact + (row_of.get(fact[0]),)
            if (word[4] is not None or recogniser is None) and len(_WORDS) < WORD_CACHE:
                _WORDS[token] = word
        return out

    return describe
