"""The curated gazetteers of actors, clubs and office holders, and the word
sets the recogniser's features use.

* ``data/actors.tsv`` lists well-known public actors (armed groups,
  international bodies, media, leaders) with a canonical Arabic name, an
  English label, aliases (داعش -> تنظيم الدولة الإسلامية) and English
  aliases (ISIS, Daesh), so a Latin query can find them;
* ``data/clubs.tsv`` lists football clubs, found only in sports texts;
* ``data/offices.tsv`` maps a title that stands for one person in 2015
  (وزير الخارجية الأمريكي -> جون كيري) to that person in actors.tsv.

Every entry is a public fact; none comes from an evaluation corpus.

>>> resolve_actor("Putin"), resolve_actor("hezbollah"), resolve_actor("بوتين")
('فلاديمير بوتين', 'حزب الله', 'فلاديمير بوتين')
>>> english_names("حزب الله")
('Hezbollah', 'Hizbullah', 'Hizballah')
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from analyzers.entities.phrases import PhraseTable
from analyzers.entities.resources import (
    COMMON, WEAK, DataFileError, parse_actors, parse_clubs, parse_offices,
)
from analyzers.normalize import normalize

ORGANIZATION = "organization"
# Made for every club: نادي الهلال، فريق الهلال.
CLUB_PREFIXES = ("نادي", "فريق")
# A club name found only with a prefix or demonym (!الرياض).
ONLY_QUALIFIED = "!"


@dataclass(frozen=True)
class KnownActor:
    """An actor the gazetteers know: canonical Arabic name, kind, English
    label and English aliases; ``country`` is a club's country."""

    name: str
    kind: str
    label_en: str
    aliases_en: tuple = ()
    country: str = ""


@lru_cache(maxsize=1)
def _actors():
    """Return ``(entries, by_name)``: the alias entries of actors.tsv and
    each canonical name's :class:`KnownActor`."""
    entries = []  # (normalized alias, (actor, weak, common))
    by_name = {}
    for row in parse_actors():
        actor = KnownActor(row.name, row.kind, row.label_en, tuple(row.aliases_en))
        by_name[row.name] = actor
        entries.append((normalize(actor.name), (actor, False, False)))
        for alias in row.aliases:
            text = alias.lstrip(WEAK + COMMON)
            marks = alias[:len(alias) - len(text)]
            entries.append((normalize(text), (actor, WEAK in marks, COMMON in marks)))
    return entries, by_name


@lru_cache(maxsize=1)
def _load():
    # Names with no article never take one: بالحماس is not حماس.
    return PhraseTable(_actors()[0], bare_after_article=False)


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


# -- clubs ------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _clubs():
    """Return the club :class:`PhraseTable`: alias -> ``((KnownActor,
    nickname), ...)``, every club that alias may name, the first listed
    first."""
    from analyzers.entities.countries import demonym_forms

    candidates = {}   # normalized alias -> [(actor, nickname)]
    prefixes = [normalize(p) for p in CLUB_PREFIXES]
    for row in parse_clubs():
        name = row.name.lstrip(ONLY_QUALIFIED)
        actor = KnownActor(name, ORGANIZATION, row.label_en, country=row.code)
        names = [row.name] + [a for a in row.aliases if not a.startswith(COMMON)]
        nicknames = [a.lstrip(COMMON) for a in row.aliases if a.startswith(COMMON)]
        # The club's masculine demonyms, singular and definite (الهلال
        # السعودي; a feminine one names the city: جنوى الإيطالية).
        demonyms = sorted(d for d in demonym_forms(row.code)
                          if d.startswith("ال") and " " not in d and d.endswith("ي"))
        forms = []
        for written in names:
            bare = normalize(written.lstrip(ONLY_QUALIFIED))
            if not written.startswith(ONLY_QUALIFIED):
                forms.append(bare)
            for form in [bare] + [f"{p} {bare}" for p in prefixes]:
                if form != bare:
                    forms.append(form)
                forms.extend(f"{form} {d}" for d in demonyms)
        for form in dict.fromkeys(forms):
            candidates.setdefault(form, []).append((actor, False))
        for nickname in map(normalize, nicknames):
            candidates.setdefault(nickname, []).append((actor, True))
    return PhraseTable(((alias, tuple(found)) for alias, found in candidates.items()),
                       bare_after_article=False)


def club_table():
    """Return the :class:`PhraseTable` of club aliases (with نادي/فريق and
    the club's demonym) -> the ``(KnownActor, nickname)`` s it may name."""
    return _clubs()


# -- office holders ---------------------------------------------------------------

@lru_cache(maxsize=1)
def _offices():
    from analyzers.entities.countries import country_names, demonym_forms

    by_name = _actors()[1]
    entries = []
    for row in parse_offices():
        actor = by_name.get(row.person)
        if actor is None or actor.kind != "person":
            raise DataFileError("offices.tsv", row.line, f"{row.person!r} is no person in actors.tsv")
        for title in _expand(row.title, row.code, demonym_forms, country_names):
            entries.append((title, actor))
    return PhraseTable(entries, bare_after_article=False)


def _expand(title, code, demonym_forms, country_names):
    """Yield every normalized spelling of an office's title."""
    title = normalize(title)
    if "{" not in title:
        yield title
        return
    singular = [f for f in demonym_forms(code) if " " not in f and f.startswith("ال")]
    masculine = sorted(f for f in singular if f.endswith("ي"))
    feminine = sorted(f for f in singular if f.endswith("يه"))
    slots = {"{}": masculine, "{ه}": feminine, "{name}": sorted(country_names(code))}
    for slot, fillers in slots.items():
        if slot in title:
            for filler in fillers:
                yield title.replace(slot, filler)


def office_table():
    """Return the :class:`PhraseTable` of office titles -> office holder."""
    return _offices()


def check_offices():
    """Load the office table (``DataFileError`` for an unknown holder)."""
    _offices()


# -- names for the query side -------------------------------------------------------

@lru_cache(maxsize=1)
def _names():
    """Return ``{key: canonical name}`` over every alias, Arabic (normalized)
    and English (lower case), of the actors and clubs."""
    out = {}
    for row in parse_actors():
        for form in [row.name] + [a.lstrip(WEAK + COMMON) for a in row.aliases]:
            out.setdefault(normalize(form), row.name.lstrip(ONLY_QUALIFIED))
        for form in [row.label_en] + list(row.aliases_en):
            if form:
                out.setdefault(form.lower(), row.name)
                out.setdefault(latin_key(form), row.name)
    for row in parse_clubs():
        for form in [row.name.lstrip(ONLY_QUALIFIED)] + [a.lstrip(COMMON) for a in row.aliases]:
            out.setdefault(normalize(form), row.name.lstrip(ONLY_QUALIFIED))
        if row.label_en:
            out.setdefault(row.label_en.lower(), row.name.lstrip(ONLY_QUALIFIED))
            out.setdefault(latin_key(row.label_en), row.name.lstrip(ONLY_QUALIFIED))
    return out


_LATIN_WORD = re.compile(r"[a-z0-9]+")


def latin_key(value):
    """Return a Latin name as a search reads it: lower case, words only
    (``Al-Qaeda`` and ``al qaeda`` are one key; brackets go).

    >>> latin_key("Islamic State (ISIS)"), latin_key("Al-Qaeda")
    ('islamic state isis', 'al qaeda')
    """
    return " ".join(_LATIN_WORD.findall(value.lower()))


def known_actor(name):
    """Return the :class:`KnownActor` whose canonical name is ``name``, or None."""
    return _actors()[1].get(name)


def english_names(name):
    """Return the English label and aliases of the actor whose canonical
    name is ``name`` (``()`` if the gazetteer has none)."""
    actor = known_actor(name)
    if actor is None or not actor.label_en:
        return ()
    return (actor.label_en,) + actor.aliases_en


def arabic_names(name):
    """Return the Arabic names that find the actor whose canonical name is
    ``name`` in a text search: the name and its aliases, without the weak
    ones (a surname alone may be anyone's) or the marks; a club's name
    without its nicknames.  ``()`` for an
    actor the gazetteers do not know.

    >>> arabic_names("فلاديمير بوتين")
    ('فلاديمير بوتين', 'بوتين')
    """
    return _arabic_names().get(name, ())


@lru_cache(maxsize=1)
def _arabic_names():
    out = {}
    for row in parse_actors():
        names = [row.name] + [a.lstrip(COMMON) for a in row.aliases if not a.startswith(WEAK)]
        out[row.name] = tuple(dict.fromkeys(names))
    for row in parse_clubs():
        # A club's nicknames (الزعيم, "the leader") are common words.
        name = row.name.lstrip(ONLY_QUALIFIED)
        out.setdefault(name, (name,))
    return out


def resolve_actor(value):
    """Return the canonical Arabic name an Arabic alias or English name
    stands for (Putin, Hezbollah, بوتين, داعش), or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    names = _names()
    return names.get(value.lower()) or names.get(latin_key(value) or None) or names.get(normalize(value))
