"""Load the recogniser's data files (gazetteers, triggers, clusters, model).

Everything here is read once per process, at first use of a module-level
table, from ``analyzers/entities/data`` inside the installed package.
"""

from importlib import resources

from analyzers.normalize import normalize

DATA = resources.files("analyzers.entities") / "data"


def data_path(name):
    """Return a traversable path to data file ``name``."""
    return DATA / name


def read_lines(name):
    """Yield the non-blank lines of data file ``name``, comments removed."""
    for line in data_path(name).read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


def read_table(name):
    """Yield ``(key, kind, forms)`` rows of a ``key<TAB>kind<TAB>a | b`` file."""
    for line in read_lines(name):
        key, kind, forms = line.split("\t")
        yield key.strip(), kind.strip(), [f.strip() for f in forms.split("|") if f.strip()]


def load_words(name):
    """Return the normalized words of data file ``name`` as a frozenset."""
    return frozenset(normalize(w) for line in read_lines(name) for w in line.split())


def load_triggers(name="triggers.tsv"):
    """Return ``{kind: frozenset(normalized words)}`` from the trigger table."""
    out = {}
    for line in read_lines(name):
        kind, words = line.split("\t", 1)
        out.setdefault(kind, set()).update(normalize(w) for w in words.split())
    return {kind: frozenset(words) for kind, words in out.items()}


FIRST_NAMES = load_words("first_names.txt")
TRIGGERS = load_triggers()
PERSON_TITLES = TRIGGERS["person"]
