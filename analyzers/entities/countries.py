"""Find the countries an Arabic text is about, as ISO 3166-1 alpha-2 codes.

Evidence, all looked up in one phrase table built once per process:

* the country's name, with or without clitics (وروسيا، بالعراق، لسوريا) and
  in its spelling variants (سوريا/سورية، أمريكا/أميركا/الولايات المتحدة);
  CLDR's Arabic names via Babel are the base, ``data/countries.tsv`` adds
  the variants;
* demonyms in every gender and number, generated from the masculine nisba
  (روسي -> الروسية، الروسيين، الروسيون ...) plus irregular plurals (الروس);
  the nisba of every one-word name is made by rule (بوليفيا -> بوليفي,
  :func:`nisba_of`), the table adds irregular ones (بيرو -> بيروفي);
  :func:`demonym_forms` lists a country's forms (for query expansion);
* capitals and major cities (بغداد، طهران، الموصل، غزة، جدة);
* government metonyms (الكرملين، البيت الأبيض، نظام الأسد).

False friends are dropped: phrases listed as blocks (بحر الصين الجنوبي،
المحيط الهندي، اللغة الإنجليزية), any country word right after a sea or gulf
noun, and a nisba that is a surname: directly after a given name or a title,
inside a person's name found by the recogniser, or before بن (تركي بن ...).
"""

from functools import lru_cache
from typing import NamedTuple

from babel import Locale

from analyzers.entities.resources import FIRST_NAMES, PERSON_TITLES, read_table
from analyzers.entities.phrases import PhraseTable
from analyzers.entities.tokens import ARTICLE, clitic_variants
from analyzers.normalize import normalize

# CLDR territory codes that are not ISO 3166-1 countries (regions, unions,
# reserved or private-use codes).
NOT_COUNTRIES = frozenset(
    "AC CP CQ DG EA EU EZ IC QO TA UN XA XB ZZ".split()
)

# Feminine, dual and plural endings added to a masculine nisba (normalized:
# ة is ه).  The bare nisba itself is the first, empty ending.
NISBA_ENDINGS = ("", "ه", "ان", "تان", "تين", "ين", "ون", "ات")

# Nouns after which a country word names a sea, gulf or strait instead.
SEA_NOUNS = frozenset(normalize(w) for w in "بحر البحر المحيط خليج الخليج مضيق قناة".split())

# Kinds of evidence, in the order a tie prefers them.
KINDS = ("name", "metonym", "city", "demonym", "plural", "implicit")
BLOCK = "-"

# A nisba right after one of these is a name part, not a demonym.
NAME_LINKS = frozenset(normalize(w) for w in "بن ابن بنت أبو ابو أبي أم آل".split())


def _babel_names(locale):
    territories = Locale(locale).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


@lru_cache(maxsize=1)
def _tables():
    """Return (labels, phrase table, lookup, demonyms, ambiguous) built from
    Babel and the data file."""
    names_ar = _babel_names("ar")
    names_en = _babel_names("en")
    labels = {code: (names_ar[code], names_en.get(code, code)) for code in names_ar}
    rows = list(read_table("countries.tsv"))
    deny = {normalize(f) for code, kind, forms in rows if kind == "deny" for f in forms}
    ambiguous = {normalize(f): code for code, kind, forms in rows if kind == "ambiguous" for f in forms}
    # implicit: the phrase, then the countries whose mention takes it away.
    implicit = {code: frozenset(forms[1:]) for code, kind, forms in rows if kind == "implicit"}
    no_nisba = {normalize(f) for code, kind, forms in rows if kind == "deny_demonym" for f in forms}

    entries = []  # (normalized words, code, kind)
    names = []    # (code, name as written): every spelling, for the rule-made demonyms
    for code, name in names_ar.items():
        name = name.split("(")[0].strip()  # "ميانمار (بورما)"
        if normalize(name) not in deny:
            names.append((code, name))
            entries.append((normalize(name), code, "name"))
    nisbas = {}   # code -> masculine singular nisbas, in table order
    for code, kind, forms in rows:
        if kind == "label":
            labels[code] = (forms[0], forms[1])
        elif kind == "demonym":
            nisbas.setdefault(code, []).extend(normalize(f) for f in forms)
        elif kind == "name":
            names.extend((code, f) for f in forms)
            entries.extend((normalize(f), code, kind) for f in forms)
        elif kind in KINDS or kind == "block":
            entries.extend((normalize(f), code, kind) for f in forms)
        elif kind == "implicit":
            entries.append((normalize(forms[0]), code, kind))
    for code, name in names:
        nisba = nisba_of(name)
        if nisba and nisba not in no_nisba:
            nisbas.setdefault(code, []).append(nisba)
    demonyms = {}   # code -> every normalized form of its demonyms
    for code, bases in nisbas.items():
        for base in dict.fromkeys(bases):
            for form in _nisba_forms(base):
                entries.append((form, code, "demonym"))
                # A nisba is bare, even one that starts like the article
                # (الماني): its definite form takes one more.
                demonyms.setdefault(code, set()).update((form, _definite(form)))
    for text, code, kind in entries:
        if kind == "plural":
            demonyms.setdefault(code, set()).add(text)

    # Where two entries spell the same words (سورية is both a name and a
    # feminine nisba) the kind earlier in KINDS wins; blocks win over all.
    rank = {kind: i for i, kind in enumerate(("block",) + KINDS)}
    ordered = sorted(entries, key=lambda e: -rank[e[2]])
    table = PhraseTable((text, (code, kind)) for text, code, kind in ordered)
    lookup = {}
    for code, (label_ar, label_en) in labels.items():
        for key in (code, code.lower(), label_ar, label_en, normalize(label_ar), label_en.lower()):
            lookup[key] = code
    for text, code, kind in entries:
        if code != BLOCK and kind in ("name", "demonym"):
            lookup.setdefault(text, code)
    demonyms = {code: frozenset(forms) for code, forms in demonyms.items()}
    country_names = {}
    for text, code, kind in entries:
        if kind == "name":
            country_names.setdefault(code, set()).add(text)
    # The CRF's country flag: words that are country evidence alone, and
    # the first words of multi-word names (الولايات المتحدة).  Not the first
    # words of multi-word cities or blocks: مدينة، باب، خام are no evidence.
    flag_words = frozenset(
        text.split()[0] for text, code, kind in entries
        if code != BLOCK and (" " not in text or kind in ("name", "demonym"))
    )
    return _Tables(labels, table, lookup, demonyms, ambiguous, implicit, flag_words,
                   {code: frozenset(n) for code, n in country_names.items()})


class _Tables(NamedTuple):
    labels: dict      # code -> (label_ar, label_en)
    table: object     # PhraseTable of evidence -> (code, kind)
    lookup: dict      # any spelling of a code or name -> code
    demonyms: dict    # code -> frozenset of demonym forms
    ambiguous: dict   # shared name -> the code whose city it also is
    implicit: dict    # code -> the codes whose mention voids its implicit phrase
    flag_words: frozenset
    names: dict       # code -> its normalized names


# A country name's last letters and what the nisba puts in their place
# (normalized: ة is ه): بوليفيا -> بوليفي, كندا -> كندي, سورية -> سوري,
# سنغافورة -> سنغافوري.
NISBA_RULES = (("يا", "ي"), ("ا", "ي"), ("يه", "ي"), ("ه", "ي"), ("ي", "ي"))
# Names whose nisba no ending rule gives (بيرو -> بيروفي, توغو -> توغولي):
# the table lists those.
NO_NISBA_RULE = ("و",)


def nisba_of(written):
    """Return the normalized masculine nisba a one-word country name, as
    written, makes by rule, or "".

    The article goes, a final ا، يا، ية or ة becomes ي, a final ي stays,
    and any other letter takes ي.  Names of more than one word (كوريا
    الجنوبية) and names ending in و (بيرو) have no rule: the table lists
    their demonyms.  The article is told from the written name, as
    normalization makes ألمانيا start like one.

    >>> [nisba_of(n) for n in ("بوليفيا", "الإكوادور", "ألمانيا", "سورية", "بنين", "بيرو")]
    ['بوليفي', 'اكوادوري', 'الماني', 'سوري', 'بنيني', '']
    """
    name = normalize(written)
    if " " in name or not name.isalpha():
        return ""
    if written.startswith(ARTICLE):
        name = name[len(ARTICLE):]
    if len(name) < 3 or name.endswith(NO_NISBA_RULE):
        return ""
    for ending, nisba in NISBA_RULES:
        if name.endswith(ending):
            return name[: -len(ending)] + nisba
    return name + "ي"


def _nisba_forms(nisba):
    """Yield every gender and number of a (possibly two-word) nisba.

    Every word of كوري شمالي is inflected (الكوريين الشماليين), and the
    words after the first may carry the article.
    """
    words = nisba.split()
    for ending in NISBA_ENDINGS:
        inflected = [w + ending for w in words]
        yield " ".join(inflected)
        if len(words) > 1:
            yield " ".join(inflected[:1] + [ARTICLE + w for w in inflected[1:]])


def demonym_forms(code):
    """Return every normalized form of a country's demonyms: each gender
    and number (أمريكي، أميركية، امريكيين ...), bare and with the article,
    and its irregular plurals (الأمريكان).  A two-word demonym (كوري شمالي)
    is one phrase, its words separated by a space.  Empty for an unknown code.

    >>> sorted(f for f in demonym_forms("bo") if not f.startswith("ال"))
    ['بوليفي', 'بوليفيات', 'بوليفيان', 'بوليفيتان', 'بوليفيتين', 'بوليفيه', 'بوليفيون', 'بوليفيين']
    >>> {"الاميركيه", "امريكيون", "الامريكان"} <= demonym_forms("US")
    True
    """
    return _tables().demonyms.get(code.upper(), frozenset())


def country_names(code):
    """Return the normalized names of a country (CLDR's and the table's
    spellings: أمريكا، أميركا، الولايات المتحدة ...)."""
    return _tables().names.get(code.upper(), frozenset())


def named_countries():
    """Return ``{code: normalized names}`` of every country
    (:func:`country_names` of each)."""
    return dict(_tables().names)


def country_codes():
    """Return the code of every country the tables know, sorted."""
    return sorted(_tables().labels)


def _definite(phrase):
    """The definite form of a bare nisba phrase (كوري شمالي -> الكوري
    الشمالي); a word that already has the article (the partial form كوري
    الشمالي) keeps it."""
    words = phrase.split()
    return " ".join([ARTICLE + words[0]] + [w if w.startswith(ARTICLE) else ARTICLE + w for w in words[1:]])


def country_label(code):
    """Return ``(label_ar, label_en)`` for an ISO code (``KeyError`` if unknown).

    >>> country_label("IQ")
    ('العراق', 'Iraq')
    """
    return _tables().labels[code.upper()]


def resolve_country(value):
    """Return the ISO code for a code, Arabic or English name, or None.

    >>> resolve_country("Iran"), resolve_country("إيران"), resolve_country("ir")
    ('IR', 'IR', 'IR')
    >>> resolve_country("Atlantis") is None
    True
    """
    if not value:
        return None
    lookup = _tables().lookup
    value = value.strip()
    for key in (value, value.upper(), value.lower(), normalize(value)):
        if key in lookup:
            return lookup[key]
    for form, _ in clitic_variants(normalize(value)):
        if form in lookup:
            return lookup[form]
    return None


def _is_surname(norms, i, prefix, kind, person_tokens):
    """Tell a word that belongs to a person's name (a nisba, or any country
    word inside a name the recogniser found) from a country mention."""
    if i in person_tokens and kind != "metonym":
        # Also a city or name inside a name (ثيو والكوت); a regime named
        # by its leader (نظام الأسد) is both.
        return True
    if kind not in ("demonym", "plural"):
        return False
    # A surname carries at most the article: وروان المصري is rare, and a
    # conjunction or preposition before the nisba marks an adjective.
    if prefix not in ("", ARTICLE):
        return False
    if i + 1 < len(norms) and norms[i + 1] in NAME_LINKS:
        return True  # تركي بن عبدالله
    if i == 0:
        return False
    prev = norms[i - 1]
    if prev in FIRST_NAMES or prev in NAME_LINKS:
        return True  # روان المصري، أبو المصري
    return prefix == "" and prev in PERSON_TITLES  # الأمير تركي


def find_countries(norms, person_tokens=frozenset(), hits=None, skip=frozenset()):
    """Return ``[(start, end, code, kind)]`` country mentions in ``norms``.

    ``norms`` are normalized tokens; ``person_tokens`` holds the indexes of
    tokens the recogniser put inside person names; ``hits`` are the tokens'
    candidates in :func:`country_table`, if the caller has them; ``skip``
    holds tokens that name no country of the text (datelines, bylines).
    """
    found = [
        (start, end, code, kind)
        for start, end, (code, kind), prefix in _tables().table.find(norms, hits)
        if code != BLOCK
        and start not in skip
        and not (start and _bare(norms[start - 1]) in SEA_NOUNS)
        and not _is_surname(norms, start, prefix, kind, person_tokens)
        and not _is_language(norms, start, kind)
    ]
    if found and not _ambiguous_words().isdisjoint(norms):
        found = _resolve_ambiguous(norms, found)
    if any(kind == "implicit" for _, _, _, kind in found):
        # المملكة is Saudi Arabia in Saudi papers, unless another kingdom is named.
        named = {code for _, _, code, kind in found if kind != "implicit"}
        found = [m for m in found if m[3] != "implicit" or not named & _tables().implicit[m[2]]]
    return found


# Nouns after which a feminine nisba names a language (اللغة الفرنسية,
# باللغتين العربية والإنجليزية), not a country.
LANGUAGE_NOUNS = frozenset(normalize(w) for w in "اللغة لغة اللغتين لغتين اللغات لغات".split())


def _is_language(norms, i, kind):
    """Tell a nisba that names a language: after a language noun, or after
    such a nisba and و (العربية والإنجليزية)."""
    if kind != "demonym" or i == 0:
        return False
    prev = norms[i - 1]
    if any(form in LANGUAGE_NOUNS for form, _ in clitic_variants(prev)):
        return True
    # The nisba before و may be no country's (العربية).
    return (norms[i].startswith("و") and i >= 2 and prev.endswith("يه")
            and any(form in LANGUAGE_NOUNS for form, _ in clitic_variants(norms[i - 2])))


@lru_cache(maxsize=1)
def _ambiguous_words():
    """Every word an ambiguous name's first word can be written as."""
    from analyzers.entities.tokens import clitic_closure

    return clitic_closure({text.split()[0] for text in _tables().ambiguous})


def _resolve_ambiguous(norms, found):
    """Read a name shared with another country's city (عمان: Oman, and
    Jordan's capital Amman) as the city when the text names that country
    otherwise and the first one nowhere else."""
    ambiguous = _tables().ambiguous
    shared = {}
    for n, (start, end, code, kind) in enumerate(found):
        rest = " ".join(norms[start + 1:end])
        for form, _ in clitic_variants(norms[start]):
            other = ambiguous.get(f"{form} {rest}" if rest else form)
            if other is not None:
                shared[n] = other
                break
    if not shared:
        return found
    codes = {m[2] for n, m in enumerate(found) if n not in shared}
    return [
        (start, end, shared[n], "city")
        if n in shared and shared[n] in codes and code not in codes else (start, end, code, kind)
        for n, (start, end, code, kind) in enumerate(found)
    ]


@lru_cache(maxsize=1 << 16)
def is_demonym(norm):
    """Tell whether a normalized word (clitics allowed) is a country's nisba,
    even where the same letters also spell a name (السورية, Syria's too)."""
    return any(form in _demonym_words() for form, _ in clitic_variants(norm))


@lru_cache(maxsize=1)
def _demonym_words():
    return frozenset(f for forms in _tables().demonyms.values() for f in forms if " " not in f)


def country_table():
    """Return the :class:`PhraseTable` of country evidence -> ``(code, kind)``."""
    return _tables().table


def country_words():
    """Return the words the CRF flags as country words: those that are
    country evidence alone and the first words of multi-word names."""
    return _tables().flag_words


def _bare(norm):
    # وفي البحر -> البحر; a sea noun may carry a clitic itself.
    for form, _ in clitic_variants(norm):
        if form in SEA_NOUNS:
            return form
    return norm


def is_place(norms, start, end):
    """Tell whether ``norms[start:end]`` is exactly a country or city name
    (a span the CRF took for a person: كينيا، القاهرة)."""
    hit = _tables().table.match_at(norms, start)
    return bool(hit) and hit[0] == end and hit[1][0] != BLOCK and hit[1][1] in ("name", "city")
