"""Users' entity corrections (curation.tsv): merge, rename, hide, applied at
query time to facets, filters, document pages, the API and a running
server, without re-indexing."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner

from indexer import curation
from indexer.cli import cli
from indexer.search import Filters, SearchService
from indexer.writer import index_articles
from tests.conftest import article

ARTICLES = [
    article("a", "حزب الله", "قال الأمين العام لحزب الله حسن نصر الله إن الحزب سيواصل القتال في سوريا."),
    article("b", "الحدود", "أعلن حزب الله مقتل عدد من عناصره قرب الحدود، وقال نصر الله إن المعركة طويلة."),
    article("c", "جنيف", "التقى وزير الخارجية الأمريكي جون كيري نظيره الروسي سيرغي لافروف في جنيف."),
    article("d", "الأمطار", "ذكرت صحيفة الوئام أن الأمطار غزيرة في الرياض اليوم."),
]
HEZBOLLAH, NASRALLAH, KERRY = "حزب الله", "حسن نصر الله", "جون كيري"


@pytest.fixture
def index_dir(tmp_path):
    index_articles(tmp_path / "ix", ARTICLES, entities=True, jobs=1)
    return tmp_path / "ix"


def actors(service, **filters):
    found = service.search("", filters=Filters(**filters) if filters else Filters(sources=["test"]),
                           facet_limit=100)
    return {f["value"]: (f["label"], f["count"]) for f in found.facets["actor"]}


def curate(index_dir, *args):
    result = CliRunner().invoke(cli, ["entities", *args, "--index-dir", str(index_dir)])
    return result


PARSE_ROWS = [
    ("merge\tactor\tA\tB\tC\n", {"B": "A", "C": "A"}, "merge several into one"),
    ("merge\tactor\tB\tC\nmerge\tactor\tA\tB\n", {"B": "A", "C": "A"}, "chains are followed"),
    ("# a comment\n\nmerge\tactor\tA\tA\n", {}, "comments, blank lines, a value into itself"),
]


@pytest.mark.parametrize("text,merged,note", PARSE_ROWS, ids=[r[2] for r in PARSE_ROWS])
def test_parse(text, merged, note):
    assert curation.parse(text).merged.get("actor", {}) == merged


BAD_ROWS = [
    ("hide\tactor\tA\nmerg\tactor\tA\tB\n", 2, "unknown change 'merg'"),
    ("rename\tperson\tA\tB\n", 1, "second column must be actor or country"),
    ("hide\tactor\n", 1, "hide takes one value, got 0"),
    ("rename actor A B\n", 1, "unknown change"),   # spaces, not tabs
    ("merge\tactor\tA\tB\nmerge\tactor\tC\tB\n", 2, "'B' is already merged into 'A'"),
]


@pytest.mark.parametrize("text,line,needle", BAD_ROWS, ids=[r[2] for r in BAD_ROWS])
def test_bad_lines_name_their_line(text, line, needle):
    with pytest.raises(curation.CurationError) as e:
        curation.parse(text, "curation.tsv")
    assert e.value.line == line and needle in str(e.value) and f"curation.tsv:{line}:" in str(e.value)


def test_merge_rename_hide_change_facets_filters_and_documents(index_dir):
    with SearchService(index_dir) as service:
        before = actors(service)
        assert before[HEZBOLLAH][1] == 2 and before[NASRALLAH][1] == 2
        assert curate(index_dir, "merge", HEZBOLLAH, NASRALLAH).exit_code == 0
        merged = actors(service)
        # One facet value, counting each article once.
        assert NASRALLAH not in merged and merged[HEZBOLLAH] == (HEZBOLLAH, 2)
        # Filtering by either name finds the same articles.
        ids = lambda actor: sorted(h.id for h in service.search("", filters=Filters(actors=[actor])).hits)
        assert ids(HEZBOLLAH) == ids(NASRALLAH) == ["a", "b"]
        doc = service.document("a")["entities"]["actors"]
        assert [a["value"] for a in doc].count(HEZBOLLAH) == 1 and NASRALLAH in doc[0]["aliases"] + [
            alias for a in doc for alias in a["aliases"]]

        assert curate(index_dir, "rename", HEZBOLLAH, "حزب الله (لبنان)").exit_code == 0
        assert actors(service)[HEZBOLLAH][0] == "حزب الله (لبنان)"
        assert any(a["name"] == "حزب الله (لبنان)" for a in service.document("b")["entities"]["actors"])

        assert curate(index_dir, "hide", KERRY).exit_code == 0
        assert KERRY not in actors(service)
        assert service.search("", filters=Filters(actors=[KERRY])).total == 0
        assert all(a["value"] != KERRY for a in service.document("c")["entities"]["actors"])
        assert curate(index_dir, "hide", "--country", "CH").exit_code == 0
        assert "CH" not in {f["value"] for f in service.search("جنيف").facets["country"]}
    listed = curate(index_dir, "--top", "5", "--json")
    assert listed.exit_code == 0, listed.output
    top = json.loads(listed.output)
    assert top["actor"][0] == {"value": HEZBOLLAH, "label": "حزب الله (لبنان)", "count": 2}


def test_unknown_values_are_refused_with_suggestions(index_dir):
    result = curate(index_dir, "hide", "حزب اللة")
    assert result.exit_code == 1 and "no actor 'حزب اللة' in the index" in result.output
    assert f"did you mean '{HEZBOLLAH}'" in result.output
    assert not curation.path_of(index_dir).exists()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def test_a_running_server_follows_the_file_and_survives_a_bad_one(index_dir):
    port = _free_port()
    env = {**os.environ, "ARCHIVE_WEB_WORKERS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer.cli", "serve", "--index-dir", str(index_dir), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    query = "/api/search?source=test&per_page=1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                before = _get(base, query)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
                time.sleep(0.2)
        assert {f["value"] for f in before["facets"]["actor"]} >= {HEZBOLLAH, NASRALLAH}
        assert curate(index_dir, "merge", HEZBOLLAH, NASRALLAH).exit_code == 0
        after = _get(base, query)
        assert NASRALLAH not in {f["value"] for f in after["facets"]["actor"]}
        doc = _get(base, "/api/documents/a")
        assert [a["value"] for a in doc["entities"]["actors"]] == [HEZBOLLAH]
        files = {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir() if p.name != curation.FILENAME}

        # A hand edit that breaks the file: the server keeps the last good
        # version, the CLI names the line, the index is untouched.
        with open(curation.path_of(index_dir), "a", encoding="utf-8") as f:
            f.write("hide\tactor\n")
        assert _get(base, query)["facets"]["actor"] == after["facets"]["actor"]
        checked = curate(index_dir, "check")
        assert checked.exit_code == 1 and "curation.tsv:5: hide takes one value" in checked.output
        page = urllib.request.urlopen(base + "/?source=test", timeout=10)
        assert page.status == 200
        assert {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir() if p.name != curation.FILENAME} == files
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
