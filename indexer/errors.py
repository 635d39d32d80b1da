"""Domain errors, raised in ``indexer`` and translated only at the edges
(click exceptions in the CLI, JSON/HTML error pages in the web app), and
the notices a search gives about what it repaired."""

from dataclasses import dataclass


class ArchiveError(Exception):
    """Base class for the archive's own errors."""


class IndexMissing(ArchiveError):
    def __init__(self, index_dir):
        self.index_dir = index_dir
        super().__init__(
            f"no archive index in {index_dir}: build one with 'archive index SOURCES'"
        )


class NotAnArchiveIndex(ArchiveError):
    def __init__(self, index_dir, reason):
        self.index_dir = index_dir
        super().__init__(
            f"{index_dir} is not an index this archive created ({reason}); "
            "an index folder is trusted code (Whoosh unpickles its schema), "
            "so the archive will not open or overwrite it"
        )


class IndexStale(ArchiveError):
    def __init__(self, index_dir):
        self.index_dir = index_dir
        super().__init__(
            f"{index_dir} was built with other Arabic analysis rules than this version "
            "of the archive uses, so searches would miss words; rebuild it: "
            f"archive --index-dir NEW_FOLDER index SOURCES"
        )


class IndexBusy(ArchiveError):
    def __init__(self, index_dir, waited):
        self.index_dir = index_dir
        super().__init__(
            f"another 'archive index' is writing to {index_dir} "
            f"(waited {waited:.0f}s); try again when it has finished"
        )


@dataclass(frozen=True)
class Notice:
    """Something a search repaired, dropped or bounded, to be said to the user.

    ``code`` says which (callers word it in their own language, the web page
    in Arabic); ``message`` says it in English; ``value`` is the text or
    parameter concerned.
    """

    code: str
    message: str
    value: str = ""

    def to_dict(self):
        return {"code": self.code, "message": self.message, "value": self.value}


class QueryError(ArchiveError):
    """A query the parser cannot read, or one out of bounds.

    ``kind`` says which, for callers that explain it in their own words:
    "empty", "too_long", "syntax", "no_terms", "timeout", "cancelled" or
    "parameter"; ``notices`` what was dropped on the way (a query of
    prefixes too short to search has nothing left).
    """

    def __init__(self, message, kind="parameter", notices=()):
        super().__init__(message)
        self.kind = kind
        self.notices = list(notices)


class SourceError(ArchiveError):
    """A source path that cannot be read at all (missing, not a file we read)."""
