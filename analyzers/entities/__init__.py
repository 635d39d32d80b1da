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
from dataclasses import asdict, dataclass, field

from analyzers.entities.countries import country_label, find_countries, resolve_country
from analyzers.entities.tokens import normalize_tokens, tokenize

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
            "countries": [asdict(c) for c in self.countries],
            "actors": [a.to_dict() for a in self.actors],
        }


def extract_entities(text):
    """Return the :class:`Entities` of ``text`` (title + "\\n" + body)."""
    return extract_entities_many([text])[0]


def extract_entities_many(texts):
    """Return the :class:`Entities` of each text, as :func:`extract_entities`
    would, with the CRF run once over all of them (much cheaper per text)."""
    from analyzers.entities.actors import crf_chunks, find_actors  # loads the model

    tokenized = [tokenize(text) for text in texts]
    docs = [normalize_tokens(tokens) for tokens in tokenized]
    out = []
    for tokens, norms, chunks in zip(tokenized, docs, crf_chunks(docs)):
        actors, person_tokens = find_actors(tokens, norms, chunks)
        counts = Counter(code for _, _, code, _ in find_countries(norms, person_tokens))
        countries = [
            Country(code, *country_label(code), count)
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        out.append(Entities(countries=countries, actors=actors))
    return out
