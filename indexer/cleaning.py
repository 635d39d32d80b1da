"""Clean scraped text and URLs as they are read, before anything is indexed.

Scrapers leave markup behind: SaudiNewsNet holds titles like
``&quot;السعودية&quot;`` and bylines of ``&nbsp;``, which the CLI and the
browser then show as typed.  :func:`clean_text` is applied to every text
field of an article (title, body, author, source):

1. **Entities**: a named (``&quot;``), decimal (``&#8221;``) or hex
   (``&#x201D;``) character reference *with its semicolon* becomes its
   character; double-escaped ones (``&amp;quot;``) too, up to
   ``MAX_UNESCAPE_ROUNDS`` deep.  Without the semicolon nothing changes:
   ``AT&T``, ``S&P 500`` and ``&notice`` are text, not references (Python's
   ``html.unescape`` would turn ``&notice`` into ``¬ice``).
2. **Tags**: an HTML tag (``<p>``, ``</span>``, ``<br/>``, ``<a href=...>``)
   of a known element name (``HTML_ELEMENTS``), a comment or a doctype is
   removed; ``<script>``/``<style>`` go with their content.  A block
   element (``BLOCK_ELEMENTS``: p, div, br, li, h1...) leaves a line break,
   so paragraphs stay paragraphs.  A ``<`` that does not open a tag of a
   known element (``أ < ب``, ``<5%``, ``<<الكتاب>>``) is text.
3. **Control characters**: C0 controls other than tab, line feed and
   carriage return are removed (NUL included); vertical tab and form feed
   become line breaks, and lone surrogates (which no encoder takes) become
   U+FFFD.

:func:`canonical_url` gives the id of an article known by its URL, so that
one article under two URLs is one article (see its docstring for the rules
and ``TRACKING_PARAMS`` / ``VIEW_PARAMS`` for the parameters dropped).  The
article keeps its URL as found.
"""

import hashlib
import html
import re
import unicodedata
from html.entities import html5 as _HTML5_ENTITIES

MAX_UNESCAPE_ROUNDS = 3

_ENTITY = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});")

# Elements whose tags end a line when rendered; the rest (a, b, span, font...)
# run inline, and removing them must not split or join words.
BLOCK_ELEMENTS = frozenset("""
    address article aside blockquote br dd details div dl dt figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section
    summary table tbody td tfoot th thead tr ul
""".split())
INLINE_ELEMENTS = frozenset("""
    a abbr b bdi bdo big caption center cite code col colgroup data del dfn
    em font i img ins kbd label mark meta link picture q s samp small source
    span strike strong sub sup time tt u var wbr body html head title
""".split())
# Removed with everything between their tags: code and styling, not text.
HIDDEN_ELEMENTS = frozenset("script style noscript template iframe object svg".split())
HTML_ELEMENTS = BLOCK_ELEMENTS | INLINE_ELEMENTS | HIDDEN_ELEMENTS

# Attributes in HTML's shape: ASCII names, quoted or bare values.  Arabic
# after "<b " is not an attribute, so "<b و c>" stays text.
_ATTRS = r"""(?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>`=]+))?)*\s*/?"""
# Any tag-shaped name is matched and the known ones removed (in
# _tag_replacement): one pattern for a name, then a set look-up, is ~20x
# faster on a text full of "<" than an alternation of a hundred names.
_TAG = re.compile(
    r"<(?=[/!A-Za-z])(?:"
    r"!--.*?(?:-->|\Z)"                                      # comment (unterminated: to the end)
    r"|!(?:doctype|\[CDATA\[)[^>]*>"                         # doctype, CDATA opener
    rf"|(?P<hidden>{'|'.join(sorted(HIDDEN_ELEMENTS))}){_ATTRS}>.*?(?:</(?P=hidden)\s*>|\Z)"
    rf"|/?(?P<name>[A-Za-z][A-Za-z0-9]*){_ATTRS}>"
    r")",
    re.IGNORECASE | re.DOTALL,
)
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BREAK_CONTROL = re.compile("[\x0b\x0c]")
# Anything the last step changes: one search, so clean text costs one pass.
_ODD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _unescape_one(match):
    ref = match.group()
    if ref[1] == "#":
        return html.unescape(ref)  # invalid code points become U+FFFD, never an error
    return _HTML5_ENTITIES.get(ref[1:], ref)


def unescape_entities(text):
    """Replace character references that end in ``;`` by their characters.

    >>> unescape_entities("&quot;السعودية&quot; &#8221;AT&T&#8221; &amp;quot;")
    '"السعودية" ”AT&T” "'
    """
    for _ in range(MAX_UNESCAPE_ROUNDS):
        if "&" not in text:
            break
        unescaped = _ENTITY.sub(_unescape_one, text)
        if unescaped == text:
            break
        text = unescaped
    return text


def _tag_replacement(match):
    name = match.group("name")
    if name is None:
        return ""  # a comment, doctype or hidden element
    name = name.lower()
    if name not in HTML_ELEMENTS:
        return match.group()  # <الكتاب>, <x and y>: not markup
    return "\n" if name in BLOCK_ELEMENTS else ""


def strip_tags(text):
    """Remove HTML tags of known elements, comments and hidden elements.

    >>> strip_tags("<p>السطر الأول</p><p>و<b>الثاني</b></p>")
    '\\nالسطر الأول\\n\\nوالثاني\\n'
    >>> strip_tags("إذا كان أ < ب و <5% من <<الكتاب>>")
    'إذا كان أ < ب و <5% من <<الكتاب>>'
    """
    if "<" not in text:
        return text
    return _TAG.sub(_tag_replacement, text)


def replace_surrogates(text):
    """Replace lone surrogates (a JSON ``"\\ud800"`` decodes to one) by U+FFFD:
    they cannot be encoded, so an index could not store the text."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def clean_text(text):
    """The text of a field as a reader should keep it: entities unescaped,
    tags removed, stray control characters dropped (see the module doc).

    >>> clean_text("&lt;p&gt;&quot;الرياض&quot;&lt;/p&gt;\\x00")
    '\\n"الرياض"\\n'
    """
    if "&" in text:
        text = unescape_entities(text)
    text = strip_tags(text)
    if not _ODD.search(text):
        return text
    return replace_surrogates(_CONTROL.sub("", _BREAK_CONTROL.sub("\n", text)))


def duplicate_key(title, body):
    """A key equal for two articles whose title and text differ at most in
    whitespace: for dropping exact duplicates published under other ids.

    >>> duplicate_key("عنوان", "نص  الخبر\\n") == duplicate_key(" عنوان", "نص الخبر")
    True
    """
    words = " ".join(title.split()) + "\n" + " ".join(body.split())
    return hashlib.sha1(words.encode("utf-8", "surrogatepass")).hexdigest()[:20]


# --- URLs -------------------------------------------------------------------

# Query parameters that say how a reader came to an article, never which
# article it is: analytics campaign tags (utm_*), ad-click ids, referrers.
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset("""
    fbclid gclid dclid gbraid wbraid msclkid yclid igshid mc_cid mc_eid
    ref ref_src _ga _gl
""".split())
# Parameters that pick a view of the same page on one site (the site and
# its subdomains), found by surveying SaudiNewsNet's 31,030 URLs: al-madina
# serves every article also as "...html?weekly" and "...html?live", the
# same title and text (451 of 451 such groups in the corpus).
VIEW_PARAMS = {
    "al-madina.com": frozenset({"weekly", "live"}),
}
DEFAULT_PORTS = {"http": "80", "https": "443"}

_URL = re.compile(r"(?P<scheme>https?)://(?P<netloc>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?",
                  re.IGNORECASE | re.DOTALL)
_HOSTPORT = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>[0-9]*))?")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _decode_escapes(match):
    # RFC 3986 6.2.2: escapes of unreserved ASCII are decoded, the rest keep
    # their (upper-cased) escape; UTF-8 escapes of letters are decoded
    # (RFC 3987), so an Arabic slug typed raw and one percent-encoded are
    # the same URL.  Anything else (reserved, controls, spaces, broken
    # UTF-8) stays escaped: decoding it could change what the URL means.
    decoded = bytes.fromhex(match.group().replace("%", "")).decode("utf-8", "surrogateescape")
    out = []
    for ch in decoded:
        if "\udc80" <= ch <= "\udcff":
            out.append(f"%{ord(ch) - 0xDC00:02X}")
        elif ch in _UNRESERVED or (ord(ch) > 127 and unicodedata.category(ch)[0] in "LMN"):
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    return "".join(out)


def _dropped_params(host):
    dropped = set(TRACKING_PARAMS)
    for site, params in VIEW_PARAMS.items():
        if host == site or host.endswith("." + site):
            dropped |= params
    return dropped


def canonical_url(url):
    """The form of ``url`` used as an article's id.

    For http(s) URLs: scheme and host lower-cased, the default port
    dropped, an empty path made ``/``, percent-escapes normalized (see
    ``_decode_escapes``), the fragment dropped (except a ``#!`` route, which
    names the page on old AJAX sites), and the query parameters in
    ``TRACKING_PARAMS``, starting with ``TRACKING_PREFIXES``, or in the
    site's ``VIEW_PARAMS`` dropped, the others kept in their order.  Other
    text is returned stripped, as it is.

    >>> canonical_url("HTTP://WWW.Al-Madina.com:80/node/1/خبر.html?weekly#top")
    'http://www.al-madina.com/node/1/خبر.html'
    >>> canonical_url("https://example.com/a?id=7&utm_source=x&fbclid=y")
    'https://example.com/a?id=7'
    """
    url = url.strip()
    m = _URL.fullmatch(url)
    if not m:
        return url
    scheme = m["scheme"].lower()
    userinfo, at, hostport = m["netloc"].rpartition("@")
    hp = _HOSTPORT.fullmatch(hostport)
    if not hp:
        return url
    host = hp["host"].lower()
    port = hp["port"]
    netloc = userinfo + at + host
    if port and port.lstrip("0") != DEFAULT_PORTS[scheme]:
        netloc += ":" + port
    path = _ESCAPES.sub(_decode_escapes, m["path"]) or "/"
    query = ""
    if m["query"]:
        dropped = _dropped_params(host)
        kept = []
        for part in m["query"].split("&"):
            key = _ESCAPES.sub(_decode_escapes, part.partition("=")[0]).lower()
            if part and key not in dropped and not key.startswith(TRACKING_PREFIXES):
                kept.append(_ESCAPES.sub(_decode_escapes, part))
        if kept:
            query = "?" + "&".join(kept)
    fragment = m["fragment"]
    tail = "#" + fragment if fragment is not None and fragment.startswith("!") else ""
    return f"{scheme}://{netloc}{path}{query}{tail}"
