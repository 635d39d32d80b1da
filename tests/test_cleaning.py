"""Cleaning at read time: entities, tags, control characters, canonical URLs.

Golden tables, one row per rule, with the negative rows (text that looks
like markup and is not) next to the positive ones.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.cleaning import canonical_url, clean_text, duplicate_key, strip_tags, unescape_entities
from indexer.readers import Article, read_sources

CLEAN = [
    ("&quot;السعودية&quot; تعلن", '"السعودية" تعلن', "named entity"),
    ("قال &#8220;نعم&#8221;", "قال “نعم”", "decimal references"),
    ("&#x201C;نعم&#x201d;", "“نعم”", "hex references, either case"),
    ("وزارة&nbsp;الصحة", "وزارة\xa0الصحة", "nbsp becomes a no-break space"),
    ("&amp;quot;الرياض&amp;quot;", '"الرياض"', "double-escaped"),
    ("&amp;amp;lt;", "<", "triple-escaped, still within the rounds"),
    ("شركة AT&T و S&P 500", "شركة AT&T و S&P 500", "ampersand without semicolon is text"),
    ("&notice; &copy", "&notice; &copy", "no legacy prefix matching, no semicolon-less names"),
    ("&#0; &#x110000;", "\ufffd \ufffd", "invalid code points become U+FFFD"),
    ("<p>الأول</p><p>الثاني</p>", "\nالأول\n\nالثاني\n", "block tags leave line breaks"),
    ("سطر<br>سطر<br/>سطر<BR />", "سطر\nسطر\nسطر\n", "br in its spellings"),
    ("و<b>الرياض</b> <span class='x'>جدة</span>", "والرياض جدة", "inline tags leave nothing"),
    ('<a href="http://e/1?a=1&amp;b=2" target=_blank>رابط</a>', "رابط", "attributes, quoted and bare"),
    ("<script>if (a<b) x();</script>نص", "نص", "script goes with its content"),
    ("<style>p{}</style><!-- تعليق -->نص", "نص", "style and comments"),
    ("&lt;p&gt;نص&lt;/p&gt;", "\nنص\n", "escaped markup is markup"),
    ("إذا كان أ < ب و ج > د", "إذا كان أ < ب و ج > د", "less-than between words"),
    ("<5% و <<الكتاب>>", "<5% و <<الكتاب>>", "less-than before digits and guillemets"),
    ("x <b و c> y", "x <b و c> y", "a tag name followed by Arabic is not a tag"),
    ("<foo>نص</foo> <bنص>", "<foo>نص</foo> <bنص>", "unknown element names stay"),
    ("سطر\nسطر\r\nسطر\tعمود", "سطر\nسطر\r\nسطر\tعمود", "line breaks and tabs kept"),
    ("نص\x00مع\x07تحكم\x1b", "نصمعتحكم", "C0 controls dropped"),
    ("صفحة\x0cصفحة\x0bسطر", "صفحة\nصفحة\nسطر", "form feed and vertical tab become breaks"),
    ("نص\ud800", "نص\ufffd", "lone surrogate"),
]


@pytest.mark.parametrize("text, expected, note", CLEAN, ids=[row[2] for row in CLEAN])
def test_clean_text(text, expected, note):
    assert clean_text(text) == expected


URLS = [
    ("http://www.al-madina.com/node/620219/خبر.html?weekly",
     "http://www.al-madina.com/node/620219/خبر.html", "al-madina weekly view"),
    ("http://www.al-madina.com/node/620219/خبر.html?live",
     "http://www.al-madina.com/node/620219/خبر.html", "al-madina live view"),
    ("http://example.com/a?weekly", "http://example.com/a?weekly", "view params only on their site"),
    ("HTTP://WWW.Example.COM/Path/A", "http://www.example.com/Path/A", "scheme and host lower, path kept"),
    ("http://example.com:80/a", "http://example.com/a", "default http port"),
    ("https://example.com:443/a", "https://example.com/a", "default https port"),
    ("http://example.com:8080/a", "http://example.com:8080/a", "other ports kept"),
    ("http://example.com", "http://example.com/", "empty path"),
    ("http://example.com/a#comments", "http://example.com/a", "fragment dropped"),
    ("http://example.com/#!/news/7", "http://example.com/#!/news/7", "hashbang route kept"),
    ("http://e.com/a?id=7&utm_source=tw&utm_medium=x&fbclid=1&gclid=2&ref=home",
     "http://e.com/a?id=7", "tracking parameters"),
    ("http://e.com/a?b=2&a=1", "http://e.com/a?b=2&a=1", "order of kept parameters"),
    ("http://e.com/a?UTM_Source=x", "http://e.com/a", "tracking names case-insensitive"),
    ("http://e.com/%d8%a7%d9%84%d8%b1%d9%8a%d8%a7%d8%b6", "http://e.com/الرياض", "encoded Arabic decoded"),
    ("http://e.com/a%2fb%3Fc", "http://e.com/a%2Fb%3Fc", "reserved escapes kept, upper-cased"),
    ("http://e.com/%7euser", "http://e.com/~user", "unreserved escapes decoded"),
    ("http://e.com/%ff", "http://e.com/%FF", "broken UTF-8 stays escaped"),
    ("  http://e.com/a  ", "http://e.com/a", "stripped"),
    ("ftp://e.com/a#x", "ftp://e.com/a#x", "other schemes as they are"),
    ("article-17", "article-17", "not a URL"),
]


@pytest.mark.parametrize("url, expected, note", URLS, ids=[row[2] for row in URLS])
def test_canonical_url(url, expected, note):
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent_on_the_table():
    for url, expected, _ in URLS:
        assert canonical_url(expected) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_cleaning_never_raises_and_is_stable(text):
    once = clean_text(text)
    assert isinstance(once, str)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in once)
    assert unescape_entities(strip_tags(text)) is not None
    canonical_url(text)
    canonical_url("http://e.com/" + text)


def test_duplicate_key_ignores_whitespace_only():
    assert duplicate_key("عنوان", "نص الخبر") == duplicate_key("عنوان ", "نص\n  الخبر")
    assert duplicate_key("عنوان", "نص الخبر") != duplicate_key("عنوان", "نص خبر")


def test_readers_clean_fields_and_keep_the_raw_url(tmp_path):
    record = {
        "url": "http://www.al-madina.com/node/9/خبر.html?weekly",
        "title": "&quot;الاستخبارات العراقية&quot;", "author": "&nbsp;",
        "source": "almadina", "content": "<p>فقرة أولى</p><p>فقرة&nbsp;ثانية</p>",
    }
    (tmp_path / "a.json").write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    (article,) = [i for i in read_sources([tmp_path]) if isinstance(i, Article)]
    assert article.title == '"الاستخبارات العراقية"'
    assert article.author == ""
    assert article.body == "فقرة أولى\n\nفقرة\xa0ثانية"
    assert article.url == record["url"]
    assert article.id == "http://www.al-madina.com/node/9/خبر.html"


def test_two_urls_of_one_article_are_one_document(make_index, tmp_path):
    from indexer.search import SearchService
    from indexer.writer import index_sources

    base = {"title": "خبر", "content": "الاستخبارات العراقية تعلن", "source": "almadina"}
    records = [dict(base, url="http://www.al-madina.com/node/5/x.html"),
               dict(base, url="http://www.al-madina.com/node/5/x.html?weekly")]
    (tmp_path / "d.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    index_dir = tmp_path / "ix"
    index_sources(index_dir, [tmp_path / "d.json"], entities=False)
    with SearchService(index_dir) as service:
        assert service.search("الاستخبارات").total == 1
