"""Read articles from files, folders and zip archives of news dumps.

Formats, chosen by file extension:

* ``.txt``: one article; the first non-blank line is the title.
* ``.json``: one article object, an array of them, or an object holding one
  array of them (``{"articles": [...]}``).
* ``.jsonl`` / ``.ndjson``: one article object a line.
* ``.csv``: a header row, then one article a row.
* ``.zip``: any of the above inside, nested archives included (up to
  ``MAX_ZIP_DEPTH``), with limits on what an archive may expand to.

Record fields are found by their common names (see ``FIELD_NAMES``), or by
``--map FIELD=NAME``.  Every problem is yielded as a :class:`Problem` naming
the file, line and field, and reading goes on with the next record: one bad
record never costs the good ones.
"""

import csv
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from indexer.dates import parse_date
from indexer.errors import SourceError

SUPPORTED = (".txt", ".json", ".jsonl", ".ndjson", ".csv", ".zip")

# The names a dump may give each field, most specific first; matched
# case-insensitively.  ``--map FIELD=NAME`` puts NAME in front.
FIELD_NAMES = {
    "id": ("id", "docno", "doc_id", "docid", "guid", "_id", "uuid"),
    "title": ("title", "headline", "heading", "subject"),
    "body": ("content", "text", "body", "article", "story", "full_text"),
    "date": (
        "date", "date_extracted", "published", "published_at", "publish_date",
        "pubdate", "date_published", "time", "datetime", "timestamp", "created_at",
    ),
    "source": ("source", "src", "publisher", "newspaper", "site", "outlet"),
    "author": ("author", "authors", "byline", "writer"),
    "url": ("url", "link", "href", "permalink"),
}

# A body longer than this is cut (with a warning): past a few hundred pages
# of text an "article" is a mis-split dump, and Whoosh would hold it all.
MAX_BODY_CHARS = 2_000_000
MAX_ZIP_DEPTH = 3
# What one archive may expand to, members and nested archives included.
MAX_ZIP_BYTES = 4 << 30
MAX_MEMBER_BYTES = 1 << 30
# A member that compresses better than this is a zip bomb, not news.
MAX_ZIP_RATIO = 200

# Arabic letters, for telling a cp1256 legacy file from random bytes.
_ARABIC = range(0x0600, 0x0700)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str
    date: datetime | None
    source: str
    author: str
    url: str
    origin: str


@dataclass(frozen=True)
class Problem:
    """Something wrong with a source: ``skipped`` loses a record (or a whole
    file), ``warning`` keeps it with a change (a dropped date, a cut body)."""

    origin: str
    reason: str
    severity: str = "skipped"

    def __str__(self):
        return f"{self.origin}: {self.reason}"


class FieldMap:
    """Finds each article field among a record's keys."""

    def __init__(self, overrides=None):
        self.names = {field: list(names) for field, names in FIELD_NAMES.items()}
        for field, name in (overrides or {}).items():
            if field not in self.names:
                raise SourceError(
                    f"--map {field}={name}: unknown field {field!r} "
                    f"(one of {', '.join(FIELD_NAMES)})"
                )
            self.names[field].insert(0, name)

    def find(self, record, field):
        """Return (key, value) of ``field`` in ``record``, or (None, None)."""
        lowered = {k.lower(): k for k in record if isinstance(k, str)}
        for name in self.names[field]:
            key = lowered.get(name.lower())
            if key is not None:
                return key, record[key]
        return None, None


def parse_field_map(specs):
    """Turn ``["title=headline", ...]`` into a dict, or raise SourceError."""
    overrides = {}
    for spec in specs or ():
        field, sep, name = spec.partition("=")
        if not sep or not field.strip() or not name.strip():
            raise SourceError(f"--map {spec!r}: expected FIELD=NAME, e.g. title=headline")
        overrides[field.strip().lower()] = name.strip()
    return FieldMap(overrides)


def content_hash(title, body):
    return hashlib.sha1(f"{title}\n{body}".encode("utf-8")).hexdigest()[:20]


def _text_field(record, field, key, value, origin, problems):
    """Return ``value`` as stripped text, or None with a problem noted."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and field in ("id",):
        return str(value)
    if isinstance(value, list) and field == "author" and all(isinstance(v, str) for v in value):
        return ", ".join(v.strip() for v in value if v.strip())
    problems.append(
        Problem(origin, f"field {key!r} ({field}) must be text, got {type(value).__name__}")
    )
    return None


def to_article(record, origin, field_map):
    """Return (Article or None, problems) for one decoded record."""
    if not isinstance(record, dict):
        return None, [Problem(origin, f"expected an object, got {type(record).__name__}")]
    problems = []
    values = {}
    for field in ("id", "title", "body", "source", "author", "url"):
        key, value = field_map.find(record, field)
        text = _text_field(record, field, key, value, origin, problems)
        if text is None:
            return None, problems
        values[field] = text
    if not values["body"]:
        key, _ = field_map.find(record, "body")
        where = f"field {key!r} is empty" if key else (
            "no text field (looked for " + ", ".join(field_map.names["body"][:4]) + ")"
        )
        if not values["title"]:
            return None, [Problem(origin, f"missing text: {where}, and no title")]
        # Dumps hold title-only items (captions, infographics): they are
        # still news a reader may look for, so they go in by their title.
        problems.append(Problem(origin, f"no body text ({where}); indexed by its title", "warning"))
    if len(values["body"]) > MAX_BODY_CHARS:
        problems.append(Problem(
            origin,
            f"text is {len(values['body']):,} characters; indexed the first {MAX_BODY_CHARS:,}",
            "warning",
        ))
        values["body"] = values["body"][:MAX_BODY_CHARS]
    date = None
    key, raw = field_map.find(record, "date")
    if raw not in (None, ""):
        try:
            date = parse_date(raw)
        except ValueError as e:
            problems.append(Problem(origin, f"field {key!r}: {e}; indexed without a date", "warning"))
    doc_id = values["id"] or values["url"] or content_hash(values["title"], values["body"])
    article = Article(
        id=doc_id,
        title=values["title"],
        body=values["body"],
        date=date,
        source=values["source"],
        author=values["author"],
        url=values["url"],
        origin=origin,
    )
    return article, problems


def decode(data, name):
    """Return (text, problems) for the bytes of file ``name``.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read as they are;
    text that is not UTF-8 but reads as Arabic in Windows-1256 (the legacy
    Arabic code page) is read as such with a warning; anything else is a
    clear error naming the first bad byte.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as e:
            return None, [Problem(name, f"invalid UTF-16 at byte {e.start}")]
    if b"\x00" in data[:65536]:
        return None, [Problem(name, "binary file (NUL bytes), not text")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as e:
        bad_line = data.count(b"\n", 0, e.start) + 1
        error = f"not UTF-8 (invalid byte 0x{data[e.start]:02x} on line {bad_line})"
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        return None, [Problem(name, error)]
    high = [ch for ch in text if ord(ch) > 127]
    arabic = sum(1 for ch in high if ord(ch) in _ARABIC)
    if high and arabic / len(high) >= 0.8:
        return text, [Problem(name, f"{error}; read as Windows-1256 Arabic", "warning")]
    return None, [Problem(name, error)]


class _LineCounter:
    """Line numbers for offsets visited in increasing order, in linear time."""

    def __init__(self, text):
        self.text = text
        self.pos = 0
        self.line = 1

    def at(self, pos):
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _records_json(text, name):
    decoder = json.JSONDecoder()
    lines = _LineCounter(text)
    stripped = text.lstrip()
    if not stripped:
        yield Problem(name, "empty file")
        return
    if stripped[0] != "[":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            yield Problem(f"{name}:{e.lineno}", f"malformed JSON: {e.msg}")
            return
        arrays = [v for v in value.values() if isinstance(v, list)] if isinstance(value, dict) else []
        if isinstance(value, dict) and len(arrays) == 1 and all(isinstance(v, dict) for v in arrays[0]):
            key = next(k for k, v in value.items() if v is arrays[0])
            for i, item in enumerate(arrays[0]):
                yield f"{name}:{key}[{i}]", item
        else:
            yield f"{name}:1", value
        return
    # An array: decode one element at a time, so a broken element is
    # reported with its line and the elements before it are kept.
    pos = text.index("[") + 1
    index = 0
    end = len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos < end and text[pos] == "]":
            return
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            where = lines.at(e.pos) if e.pos >= lines.pos else e.lineno
            reason = "truncated JSON array" if e.pos >= end else f"malformed JSON: {e.msg}"
            yield Problem(f"{name}:{where}", f"{reason}; the rest of the file is skipped")
            return
        yield f"{name}:{lines.at(pos)} [{index}]", value
        index += 1
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos < end and text[pos] == ",":
            pos += 1
        elif pos < end and text[pos] == "]":
            return
        else:
            yield Problem(f"{name}:{lines.at(pos)}", "malformed JSON: expected ',' or ']' "
                          "between array elements; the rest of the file is skipped")
            return


def _records_jsonl(text, name):
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"{name}:{lineno}", json.loads(line)
        except json.JSONDecodeError as e:
            yield Problem(f"{name}:{lineno}", f"malformed JSON line: {e.msg} (column {e.colno})")


def _records_csv(text, name):
    csv.field_size_limit(MAX_BODY_CHARS * 4)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        yield Problem(name, "empty file")
        return
    except csv.Error as e:
        yield Problem(f"{name}:1", f"malformed CSV header: {e}")
        return
    header = [h.strip() for h in header]
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield Problem(f"{name}:{start}", f"malformed CSV: {e}")
            return
        origin = f"{name}:{start}"
        start = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(origin, f"row has {len(row)} fields, the header has {len(header)}")
            continue
        yield origin, dict(zip(header, row))


def _records_txt(text, name):
    lines = text.strip().splitlines()
    if not lines:
        yield Problem(name, "empty file")
        return
    title = lines[0].strip()
    body = "\n".join(lines[1:]).strip()
    if not body:
        # A one-paragraph file is all body; a title alone would hide it.
        title, body = "", title
    yield f"{name}:1", {"title": title, "content": body}


_PARSERS = {
    ".json": _records_json,
    ".jsonl": _records_jsonl,
    ".ndjson": _records_jsonl,
    ".csv": _records_csv,
    ".txt": _records_txt,
}


def _extension(name):
    return os.path.splitext(name)[1].lower()


def _read_bytes(data, name, field_map, depth):
    ext = _extension(name)
    if ext == ".zip":
        yield from _read_zip(io.BytesIO(data), name, field_map, depth + 1)
        return
    text, problems = decode(data, name)
    yield from problems
    if text is None:
        return
    for item in _PARSERS[ext](text, name):
        if isinstance(item, Problem):
            yield item
            continue
        origin, record = item
        article, problems = to_article(record, origin, field_map)
        yield from problems
        if article is not None:
            yield article


def _read_zip(fileobj, name, field_map, depth):
    if depth > MAX_ZIP_DEPTH:
        yield Problem(name, f"archive nested more than {MAX_ZIP_DEPTH} deep; skipped")
        return
    try:
        archive = zipfile.ZipFile(fileobj)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        yield Problem(name, f"not a readable zip archive ({e})")
        return
    total = 0
    with archive:
        for info in sorted(members, key=lambda i: i.filename):
            member = f"{name}:{info.filename}"
            base = os.path.basename(info.filename)
            if info.is_dir() or base.startswith(".") or info.filename.startswith("__MACOSX/"):
                continue
            if _extension(info.filename) not in SUPPORTED:
                # Dumps carry READMEs and licences: not articles, not lost.
                yield Problem(
                    member, f"unsupported file type {_extension(info.filename) or '(none)'!r}; ignored",
                    "warning",
                )
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            total += info.file_size
            if info.file_size > MAX_MEMBER_BYTES or total > MAX_ZIP_BYTES or ratio > MAX_ZIP_RATIO:
                yield Problem(member, (
                    f"expands to {info.file_size:,} bytes (ratio {ratio:.0f}:1), past the "
                    f"archive limits ({MAX_MEMBER_BYTES:,} bytes a member, "
                    f"{MAX_ZIP_BYTES:,} an archive, {MAX_ZIP_RATIO}:1); skipped"
                ))
                continue
            try:
                with archive.open(info) as f:
                    data = f.read(MAX_MEMBER_BYTES + 1)
            except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as e:
                yield Problem(member, f"cannot be read from the archive ({e})")
                continue
            except RuntimeError as e:  # encrypted members
                yield Problem(member, f"cannot be read from the archive ({e})")
                continue
            yield from _read_bytes(data, member, field_map, depth)


def iter_files(paths):
    """Yield (path, explicit) for every source file under ``paths``.

    Folders are walked recursively in sorted order, hidden entries and
    unsupported extensions skipped; a file named explicitly is always read.
    Raises SourceError for a path that does not exist.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise SourceError(f"{raw}: no such file or folder")
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith(".") and _extension(f) in SUPPORTED:
                        yield Path(root) / f, False
        else:
            yield path, True


def read_sources(paths, field_map=None):
    """Yield an :class:`Article` or a :class:`Problem` for everything in ``paths``."""
    field_map = field_map or FieldMap()
    for path, _ in iter_files(paths):
        name = str(path)
        if _extension(name) not in SUPPORTED:
            yield Problem(name, f"unsupported file type {_extension(name) or '(none)'!r} "
                          f"(reads {', '.join(SUPPORTED)})")
            continue
        try:
            if _extension(name) == ".zip":
                with open(path, "rb") as f:
                    yield from _read_zip(f, name, field_map, 1)
                continue
            data = path.read_bytes()
        except OSError as e:
            yield Problem(name, f"cannot be read ({e.strerror or e})")
            continue
        yield from _read_bytes(data, name, field_map, 0)
