"""The curated actor gazetteer and the word sets the recogniser's features use.

``data/actors.tsv`` lists well-known public actors (armed groups,
international bodies, media, leaders) with a canonical Arabic name, an
English label and aliases (داعش -> تنظيم الدولة الإسلامية).
"""

from dataclasses import dataclass
from functools import lru_cache

from analyzers.entities.phrases import PhraseTable
from analyzers.entities.resources import read_lines
from analyzers.normalize import normalize

WEAK = "~"
COMMON = "?"


@dataclass(frozen=True)
class KnownActor:
    name: str
    kind: str
    label_en: str


@lru_cache(maxsize=1)
def _load():
    entries = []  # (normalized alias, (actor, weak, common))
    for line in read_lines("actors.tsv"):
        kind, name, label_en, *rest = line.split("\t") + [""]
        actor = KnownActor(name.strip(), kind.strip(), label_en.strip())
        aliases = [a.strip() for a in rest[0].split("|") if a.strip()]
        entries.append((normalize(actor.name), (actor, False, False)))
        for alias in aliases:
            text = alias.lstrip(WEAK + COMMON)
            marks = alias[:len(alias) - len(text)]
            entries.append((normalize(text), (actor, WEAK in marks, COMMON in marks)))
    # Names with no article never take one: بالحماس is not حماس.
    return PhraseTable(entries, bare_after_article=False)


def actor_table():
    """Return the :class:`PhraseTable` of aliases -> ``(KnownActor, weak, common)``.

    ``weak`` aliases (~المالكي) count only where the actor is named in full;
    ``common`` ones (?القاعدة, also "the base") not before an adjective that
    describes them (القاعدة العسكرية).
    """
    return _load()


def actor_words():
    """Return the normalized first words of every alias (a CRF feature)."""
    return _load().first_words


def country_words():
    """Return the first words of every country phrase (a CRF feature)."""
    from analyzers.entities.countries import country_words as words

    return words()
