"""The index folder: what marks it as the archive's, and opening it to read.

Kept apart from :mod:`indexer.writer` so that searching (a one-word
``archive query`` in a fresh process) imports nothing of indexing.
"""

import json
from pathlib import Path

from whoosh import index

from analyzers.analysis import analysis_fingerprint
from indexer import schema as S
from indexer.errors import IndexMissing, IndexStale, NotAnArchiveIndex
from indexer.whoosh_internals import open_for_reading

MARKER = "archive-index.json"
INDEX_NAME = "MAIN"


def _visible_entries(path):
    return [p for p in path.iterdir() if not p.name.startswith(".")]


def check_index_dir(index_dir):
    """Return True if ``index_dir`` holds an archive index, False if it is
    missing or empty; raise NotAnArchiveIndex for anything else.

    Whoosh unpickles the schema it finds, so a folder this archive did not
    create is untrusted code: it is refused, not opened.
    """
    path = Path(index_dir)
    if not path.exists() or not _visible_entries(path):
        return False
    if not path.is_dir():
        raise NotAnArchiveIndex(index_dir, "not a folder")
    marker = path / MARKER
    if not marker.exists():
        raise NotAnArchiveIndex(index_dir, f"it has files but no {MARKER}")
    try:
        info = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise NotAnArchiveIndex(index_dir, f"unreadable {MARKER}: {e}") from None
    if info.get("schema_version") != S.SCHEMA_VERSION:
        raise NotAnArchiveIndex(
            index_dir,
            f"schema version {info.get('schema_version')} but this archive writes "
            f"{S.SCHEMA_VERSION}; rebuild it into an empty folder",
        )
    if info.get("analysis") not in (None, analysis_fingerprint()):
        raise IndexStale(index_dir)
    return index.exists_in(index_dir, indexname=INDEX_NAME)


def open_index(index_dir):
    """Open an existing archive index for reading, or raise IndexMissing."""
    if not check_index_dir(index_dir):
        raise IndexMissing(index_dir)
    # Segments are read through one memory map each, without the copies
    # Whoosh's own storage makes (see indexer.whoosh_internals).
    return open_for_reading(index_dir, INDEX_NAME)


