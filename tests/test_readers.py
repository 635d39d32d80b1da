"""Readers on every format, field mapping, dates, and broken input."""

import io
import json
import pickle
import sys
import zipfile
from datetime import datetime

import pytest

from indexer.errors import SourceError
from indexer.readers import Article, FieldMap, Problem, parse_field_map, read_sources

BODY = "قال وزير الخارجية إن المحادثات مستمرة."


def read(*paths, field_map=None):
    items = list(read_sources([str(p) for p in paths], field_map))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Problem)]


def test_txt_first_line_is_title(tmp_path):
    (tmp_path / "a.txt").write_text("عنوان الخبر\n\n" + BODY + "\nسطر ثان.", encoding="utf-8")
    (article,), problems = read(tmp_path / "a.txt")
    assert problems == []
    assert article.title == "عنوان الخبر"
    assert article.body == BODY + "\nسطر ثان."
    assert len(article.id) == 20  # a content hash: no id or URL in a text file


def test_txt_single_paragraph_is_body(tmp_path):
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (article,), _ = read(tmp_path / "a.txt")
    assert (article.title, article.body) == ("", BODY)


def test_json_array_object_and_wrapped(tmp_path):
    docs = [{"id": 1, "title": "أ", "content": BODY}, {"id": "2", "headline": "ب", "text": BODY}]
    (tmp_path / "arr.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps({"docno": "x9", "body": BODY}), encoding="utf-8")
    (tmp_path / "wrap.json").write_text(json.dumps({"articles": [{"url": "http://e/1", "content": BODY}]}))
    articles, problems = read(tmp_path)
    assert problems == []
    assert sorted(a.id for a in articles) == ["1", "2", "http://e/1", "x9"]
    assert {a.title for a in articles} == {"أ", "ب", ""}


def test_saudinewsnet_shape(tmp_path):
    record = {
        "source": "sabq", "url": "http://example.com/n/1", "date_extracted": "2015-07-21 16:32:29",
        "title": "عنوان", "author": "", "content": BODY,
    }
    (tmp_path / "d.json").write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    (article,), problems = read(tmp_path / "d.json")
    assert problems == []
    assert article.id == "http://example.com/n/1"
    assert article.date == datetime(2015, 7, 21, 16, 32, 29)
    assert article.source == "sabq"


def test_jsonl_reports_bad_lines_and_keeps_good(tmp_path):
    lines = [
        json.dumps({"id": "a", "content": BODY}),
        "{not json",
        json.dumps({"id": "b", "content": ""}),
        json.dumps({"id": "c", "title": {"x": 1}, "content": BODY}),
        json.dumps(["a list"]),
        "",
        json.dumps({"id": "d", "content": BODY, "date": "Sun, 18 Feb 2018 21:35:43 +0400"}),
    ]
    path = tmp_path / "f.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    articles, problems = read(path)
    assert [a.id for a in articles] == ["a", "d"]
    assert articles[1].date == datetime(2018, 2, 18, 17, 35, 43)
    by_line = {p.origin.rsplit(":", 1)[1]: p.reason for p in problems}
    assert "malformed JSON line" in by_line["2"]
    assert "missing text" in by_line["3"]
    assert "field 'title' (title) must be text, got dict" in by_line["4"]
    assert "expected an object, got list" in by_line["5"]
    assert all(str(path) in p.origin for p in problems)


def test_json_array_broken_midway_keeps_earlier_elements(tmp_path):
    good = json.dumps({"id": "a", "content": BODY}, ensure_ascii=False)
    path = tmp_path / "broken.json"
    path.write_text(f"[\n{good},\n{good.replace('a', 'b', 1)},\n{{\"id\": \"c\", \"content\": ", encoding="utf-8")
    articles, problems = read(path)
    assert [a.id for a in articles] == ["a", "b"]
    (problem,) = problems
    assert problem.origin == f"{path}:4" and "truncated JSON array" in problem.reason


def test_csv_with_ragged_rows(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "id,title,content,date\n"
        f"1,عنوان,\"{BODY}\",2015-07-21\n"
        "2,ناقص\n"
        f"3,عنوان,\"نص، فيه فاصلة\nوسطر ثان\",2015-07-22T10:00:00Z\n",
        encoding="utf-8",
    )
    articles, problems = read(path)
    assert [a.id for a in articles] == ["1", "3"]
    assert articles[1].body == "نص، فيه فاصلة\nوسطر ثان"
    (problem,) = problems
    assert problem.origin == f"{path}:3"
    assert "row has 2 fields, the header has 4" in problem.reason


def test_field_map_override(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps({"key": "k1", "headline_ar": "عنوان", "content": BODY}), encoding="utf-8")
    (article,), _ = read(path, field_map=parse_field_map(["id=key", "title=headline_ar"]))
    assert (article.id, article.title) == ("k1", "عنوان")


def test_bad_field_map():
    with pytest.raises(SourceError, match="expected FIELD=NAME"):
        parse_field_map(["title"])
    with pytest.raises(SourceError, match="unknown field 'colour'"):
        FieldMap({"colour": "x"})


def test_bad_date_keeps_article_with_warning(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps({"id": "a", "content": BODY, "date": "yesterday"}), encoding="utf-8")
    (article,), (problem,) = read(path)
    assert article.date is None
    assert problem.severity == "warning" and "unrecognised date 'yesterday'" in problem.reason


def test_zip_of_formats_and_nested_zip(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("in.jsonl", json.dumps({"id": "nested", "content": BODY}))
    path = tmp_path / "dump.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2015/a.json", json.dumps([{"id": "a", "content": BODY}]))
        z.writestr("b.txt", "عنوان\n" + BODY)
        z.writestr("notes.md", "not an article")
        z.writestr("inner.zip", inner.getvalue())
    articles, problems = read(path)
    assert {"a", "nested"} < {a.id for a in articles}
    assert len(articles) == 3
    assert [(p.severity, p.reason) for p in problems] == [("warning", "unsupported file type '.md'; ignored")]
    assert articles[0].origin.startswith(f"{path}:2015/a.json")


def test_truncated_zip(tmp_path):
    path = tmp_path / "cut.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.json", json.dumps([{"id": "a", "content": BODY}] * 50))
    path.write_bytes(path.read_bytes()[:120])
    articles, (problem,) = read(path)
    assert articles == [] and "not a readable zip archive" in problem.reason


def test_binary_and_non_utf8_files(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "latin.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1") + b"\xff\xfe\xfd" * 10)
    (tmp_path / "legacy.txt").write_bytes(("عنوان\n" + BODY).encode("cp1256"))
    (tmp_path / "empty.json").write_text("")
    articles, problems = read(tmp_path)
    reasons = {p.origin.rsplit("/", 1)[1]: (p.severity, p.reason) for p in problems}
    assert reasons["bin.txt"] == ("skipped", "binary file (NUL bytes), not text")
    assert reasons["latin.txt"][0] == "skipped" and "not UTF-8" in reasons["latin.txt"][1]
    assert reasons["legacy.txt"][0] == "warning" and "Windows-1256" in reasons["legacy.txt"][1]
    assert reasons["empty.json"] == ("skipped", "empty file")
    assert [a.body for a in articles] == [BODY]


def test_missing_path_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        read(tmp_path / "nope")


def test_explicit_unsupported_file(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    _, (problem,) = read(tmp_path / "a.pdf")
    assert "unsupported file type '.pdf'" in problem.reason


def test_folder_walk_skips_hidden_and_unsupported(tmp_path):
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "readme.md").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "y.txt").write_text(BODY, encoding="utf-8")
    articles, problems = read(tmp_path)
    assert len(articles) == 1 and problems == []


JSON_ARRAYS = [
    ('[{"id": "a", "content": "ن"}, {"id": "b", "content": "ن"},]', ["a", "b"], [], "trailing comma"),
    ('[{"id": "a", "content": "ن"}]\n[{"id": "b", "content": "ن"}]', ["a", "b"], [],
     "arrays appended one after another"),
    ('[{"id": "a", "content": "ن"}] trailing', ["a"],
     [("1", "malformed JSON: text after the end of the array; the rest of the file is skipped")],
     "text after the array"),
    ('[{"id": "a", "content": "ن"},, {"id": "b", "content": "ن"}]', ["a"],
     [("1", "malformed JSON: an empty array element; the rest of the file is skipped")], "empty element"),
    ('[{"id": "a", "content": "ن"},\n{"id": "b" "content": "ن"},\n{"id": "c", "content": "ن"}]', ["a"],
     [("2", "malformed JSON: Expecting ',' delimiter; the rest of the file is skipped")],
     "a syntax error ends the file: bracket counting is not trusted past it"),
    ('[{"id": "a", "content": "[[[ {{{ ]]] in a string"}, {"id": "b", "content": "ن\\"]"}]', ["a", "b"], [],
     "brackets and escaped quotes inside strings"),
    ('[{"id": "a", "content": "ن", "x": ' + "[" * 65 + "]" * 65 + '}, {"id": "b", "content": "ن"}]', ["b"],
     [("1 [0]", "nested more than 64 levels deep (a news record nests three or four); skipped")],
     "one element too deep, the next kept"),
    ('[{"id": "a", "content": "ن", "x": ' + "[" * 62 + "]" * 62 + "}]", ["a"], [], "63 levels are fine"),
    ('{"articles": [{"id": "a", "content": "ن"}], "x": ' + "[" * 70 + "]" * 70 + "}", [],
     [("1", "nested more than 64 levels deep (a news record nests three or four); skipped")],
     "a wrapped file is decoded whole"),
]


@pytest.mark.parametrize("text, ids, problems, note", JSON_ARRAYS, ids=[row[3] for row in JSON_ARRAYS])
def test_json_array_shapes(tmp_path, text, ids, problems, note):
    path = tmp_path / "a.json"
    path.write_text(text, encoding="utf-8")
    articles, found = read(path)
    assert [a.id for a in articles] == ids
    assert [(p.origin.removeprefix(f"{path}:"), p.reason) for p in found] == problems


def test_unicode_line_separators_are_text_in_jsonl_and_csv(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "a", "content": "سطر\u2028سطر\x1cنص"},
                                                 ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.csv").write_text("id,content\nb,سطر\u2028سطر\x85نص\n", encoding="utf-8")
    articles, problems = read(tmp_path)
    assert problems == []
    assert [(a.id, a.body) for a in articles] == [("a", "سطر\u2028سطر\x1cنص".replace("\x1c", "")),
                                                  ("b", "سطر\u2028سطر\x85نص")]


def test_an_article_pickles_whole_without_a_utf8_copy_left_behind():
    # Articles go to the worker processes pickled; pickling a str makes
    # CPython keep a UTF-8 copy inside it (sys.getsizeof grows), which a
    # caller holding its articles would pay for each one.
    a = Article("id-\ud800", "عنوان الخبر", "نص الخبر " * 50, datetime(2015, 7, 21), "سبق", "", "https://x", "f.json:1")
    sizes = [sys.getsizeof(v) for v in (a.title, a.body, a.source)]
    assert pickle.loads(pickle.dumps(a)) == a
    assert [sys.getsizeof(v) for v in (a.title, a.body, a.source)] == sizes
