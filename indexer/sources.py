"""Display names of news sources: ``aawsat`` is shown as الشرق الأوسط.

An article's ``source`` is a key (``okaz``, ``aawsat``), which is what the
index stores and the source facet filters on; people read the paper's
name.  The names come from a table of ``key TAB Arabic name TAB English
name`` lines: the one shipped in ``indexer/data/sources.tsv`` (SaudiNewsNet's
fourteen papers), then, overriding it key by key, a ``sources.tsv`` of the
same shape in the index folder, which a user edits to name their own
sources.  Keys match ignoring case; a key in neither table shows as itself.

    >>> source_label("aawsat")
    ('الشرق الأوسط', 'Asharq Al-Awsat')
    >>> source_label("my-blog")
    ('my-blog', '')

A bad line in a user's table is skipped and reported (``problems``, naming
the file and line), never raised: a typo in a display name must not take
the search page down.
"""

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SOURCES_FILE = "sources.tsv"
BUILTIN_TABLE = Path(__file__).resolve().parent / "data" / SOURCES_FILE
SHAPE = "key TAB Arabic name TAB English name"


def _key(value):
    return value.strip().casefold()


def read_source_table(path):
    """Return ({key: (ar, en)}, [problem]) for the table at ``path``.

    Blank lines and lines starting with ``#`` are skipped; the English name
    may be left out.  Each problem is a sentence naming ``path`` and the
    line; the line it is about is not used.
    """
    names = {}
    problems = []
    first_line = {}
    try:
        # utf-8-sig: a table saved by a spreadsheet starts with a BOM.
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        return {}, [f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8"]
    except OSError as e:
        return {}, [f"{path}: cannot be read ({e.strerror or e})"]
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        where = f"{path} line {number}"
        if len(fields) not in (2, 3):
            found = f"{len(fields)} field{'s' if len(fields) != 1 else ''}"
            hint = " (are the fields separated by tabs?)" if len(fields) == 1 else ""
            problems.append(f"{where}: expected {SHAPE}, found {found}{hint}")
            continue
        key, ar = fields[0], fields[1]
        en = fields[2] if len(fields) == 3 else ""
        if not key:
            problems.append(f"{where}: the key (field 1) is empty")
            continue
        if not ar:
            problems.append(f"{where}: the Arabic name (field 2) of {key!r} is empty")
            continue
        if _key(key) in first_line:
            problems.append(f"{where}: {key!r} is already named on line {first_line[_key(key)]}; "
                            "this later line is used")
        first_line.setdefault(_key(key), number)
        names[_key(key)] = (ar, en)
    return names, problems


@dataclass(frozen=True)
class SourceNames:
    """Source keys → (Arabic, English) names, and the problems met reading them."""

    names: dict = field(default_factory=dict)
    problems: tuple = ()

    def label(self, value):
        """(Arabic, English) for a source key; an unknown key is ``(value, "")``."""
        if value is None:
            return "", ""
        return self.names.get(_key(value), (value, ""))


@functools.lru_cache(maxsize=1)
def _builtin():
    names, problems = read_source_table(BUILTIN_TABLE)
    # The shipped table is tested; a problem here is a packaging bug.
    for problem in problems:
        log.error("%s", problem)
    return names


@functools.lru_cache(maxsize=16)
def _load(user_table, stamp):
    names = dict(_builtin())
    problems = ()
    if user_table is not None:
        user, found = read_source_table(user_table)
        names.update(user)
        problems = tuple(found)
        for problem in problems:
            # Once per version of the file (the cache key has its mtime).
            log.warning("source names: %s", problem)
    return SourceNames(names, problems)


def source_names(index_dir=None):
    """The :class:`SourceNames` for an index: the shipped table plus its folder's ``sources.tsv``.

    Cheap to call per request: the tables are read again only when the
    user's file changes (its modification time and size are the cache key).
    """
    if index_dir is not None:
        table = Path(index_dir) / SOURCES_FILE
        try:
            stat = table.stat()
        except OSError:
            pass
        else:
            return _load(str(table), (stat.st_mtime_ns, stat.st_size))
    return _load(None, None)


def source_label(value, index_dir=None):
    """(Arabic, English) display names of the source key ``value``; see :func:`source_names`."""
    return source_names(index_dir).label(value)
