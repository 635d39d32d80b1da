"""Word lists kept as data, read once at import."""

from importlib import resources

from analyzers.normalize import normalize


def read_lines(name):
    """Yield the non-blank lines of data file ``name``, comments removed."""
    text = resources.files(__name__).joinpath(name).read_text("utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


def load_words(name):
    """Return the normalized words of data file ``name`` as a frozenset."""
    return frozenset(normalize(w) for line in read_lines(name) for w in line.split())
