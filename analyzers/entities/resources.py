"""Load and check the recogniser's data files (gazetteers, triggers,
clusters, model).

Everything here is read once per process, at first use of a module-level
table, from ``analyzers/entities/data`` inside the installed package.

Every table file has a parser here that rejects what it cannot read: an
unknown kind, a row with the wrong number of fields, a duplicate key.  A
bad row raises :class:`DataFileError` naming the file and line, at load
time, so a broken gazetteer fails loudly instead of matching nothing.
:func:`check_all` parses every file (the tests run it).

The CRF's features read some of these files (given names, triggers, the
actor and country gazetteers, the clusters): :data:`MODEL_INPUTS`.  The
model ships with the hashes of the versions it was trained on
(``data/ner.inputs.json``, written by ``scripts/train_ner.py train``);
:func:`stale_model_inputs` tells which changed since.
"""

import gzip
import hashlib
import json
import re
from collections import namedtuple
from importlib import resources

from analyzers.normalize import normalize

DATA = resources.files("analyzers.entities") / "data"
COMMENT = "#"
SEPARATOR = "|"
# Alias marks in actors.tsv and clubs.tsv (see analyzers.entities.gazetteer).
WEAK, COMMON = "~", "?"
ACTOR_KINDS = ("person", "organization")
COUNTRY_KINDS = ("label", "name", "demonym", "plural", "city", "metonym", "deny",
                 "deny_demonym", "block", "ambiguous", "implicit")
TRIGGER_KINDS = ("person", "role", "org", "generic", "speech", "national", "stop", "ordinal",
                 "org_adjective", "government", "verbal", "named_after", "org_stop", "regional",
                 "sports", "not_after_club")
# Country kinds whose code is "-" (rows that name no country).
NO_COUNTRY = "-"
CODE = re.compile(r"[A-Z]{2}")

MODEL_INPUTS = ("first_names.txt", "triggers.tsv", "actors.tsv", "countries.tsv",
                "clusters.tsv.gz", "embedding_clusters.tsv.gz")
MODEL_INPUTS_FILE = "ner.inputs.json"


class DataFileError(ValueError):
    """A row of a data file the recogniser cannot use."""

    def __init__(self, name, line, message):
        self.name, self.line, self.message = name, line, message
        super().__init__(f"{name}, line {line}: {message}")


def data_path(name):
    """Return a traversable path to data file ``name``."""
    return DATA / name


def _text(name, text):
    return data_path(name).read_text("utf-8") if text is None else text


def numbered_lines(name, text=None):
    """Yield ``(line number, line)`` for the non-blank lines of data file
    ``name`` (or of ``text``, read as that file), comments removed."""
    for number, line in enumerate(_text(name, text).splitlines(), 1):
        line = line.split(COMMENT, 1)[0].strip()
        if line:
            yield number, line


def read_lines(name, text=None):
    """Yield the non-blank lines of data file ``name``, comments removed."""
    for _, line in numbered_lines(name, text):
        yield line


def rows(name, fields, text=None, optional=0):
    """Yield ``(line number, [field, ...])`` of a tab-separated file whose
    rows have ``fields`` fields, the last ``optional`` of them optional."""
    for number, line in numbered_lines(name, text):
        parts = [p.strip() for p in line.split("\t")]
        if not fields - optional <= len(parts) <= fields:
            want = f"{fields - optional} to {fields}" if optional else str(fields)
            raise DataFileError(name, number, f"expected {want} tab-separated fields, found {len(parts)}")
        if not all(parts[:fields - optional]):
            raise DataFileError(name, number, "empty field")
        yield number, parts + [""] * (fields - len(parts))


def forms_of(field):
    """Split a ``a | b | c`` field into its forms."""
    return [f.strip() for f in field.split(SEPARATOR) if f.strip()]


def _duplicate(name, seen, key, number, what):
    if key in seen:
        raise DataFileError(name, number, f"duplicate {what} {key!r} (first on line {seen[key]})")
    seen[key] = number


# -- the tables ----------------------------------------------------------------

ActorRow = namedtuple("ActorRow", "line kind name label_en aliases aliases_en")
ClubRow = namedtuple("ClubRow", "line code name label_en aliases")
OfficeRow = namedtuple("OfficeRow", "line code title person")
CountryRow = namedtuple("CountryRow", "line code kind forms")


def _aliases(name, number, forms):
    """Check alias marks; return the forms."""
    for form in forms:
        text = form.lstrip(WEAK + COMMON)
        if not text:
            raise DataFileError(name, number, f"alias {form!r} is only marks")
        if any(c in WEAK + COMMON for c in text):
            raise DataFileError(name, number, f"alias {form!r}: marks go before the alias")
    return forms


def _unmarked(form):
    return form.lstrip(WEAK + COMMON)


def parse_actors(name="actors.tsv", text=None):
    """Return the :data:`ActorRow` s of the actor gazetteer.

    ``kind <TAB> canonical name <TAB> English label <TAB> aliases <TAB>
    English aliases``; kind is person or organization; the last two fields
    may be empty.  No two rows share a canonical name, and no alias names
    two actors.
    """
    out, names, aliases = [], {}, {}
    for number, (kind, canonical, label_en, alias_field, english) in rows(name, 5, text, optional=2):
        if kind not in ACTOR_KINDS:
            raise DataFileError(name, number, f"unknown kind {kind!r} (expected one of {', '.join(ACTOR_KINDS)})")
        _duplicate(name, names, normalize(canonical), number, "actor")
        forms = _aliases(name, number, forms_of(alias_field))
        for form in [canonical] + forms:
            key = normalize(_unmarked(form))
            owner = aliases.get(key)
            if owner is not None and owner[1] != canonical:
                raise DataFileError(name, number, f"alias {form!r} also names {owner[1]!r} (line {owner[0]})")
            aliases[key] = (number, canonical)
        out.append(ActorRow(number, kind, canonical, label_en, forms, forms_of(english)))
    return out


def parse_clubs(name="clubs.tsv", text=None):
    """Return the :data:`ClubRow` s of the club gazetteer.

    ``code <TAB> canonical name <TAB> English name <TAB> aliases``; code is
    an ISO 3166-1 alpha-2 country code; no club is listed twice for one
    country.
    """
    out, seen = [], {}
    for number, (code, canonical, label_en, alias_field) in rows(name, 4, text, optional=1):
        if not CODE.fullmatch(code):
            raise DataFileError(name, number, f"country code {code!r} is not two capital letters")
        if not canonical.lstrip("!") or "!" in canonical.lstrip("!"):
            raise DataFileError(name, number, f"club name {canonical!r}: ! goes before the name")
        _duplicate(name, seen, (code, normalize(canonical.lstrip("!"))), number, "club")
        out.append(ClubRow(number, code, canonical, label_en, _aliases(name, number, forms_of(alias_field))))
    return out


def parse_offices(name="offices.tsv", text=None):
    """Return the :data:`OfficeRow` s of the office-holder table.

    ``code <TAB> title <TAB> the office holder's canonical name``; the
    title may hold ``{}`` (every spelling of the country's masculine
    demonym, definite), ``{ة}`` (feminine) or ``{name}`` (the country's
    names).  No title is listed twice for one country.
    """
    out, seen = [], {}
    for number, (code, title, person) in rows(name, 3, text):
        if not CODE.fullmatch(code):
            raise DataFileError(name, number, f"country code {code!r} is not two capital letters")
        unknown = set(re.findall(r"\{([^}]*)\}", title)) - {"", "ة", "name"}
        if unknown:
            raise DataFileError(name, number, f"unknown placeholder {{{sorted(unknown)[0]}}} in the title")
        _duplicate(name, seen, (code, normalize(title)), number, "title")
        out.append(OfficeRow(number, code, title, person))
    return out


def parse_countries(name="countries.tsv", text=None):
    """Return the :data:`CountryRow` s of the country table.

    ``code <TAB> kind <TAB> forms``; code is an ISO code, or "-" for the
    kinds that name no country (block, deny, deny_demonym).  A label has
    two forms, an implicit phrase is followed by ISO codes, and no form is
    listed twice for the same code and kind.
    """
    out, seen = [], {}
    for number, (code, kind, field) in rows(name, 3, text):
        if kind not in COUNTRY_KINDS:
            raise DataFileError(name, number, f"unknown kind {kind!r}")
        if not (CODE.fullmatch(code) or code == NO_COUNTRY and kind in ("block", "deny", "deny_demonym")):
            raise DataFileError(name, number, f"code {code!r} does not fit kind {kind!r}")
        forms = forms_of(field)
        if kind == "label" and len(forms) != 2:
            raise DataFileError(name, number, "a label is 'Arabic | English'")
        if kind == "implicit" and not all(CODE.fullmatch(c) for c in forms[1:]):
            raise DataFileError(name, number, "an implicit phrase is followed by country codes")
        for form in forms[1:] if kind == "implicit" else forms:
            key = normalize(form) if kind != "label" else form
            _duplicate(name, seen, (code, kind, key), number, f"{kind} form")
        out.append(CountryRow(number, code, kind, forms))
    return out


def parse_triggers(name="triggers.tsv", text=None):
    """Return ``{kind: frozenset(normalized words)}`` from the trigger table
    (``kind <TAB> words``); a word listed twice for one kind is an error."""
    out, seen = {}, {}
    for number, (kind, words) in rows(name, 2, text):
        if kind not in TRIGGER_KINDS:
            raise DataFileError(name, number, f"unknown kind {kind!r}")
        for word in words.split():
            _duplicate(name, seen, (kind, normalize(word)), number, f"{kind} word")
            out.setdefault(kind, set()).add(normalize(word))
    return {kind: frozenset(words) for kind, words in out.items()}


def parse_words(name, text=None):
    """Return the normalized words of a word list; a repeat is an error."""
    seen = {}
    for number, line in numbered_lines(name, text):
        for word in line.split():
            _duplicate(name, seen, normalize(word), number, "word")
    return frozenset(seen)


def parse_phrases(name, text=None):
    """Return the normalized phrases of a one-phrase-a-line file."""
    seen = {}
    for number, line in numbered_lines(name, text):
        _duplicate(name, seen, normalize(line), number, "phrase")
    return frozenset(seen)


def parse_clusters(name, text=None):
    """Check a cluster map (``word <TAB> cluster id`` lines, ``#parents``
    lines of ids); return its number of words."""
    if text is None:
        with gzip.open(data_path(name).open("rb"), "rt", encoding="utf-8") as f:
            text = f.read()
    words = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line or line.startswith(COMMENT):
            if line.startswith("#parents") and not all(x.isdigit() for x in line.split()[1:]):
                raise DataFileError(name, number, "a #parents line holds cluster ids")
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[1].isdigit():
            raise DataFileError(name, number, "expected 'word<TAB>cluster id'")
        _duplicate(name, words, parts[0], number, "word")
    return len(words)


# Every data file and the parser that reads it; check_all fails on a file
# that has none, so a new table cannot ship unchecked.
PARSERS = {
    "actors.tsv": parse_actors,
    "clubs.tsv": parse_clubs,
    "offices.tsv": parse_offices,
    "countries.tsv": parse_countries,
    "triggers.tsv": parse_triggers,
    "first_names.txt": parse_words,
    "generic_phrases.txt": parse_phrases,
    "clusters.tsv.gz": parse_clusters,
    "embedding_clusters.tsv.gz": parse_clusters,
}
BINARY = frozenset({"ner.crfsuite.xz", MODEL_INPUTS_FILE})


def check_all():
    """Parse every data file (``DataFileError`` at the first bad row) and
    return the names checked."""
    names = sorted(p.name for p in DATA.iterdir() if p.is_file() and not p.name.startswith("."))
    for name in names:
        if name in BINARY:
            continue
        parser = PARSERS.get(name)
        if parser is None:
            raise DataFileError(name, 0, "no parser checks this data file (add one to resources.PARSERS)")
        parser(name)
    from analyzers.entities.gazetteer import check_offices

    check_offices()
    return names


# -- the model's inputs ---------------------------------------------------------

def input_hashes():
    """Return ``{file: sha256}`` of the data files the CRF's features read."""
    return {name: hashlib.sha256(data_path(name).read_bytes()).hexdigest() for name in MODEL_INPUTS}


def recorded_hashes():
    """Return the hashes recorded when the packaged model was trained ({}
    when no record ships)."""
    path = data_path(MODEL_INPUTS_FILE)
    if not path.is_file():
        return {}
    return json.loads(path.read_text("utf-8")).get("inputs", {})


def stale_model_inputs():
    """Return the model inputs that changed since the model was trained."""
    recorded = recorded_hashes()
    return sorted(name for name, digest in input_hashes().items() if recorded.get(name) != digest)


FIRST_NAMES = parse_words("first_names.txt")
TRIGGERS = parse_triggers()
PERSON_TITLES = TRIGGERS["person"]


def load_words(name):
    """Return the normalized words of data file ``name`` as a frozenset."""
    return parse_words(name)


def read_table(name):
    """Yield ``(key, kind, forms)`` rows of a ``key<TAB>kind<TAB>a | b`` file."""
    for row in parse_countries(name):
        yield row.code, row.kind, row.forms
