"""A user's corrections to the entity facets, applied at query time.

An index folder may hold ``curation.tsv``, a plain-text file a user edits
by hand or with ``archive entities merge|rename|hide``: one change a line,
tab-separated, ``#`` starting a comment::

    merge	actor	حزب الله	حزب الله اللبناني	ميليشيا حزب الله
    rename	actor	حزب الله	حزب الله (لبنان)
    hide	actor	صحيفة الوئام
    hide	country	IL

``merge`` makes the later values one facet value with the first (filtering
by it finds the articles of all of them); ``rename`` changes the label a
value is shown with (the value itself, and links to it, stay); ``hide``
removes a value everywhere: facets, filters, document pages, the API.  The
facets are ``actor`` (values as the actor facet shows them) and
``country`` (ISO codes).  Nothing is re-indexed: the search service reads
the file again whenever it changes, so a running ``archive serve`` shows a
change on the next page.  A file that cannot be read is reported with its
line, and the service keeps the last good version.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import ArchiveError

FILENAME = "curation.tsv"
FACETS = ("actor", "country")
# action -> (fewest values after the facet, most; None: no limit)
ACTIONS = {"merge": (2, None), "rename": (2, 2), "hide": (1, 1)}
HEADER = (
    "# Entity curation for this index (see 'archive entities --help').\n"
    "# One change a line, tab-separated: merge FACET VALUE OTHER..., rename FACET VALUE LABEL,\n"
    "# hide FACET VALUE; FACET is actor or country.\n"
)


class CurationError(ArchiveError):
    """A curation file line that cannot be used."""

    def __init__(self, path, line, message):
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class Curation:
    """The changes of one curation file, resolved."""

    merged: dict = field(default_factory=dict)   # facet -> {value: canonical value}
    labels: dict = field(default_factory=dict)   # facet -> {value: label}
    hidden: dict = field(default_factory=dict)   # facet -> frozenset of values
    version: tuple = ()

    def __bool__(self):
        return bool(self.merged or self.labels or self.hidden)

    def canonical(self, facet, value):
        """The value ``value`` is counted and filtered as, or None if hidden."""
        value = self.merged.get(facet, {}).get(value, value)
        return None if value in self.hidden.get(facet, ()) else value

    def label(self, facet, value, default=None):
        return self.labels.get(facet, {}).get(value, value if default is None else default)

    def names_of(self, facet, value):
        """The values merged into ``value`` (itself included)."""
        merged = self.merged.get(facet, {})
        return [value] + sorted(v for v, c in merged.items() if c == value and v != value)


EMPTY = Curation()


def parse(text, path=FILENAME):
    """Return the :class:`Curation` of a file's ``text``; raise CurationError."""
    merges = {f: {} for f in FACETS}
    labels = {f: {} for f in FACETS}
    hidden = {f: set() for f in FACETS}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in raw.rstrip("\n").split("\t")]
        parts = [p for p in parts if p]
        action = parts[0].lower()
        if action not in ACTIONS:
            raise CurationError(path, lineno, f"unknown change {parts[0]!r}: use merge, rename or hide")
        if len(parts) < 2 or parts[1].lower() not in FACETS:
            raise CurationError(path, lineno, f"{action}: the second column must be actor or country "
                                              "(columns are separated by tabs)")
        facet, values = parts[1].lower(), parts[2:]
        fewest, most = ACTIONS[action]
        if len(values) < fewest or (most is not None and len(values) > most):
            wanted = {"merge": "a value and at least one other to merge into it",
                      "rename": "a value and its new label", "hide": "one value"}[action]
            raise CurationError(path, lineno, f"{action} takes {wanted}, got {len(values)}")
        if action == "merge":
            target = values[0]
            for other in values[1:]:
                if other == target:
                    continue
                if merges[facet].get(other, target) != target:
                    raise CurationError(path, lineno, f"{other!r} is already merged into "
                                                      f"{merges[facet][other]!r}")
                merges[facet][other] = target
        elif action == "rename":
            labels[facet][values[0]] = values[1]
        else:
            hidden[facet].add(values[0])
    for facet in FACETS:
        merges[facet] = _resolved(merges[facet], path)
    return Curation(
        merged={f: m for f, m in merges.items() if m},
        labels={f: m for f, m in labels.items() if m},
        hidden={f: frozenset(h) for f, h in hidden.items() if h},
    )


def _resolved(merges, path):
    """Follow chains (a into b, b into c: a into c); a cycle is an error."""
    out = {}
    for value in merges:
        seen = [value]
        target = merges[value]
        while target in merges:
            if target in seen:
                raise CurationError(path, 0, f"merges go round in a circle: {' -> '.join(seen + [target])}")
            seen.append(target)
            target = merges[target]
        out[value] = target
    return out


def path_of(index_dir):
    return Path(index_dir) / FILENAME


def load(index_dir):
    """The curation of ``index_dir`` (EMPTY without a file); raise CurationError."""
    path = path_of(index_dir)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return EMPTY
    except (OSError, UnicodeDecodeError) as e:
        raise CurationError(path, 0, f"cannot be read ({e})") from None
    return parse(text, path)


def append(index_dir, action, facet, values):
    """Add one change to the file, checking the whole file first; the file
    is replaced atomically, so a running server never reads half of it."""
    path = path_of(index_dir)
    try:
        old = path.read_text("utf-8")
    except FileNotFoundError:
        old = HEADER
    line = "\t".join([action, facet, *values])
    new = old + ("" if old.endswith("\n") or not old else "\n") + line + "\n"
    parse(new, path)
    tmp = path.with_name(f".{FILENAME}.{os.getpid()}.tmp")
    tmp.write_text(new, "utf-8")
    os.replace(tmp, path)


class Watcher:
    """The current curation of an index folder, read again when the file
    changes; a bad file keeps the last good one (``error`` says why)."""

    def __init__(self, index_dir):
        self.index_dir = index_dir
        self._stamp = None
        self._current = EMPTY
        self.error = None

    def current(self):
        path = path_of(self.index_dir)
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                found = load(self.index_dir) if stamp else EMPTY
            except CurationError as e:
                self.error = e
            else:
                self.error = None
                self._current = Curation(found.merged, found.labels, found.hidden, version=stamp or ())
        return self._current
