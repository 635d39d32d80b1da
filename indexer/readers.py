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
``--map FIELD=NAME``; text fields are cleaned of markup and ids made from
canonical URLs as they are read (:mod:`indexer.cleaning`).

Every problem is yielded as a :class:`Problem` naming the file, line and
field, and reading goes on with the next record: one bad record never costs
the good ones, and one hostile file never stops a run.  What
``read_sources`` returns is a generator, and an exception inside a
generator ends it for good, so errors are contained here, at three levels:

* a record: a JSON element or line nested past ``MAX_JSON_DEPTH`` is
  skipped before Python's recursive parser sees it, a number of more than
  ``MAX_INT_DIGITS`` digits is kept as a :class:`HugeNumber` (a problem only
  in a field that is read), and whatever else one record raises becomes a
  problem for that record;
* a file or an archive member: whatever reading it raises (memory, a zip
  library error, a bug of ours) becomes a problem naming it, after the
  records it already gave;
* a folder walk: FIFOs, devices and sockets are reported, never opened for
  reading (they could block the run); symlinked folders are followed, each
  real folder once (by device and inode), so a link loop is reported, not
  walked forever; a file met twice through links is read once; a folder
  or file that vanishes or cannot be read mid-run is a problem.

Names in problems are made printable: control characters, bidi overrides
and undecodable bytes of a file or member name are shown escaped.
"""

import csv
import hashlib
import io
import json
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime

from indexer.cleaning import canonical_url, clean_text, replace_surrogates
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
# A title past this is a body in the wrong field; it is cut like a body.
MAX_TITLE_CHARS = 2_000
# Python's json parser recurses once a nesting level: 100,000 "[" raise
# RecursionError (or, under a raised recursion limit, overflow the C stack
# and kill the process).  News records nest three or four levels deep.
MAX_JSON_DEPTH = 64
# Longer integers are no value a news record holds, and int() of a long
# digit string is quadratic (Python refuses past 4,300 digits).
MAX_INT_DIGITS = 1000
# One file (not an archive: a zip is read member by member) is read whole;
# its text and records take a few times its size in memory.
MAX_FILE_BYTES = 1 << 30
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

    def __reduce__(self):
        # Pickled (to the worker processes) with its text as UTF-8 bytes:
        # pickling a str makes CPython keep a UTF-8 copy inside it for as
        # long as it lives, which added ~100 MB to a caller holding all of
        # SaudiNewsNet's articles.  Encoding a copy keeps none.
        return _unpickle_article, tuple(
            value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
            for value in (self.id, self.title, self.body, self.date, self.source, self.author, self.url, self.origin)
        )


def _unpickle_article(*values):
    return Article(*(
        value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value for value in values
    ))


@dataclass(frozen=True)
class Problem:
    """Something wrong with a source: ``skipped`` loses a record (or a whole
    file), ``warning`` keeps it with a change (a dropped date, a cut body)."""

    origin: str
    reason: str
    severity: str = "skipped"

    def __str__(self):
        return f"{self.origin}: {self.reason}"


class HugeNumber:
    """A JSON integer of more than ``MAX_INT_DIGITS`` digits, kept as its
    length: a problem only if it is in a field the archive reads."""

    __slots__ = ("digits",)

    def __init__(self, digits):
        self.digits = digits

    def __repr__(self):
        return f"a number of {self.digits:,} digits"


def _parse_int(digits):
    return HugeNumber(len(digits)) if len(digits) > MAX_INT_DIGITS else int(digits)


_JSON = json.JSONDecoder(parse_int=_parse_int)


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
        # Ids and URLs are names, kept as written (but for lone surrogates,
        # which a JSON "\\ud800" escape makes and no index can encode).
        return (replace_surrogates(value) if field in ("id", "url") else clean_text(value)).strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and field == "id":
        return str(value)
    if isinstance(value, list) and field == "author" and all(isinstance(v, str) for v in value):
        return ", ".join(v for v in (clean_text(v).strip() for v in value) if v)
    got = repr(value) if isinstance(value, HugeNumber) else type(value).__name__
    problems.append(Problem(origin, f"field {key!r} ({field}) must be text, got {got}"))
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
    for field, limit in (("body", MAX_BODY_CHARS), ("title", MAX_TITLE_CHARS)):
        if len(values[field]) > limit:
            problems.append(Problem(
                origin,
                f"{'text' if field == 'body' else field} is {len(values[field]):,} characters; "
                f"indexed the first {limit:,}",
                "warning",
            ))
            values[field] = values[field][:limit]
    date = None
    key, raw = field_map.find(record, "date")
    if raw not in (None, ""):
        try:
            date = parse_date(raw)
        except ValueError as e:
            problems.append(Problem(origin, f"field {key!r}: {e}; indexed without a date", "warning"))
    # The same article under two URLs (a tracking parameter, a view flag)
    # is one article: its id is the canonical URL; it keeps its URL as found.
    doc_id = values["id"] or canonical_url(values["url"]) or content_hash(values["title"], values["body"])
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
    clear error naming the first bad byte.  Bytes with NULs are binary
    unless they are UTF-8 with a stray few (padding left by a crashed
    write, a bad export), which are removed with a warning.
    """
    text, problems = _decode(data, name)
    if text is not None and "\x00" in text:
        problems.append(Problem(name, f"{text.count(chr(0)):,} NUL bytes removed", "warning"))
        text = text.replace("\x00", "")
    return text, problems


def _decode(data, name):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as e:
            return None, [Problem(name, f"invalid UTF-16 at byte {e.start}")]
    # NULs at the end are padding (a crashed or preallocated write); inside,
    # more than 1% of them make a binary file, or UTF-16 without its BOM.
    sample = data[:65536].rstrip(b"\x00")
    nuls = sample.count(b"\x00")
    binary = (None, [Problem(name, "binary file (NUL bytes), not text")])
    if nuls * 100 > len(sample) or (not sample and data):
        return binary
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as e:
        if nuls or data.endswith(b"\x00"):
            return binary  # NULs and bytes that are not UTF-8: not text
        bad_line = data.count(b"\n", 0, e.start) + 1
        error = f"not UTF-8 (invalid byte 0x{data[e.start]:02x} on line {bad_line})"
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        return None, [Problem(name, error)]
    # Judged on a sample: a list of every non-ASCII character of a 1 GB
    # file would cost more memory than the file.
    high = [ch for ch in text[:1 << 20] if ord(ch) > 127]
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


# A JSON string (escapes included; unterminated: to the end) or a bracket
# or comma: enough to follow nesting and split an array without parsing it.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{},]', re.DOTALL)
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _lines(text):
    """The lines of ``text`` with their endings, one at a time (a list of
    them would double a large file's memory).  Only CR and LF end a line:
    U+2028 inside a JSON string or a CSV field is text."""
    return (m.group() for m in _LINE.finditer(text))


def _too_deep(text, start=0):
    """Return the offset where ``text`` nests past MAX_JSON_DEPTH, or None."""
    if text.count("[", start) + text.count("{", start) <= MAX_JSON_DEPTH:
        return None
    depth = 0
    for m in _JSON_TOKEN.finditer(text, start):
        c = text[m.start()]
        if c in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return m.start()
        elif c in "]}":
            depth -= 1
    return None


def _too_deep_reason():
    return f"nested more than {MAX_JSON_DEPTH} levels deep (a news record nests three or four); skipped"


def _decode_json(text, origin, whole):
    """Return (value, None) or (None, Problem) for one JSON document.

    ``whole`` names what a syntax error costs (the line, the file), for the
    message.
    """
    try:
        return _JSON.decode(text), None
    except json.JSONDecodeError as e:
        return None, Problem(origin(e.pos), f"malformed JSON: {e.msg}{whole}")
    except RecursionError:
        # Only past the depth check's limit, i.e. not at all; kept because
        # a record must never take the run down with it.
        return None, Problem(origin(0), _too_deep_reason())


def _array_elements(text, pos):
    """Yield (start, end, depth) of each element of the JSON array whose
    ``[`` is at ``text[pos]``, then ("end", offset after the array) or
    ("truncated", len(text)).  ``depth`` counts the element's own levels."""
    depth = 1
    deepest = 1
    begin = pos + 1
    for m in _JSON_TOKEN.finditer(text, pos + 1):
        c = text[m.start()]
        if c == '"':
            continue
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif c in "]}":
            depth -= 1
            if depth == 0:
                yield begin, m.start(), deepest - 1
                yield "end", m.end()
                return
        elif depth == 1:
            yield begin, m.start(), deepest - 1
            begin = m.end()
            deepest = 1
    yield begin, len(text), deepest - 1
    yield "truncated", len(text)


def _records_json(text, name):
    lines = _LineCounter(text)
    stripped = text.lstrip()
    if not stripped:
        yield Problem(name, "empty file")
        return
    if stripped[0] != "[":
        deep = _too_deep(text)
        if deep is not None:
            yield Problem(f"{name}:{text.count(chr(10), 0, deep) + 1}", _too_deep_reason())
            return
        value, problem = _decode_json(
            text, lambda pos: f"{name}:{text.count(chr(10), 0, pos) + 1}", "")
        if problem:
            yield problem
            return
        arrays = [v for v in value.values() if isinstance(v, list)] if isinstance(value, dict) else []
        if isinstance(value, dict) and len(arrays) == 1 and all(isinstance(v, dict) for v in arrays[0]):
            key = next(k for k, v in value.items() if v is arrays[0])
            for i, item in enumerate(arrays[0]):
                yield f"{name}:{key}[{i}]", item
        else:
            yield f"{name}:1", value
        return
    # An array: split it into elements first, then decode each, so that a
    # broken or too-deep element is reported with its line and the others
    # are kept.  Dumps appended to in several runs hold several arrays in a
    # row ("[...][...]"): each is read.
    pos = len(text) - len(stripped)
    index = 0
    while True:
        for item in _array_elements(text, pos):
            if isinstance(item[0], str):
                kind, pos = item
                break
            begin, end, depth = item
            while begin < end and text[begin] in " \t\r\n":
                begin += 1
            if end >= len(text):
                yield Problem(f"{name}:{lines.at(begin)}", "truncated JSON array; the rest of the file is skipped")
                return
            if begin == end:
                if text[end] == "]":
                    continue  # "[]", or a trailing comma: nothing lost
                yield Problem(f"{name}:{lines.at(begin)}",
                              "malformed JSON: an empty array element; the rest of the file is skipped")
                return
            line = lines.at(begin)
            if depth > MAX_JSON_DEPTH:
                yield Problem(f"{name}:{line} [{index}]", _too_deep_reason())
                index += 1
                continue
            value, problem = _decode_json(
                text[begin:end],
                lambda off: f"{name}:{line + text.count(chr(10), begin, begin + off)}",
                "; the rest of the file is skipped")
            if problem:
                # The element's end was found by counting brackets outside
                # strings; past a syntax error that count cannot be trusted.
                yield problem
                return
            yield f"{name}:{line} [{index}]", value
            index += 1
        if kind == "truncated":
            return  # reported with its element
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return
        if text[pos] != "[":
            yield Problem(f"{name}:{lines.at(pos)}",
                          "malformed JSON: text after the end of the array; the rest of the file is skipped")
            return


def _records_jsonl(text, name):
    for lineno, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        origin = f"{name}:{lineno}"
        if _too_deep(line) is not None:
            yield Problem(origin, _too_deep_reason())
            continue
        value, problem = _decode_json(line, lambda pos: origin, "")
        if problem:
            yield Problem(origin, problem.reason.replace("malformed JSON", "malformed JSON line", 1))
            continue
        yield origin, value


def _csv_field_limit():
    # The csv module refuses a field over 128 KiB by default, to bound the
    # memory of a streamed file; here the whole text is in memory already,
    # so a field can be as large as the file, and a long body is cut like
    # any other (MAX_BODY_CHARS) instead of costing the rest of the file.
    # (The C long of some platforms is 32 bits: no sys.maxsize.)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES + 1))


def _records_csv(text, name):
    _csv_field_limit()
    reader = csv.reader(_lines(text))
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
            # Past a csv error the reader may be inside a quoted field or
            # not: what follows cannot be split into rows with any trust.
            yield Problem(f"{name}:{start}", f"malformed CSV: {e}; the rest of the file is skipped")
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


def _failure(error):
    """What an unexpected exception says about the file or record it hit."""
    if isinstance(error, RecursionError):
        return "nested too deeply to read (RecursionError)"
    if isinstance(error, MemoryError):
        return "too large to read in memory (MemoryError)"
    detail = str(error)
    detail = f"{type(error).__name__}: {detail[:200]}" if detail else type(error).__name__
    return f"could not be read ({detail})"


def _contained(items, origin):
    """Yield from ``items``; an exception it raises ends it with a Problem
    naming ``origin`` instead of ending the whole run."""
    given = False
    try:
        for item in items:
            given = True
            yield item
    except Exception as e:  # noqa: BLE001 - the point: nothing escapes a source
        rest = "; the rest of it is skipped" if given else ""
        yield Problem(origin, _failure(e) + rest)


def _read_bytes(data, name, field_map, depth):
    ext = _extension(name)
    if ext == ".zip":
        yield from _read_zip(io.BytesIO(data), name, field_map, depth + 1)
        return
    text, problems = decode(data, name)
    del data  # the caller dropped its copy: a large file's bytes go now
    yield from problems
    if text is None:
        return
    for item in _PARSERS[ext](text, name):
        if isinstance(item, Problem):
            yield item
            continue
        origin, record = item
        try:
            article, problems = to_article(record, origin, field_map)
        except Exception as e:  # noqa: BLE001 - one record never costs the others
            yield Problem(origin, _failure(e))
            continue
        yield from problems
        if article is not None:
            yield article


# A member name that is absolute ("/etc/x", "C:\\x") or climbs out of the
# archive ("../x"): the archive never extracts, but says it saw one.
_UNSAFE_MEMBER = re.compile(r"^(?:[/\\]|[A-Za-z]:)|(?:^|[/\\])\.\.(?:[/\\]|$)")


def _read_zip(fileobj, name, field_map, depth):
    if depth > MAX_ZIP_DEPTH:
        yield Problem(name, f"archive nested more than {MAX_ZIP_DEPTH} deep; skipped")
        return
    try:
        archive = zipfile.ZipFile(fileobj)
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        yield Problem(name, f"not a readable zip archive ({e})")
        return
    total = 0
    with archive:
        for info in sorted(members, key=lambda i: i.filename):
            member = f"{name}:{printable(info.filename)}"
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
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind not in (0, stat.S_IFREG):
                # A link stored in the archive names a path, maybe outside
                # it: following it would read whatever that is on this disk.
                what = "a symbolic link" if kind == stat.S_IFLNK else "not a regular file"
                yield Problem(member, f"{what} inside the archive; links are not followed, skipped")
                continue
            if _UNSAFE_MEMBER.search(info.filename):
                yield Problem(member, "member path is absolute or climbs out of the archive ('..'); "
                              "read as data (the archive never extracts files)", "warning")
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
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error) as e:
                yield Problem(member, f"cannot be read from the archive ({e})")
                continue
            except (RuntimeError, NotImplementedError) as e:  # encrypted, unknown compression
                yield Problem(member, f"cannot be read from the archive ({e})")
                continue
            items = _read_bytes(data, member, field_map, depth)
            del data
            yield from _contained(items, member)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match):
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a byte of a name that is not UTF-8
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(name):
    """``name`` with what a terminal or a page must not be sent escaped:
    control characters (a newline could forge a report line, ESC drive the
    terminal), bidi overrides (which reorder what is shown), and the bytes
    of a file name that is not UTF-8 (which no encoder takes).

    >>> printable("a\\nb\\u202e.json")
    'a\\\\x0ab\\\\u202e.json'
    """
    return _UNPRINTABLE.sub(_escape, name) if _UNPRINTABLE.search(name) else name


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _not_regular(mode):
    for test, what in _NOT_REGULAR:
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "not a regular file"


def _walk_folder(folder, seen):
    """Yield the files and problems of one folder; return its subfolders to walk."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        yield Problem(printable(folder), f"folder cannot be read ({e.strerror or e}); skipped")
        return []
    folders = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()  # follows a link
        except OSError:
            is_dir = False
        if is_dir:
            folders.append(entry)
        elif _extension(entry.name) in SUPPORTED:
            yield entry.path
    # A real folder claims its inode before a link to it does, so that
    # its files are reported under their own path, not the link's.
    claimed = set()
    for entry in sorted(folders, key=lambda e: e.is_symlink()):
        try:
            info = entry.stat()
        except OSError as e:
            yield Problem(printable(entry.path), f"folder cannot be read ({e.strerror or e}); skipped")
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:
            first = seen[key]
            loop = (entry.path + os.sep).startswith(first.rstrip(os.sep) + os.sep)
            what = "a link back to the folder" if loop else "the same folder as"
            yield Problem(printable(entry.path), f"{what} {printable(first)}; "
                          "read once, not followed here", "warning")
            continue
        seen[key] = entry.path
        claimed.add(entry.path)
    return [entry.path for entry in folders if entry.path in claimed]


def _walk(top, seen):
    """Yield the source files under folder ``top`` (sorted, depth first), or
    a Problem for what cannot be walked.

    Symlinked folders are followed: a dump folder may well link its years
    from other disks.  ``seen`` maps each folder's (st_dev, st_ino) to the
    path it was first met by, so every real folder is walked once and a
    link back up the tree (a loop) is reported, not followed forever.  An
    explicit stack, not recursion: a deep tree must not hit Python's limit.
    """
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            subfolders = yield from _walk_folder(folder, seen)
        except Exception as e:  # noqa: BLE001 - one folder never ends the walk
            yield Problem(printable(folder), _failure(e) + "; skipped")
            continue
        stack.extend(reversed(subfolders))


def iter_files(paths):
    """Yield the path of every source file under ``paths``, or a Problem.

    Folders are walked recursively in sorted order (see :func:`_walk`),
    hidden entries and unsupported extensions skipped; a file named
    explicitly is always read.  A path gone by the time it is reached is a
    problem (:func:`read_sources` checks that each exists at the start).
    """
    seen = {}
    for path in paths:
        try:
            info = os.stat(path)
        except OSError as e:
            yield Problem(printable(path), f"cannot be read ({e.strerror or e})")
            continue
        if not stat.S_ISDIR(info.st_mode):
            yield path
            continue
        key = (info.st_dev, info.st_ino)
        if key not in seen:
            seen[key] = path
            yield from _walk(path, seen)


def _open_source(path):
    """Open ``path`` for reading, or return the reason it is not read.

    A FIFO, a device or a socket is never opened for reading: reading a
    FIFO with no writer blocks the run forever.  ``stat`` first, so a
    device is not even opened; then ``open`` without blocking and
    ``fstat`` the open file, so a file swapped for a FIFO in between is
    caught as well.
    """
    try:
        what = _not_regular(os.stat(path).st_mode)
        if what:
            return None, f"{what}, not a file; skipped"
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        gone = "a symbolic link to nothing" if os.path.islink(path) else "no longer there"
        return None, f"cannot be read ({gone})"
    except OSError as e:
        return None, f"cannot be read ({e.strerror or e})"
    f = os.fdopen(fd, "rb")
    what = _not_regular(os.fstat(fd).st_mode)
    if what:
        f.close()
        return None, f"{what}, not a file; skipped"
    return f, None


def _read_at_most(f, expected, limit):
    """Read up to ``limit`` bytes of ``f``, whose size was ``expected``.

    Not ``f.read(limit)``: that allocates ``limit`` bytes up front, a
    gigabyte for every file however small, which fails where address space
    is limited (ulimit -v) and was the first MemoryError the tests met.
    """
    data = f.read(min(expected, limit - 1) + 1)
    if len(data) <= expected:
        return data
    chunks = [data]  # the file grew while read: the rest in pieces
    size = len(data)
    while size < limit:
        chunk = f.read(min(64 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _read_file(path, field_map, seen):
    name = printable(str(path))
    ext = _extension(name)
    if ext not in SUPPORTED:
        yield Problem(name, f"unsupported file type {ext or '(none)'!r} (reads {', '.join(SUPPORTED)})")
        return
    f, reason = _open_source(path)
    if f is None:
        yield Problem(name, reason)
        return
    with f:
        info = os.fstat(f.fileno())
        key = (info.st_dev, info.st_ino)
        if key in seen:
            yield Problem(name, f"the same file as {seen[key]} (a link); read once", "warning")
            return
        seen[key] = name
        if ext == ".zip":
            yield from _read_zip(f, name, field_map, 1)
            return
        if info.st_size > MAX_FILE_BYTES:
            yield Problem(name, f"is {info.st_size:,} bytes, past the limit of {MAX_FILE_BYTES:,} "
                          "for one file; split it, or zip it (archives are read member by member)")
            return
        try:
            data = _read_at_most(f, info.st_size, MAX_FILE_BYTES + 1)
        except OSError as e:
            yield Problem(name, f"cannot be read ({e.strerror or e})")
            return
    if len(data) > MAX_FILE_BYTES:
        yield Problem(name, f"grew past the limit of {MAX_FILE_BYTES:,} bytes while read; skipped")
        return
    items = _read_bytes(data, name, field_map, 0)
    del data
    yield from items


def read_sources(paths, field_map=None):
    """Return an iterator of :class:`Article` and :class:`Problem` for
    everything in ``paths``.

    Raises SourceError at once (before anything is read) for a path that
    does not exist.  Nothing else escapes it: whatever one file, member or
    record raises is a Problem naming it, and reading goes on.
    """
    paths = [os.fspath(p) for p in paths]
    for path in paths:
        if not os.path.exists(path):
            raise SourceError(f"{printable(path)}: no such file or folder")
    return _read_all(paths, field_map or FieldMap())


def _read_all(paths, field_map):
    seen = {}
    for item in iter_files(paths):
        if isinstance(item, Problem):
            yield item
            continue
        yield from _contained(_read_file(item, field_map, seen), printable(str(item)))
