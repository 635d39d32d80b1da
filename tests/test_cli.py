"""The archive command end to end on temporary indexes (click's CliRunner)."""

import json

import pytest
from click.testing import CliRunner

from indexer.cli import cli
from tests.conftest import SEEDS


@pytest.fixture
def runner():
    return CliRunner()


def run(runner, index_dir, *args):
    return runner.invoke(cli, ["--index-dir", str(index_dir), *args], catch_exceptions=False)


def test_index_and_query_the_seeds(runner, tmp_path):
    index_dir = tmp_path / "ix"
    result = run(runner, index_dir, "index", str(SEEDS), "--no-entities")
    assert result.exit_code == 0, result.output
    assert "1 added, 0 updated, 0 unchanged, 0 exact duplicates left out, 0 skipped" in result.output

    result = run(runner, index_dir, "query", "الإستخبارات")
    assert result.exit_code == 0, result.output
    assert "1 articles match" in result.output
    assert "الاستخبارات" in result.output

    again = run(runner, index_dir, "index", str(SEEDS), "--no-entities")
    assert "0 added, 0 updated, 1 unchanged" in again.output and "holds 1 articles" in again.output
    # With entities the same article is other index input: updated in place.
    entities = run(runner, index_dir, "index", str(SEEDS))
    assert "0 added, 1 updated" in entities.output and "holds 1 articles" in entities.output


def test_index_dir_from_environment(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_INDEX", str(tmp_path / "env-ix"))
    result = runner.invoke(cli, ["index", str(SEEDS), "--no-entities"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env-ix" / "archive-index.json").exists()


def test_index_dir_after_the_subcommand(runner, tmp_path, monkeypatch):
    # The form users type: the option after the subcommand, where it wins
    # over the group's option and $ARCHIVE_INDEX.
    monkeypatch.setenv("ARCHIVE_INDEX", str(tmp_path / "env-ix"))
    index_dir = tmp_path / "sub-ix"
    result = runner.invoke(cli, ["index", str(SEEDS), "--no-entities", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert (index_dir / "archive-index.json").exists()
    assert not (tmp_path / "env-ix").exists()

    result = runner.invoke(cli, ["query", "الإستخبارات", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "1 articles match" in result.output
    result = runner.invoke(cli, ["--index-dir", str(tmp_path / "other"), "query", "الإستخبارات",
                                 "--index-dir", str(index_dir)])
    assert "1 articles match" in result.output
    assert "--index-dir" in runner.invoke(cli, ["serve", "--help"]).output


def test_skipped_records_exit_1_and_keep_the_good(runner, tmp_path):
    src = tmp_path / "src.jsonl"
    src.write_text(
        json.dumps({"id": "ok", "content": "خبر عن النفط"}, ensure_ascii=False) + "\n{broken\n",
        encoding="utf-8",
    )
    result = run(runner, tmp_path / "ix", "index", str(src), "--no-entities")
    assert result.exit_code == 1, result.output
    assert f"skipped: {src}:2: malformed JSON line" in result.output
    assert "1 added" in result.output
    assert "النفط" in run(runner, tmp_path / "ix", "query", "النفط").output


def test_usage_errors_exit_2(runner, tmp_path):
    assert run(runner, tmp_path / "ix", "index", str(tmp_path / "missing")).exit_code == 2
    assert run(runner, tmp_path / "ix", "index", str(SEEDS), "--map", "title").exit_code == 2
    assert run(runner, tmp_path / "ix", "query").exit_code == 2


def test_query_without_an_index(runner, tmp_path):
    result = run(runner, tmp_path / "none", "query", "النفط")
    assert result.exit_code == 1
    assert "no archive index" in result.output and "Traceback" not in result.output


@pytest.fixture
def seeded(runner, tmp_path):
    index_dir = tmp_path / "ix"
    assert run(runner, index_dir, "index", str(SEEDS), "--no-entities").exit_code == 0
    return index_dir


def test_query_json_shape(runner, seeded):
    result = run(runner, seeded, "query", "بغداد", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"query", "total", "hits", "facets"} <= set(data)
    (hit,) = data["hits"]
    assert {"id", "title", "date", "source", "url", "score", "snippet"} <= set(hit)
    assert "<mark>" in hit["snippet"]
    assert set(data["facets"]) == {"country", "actor", "source", "year"}


@pytest.mark.parametrize("query", ['"تبادل', "AND", "x" * 10_000, "(((", "في"])
def test_unreadable_queries_get_a_message(runner, seeded, query):
    result = run(runner, seeded, "query", query)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        assert result.output.startswith("Error: ")


def test_batch_queries_jsonl_and_trec(runner, seeded, tmp_path):
    queries = tmp_path / "q.tsv"
    queries.write_text("q1\tالاستخبارات العراقية\nq2\tالهلال والنصر\n", encoding="utf-8")
    result = run(runner, seeded, "query", "--queries", str(queries))
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["qid"] for line in lines] == ["q1", "q2"]
    assert len(lines[0]["hits"]) == 1 and lines[1]["hits"] == []
    result = run(runner, seeded, "query", "--queries", str(queries), "--format", "trec", "--run-tag", "t")
    (line,) = result.output.splitlines()
    qid, q0, doc, rank, score, tag = line.split()
    assert (qid, q0, rank, tag) == ("q1", "Q0", "1", "t") and float(score) > 0


def test_date_filters_validate(runner, seeded):
    result = run(runner, seeded, "query", "بغداد", "--from", "21/07/2015")
    assert result.exit_code == 2 and "not a date like 2015-07-21" in result.output


def test_analyze_shows_each_step(runner):
    result = runner.invoke(cli, ["analyze", "وبالإستخبارات في بِغْدَادَ", "--json"])
    assert result.exit_code == 0, result.output
    tokens = json.loads(result.output)["tokens"]
    assert [(t["surface"], t["term"]) for t in tokens] == [
        ("وبالإستخبارات", "استخبار"), ("في", None), ("بِغْدَادَ", "بغداد"),
    ]
    plain = runner.invoke(cli, ["analyze", "في بغداد"])
    assert "(stopword: dropped)" in plain.output


def test_help_texts(runner):
    for command in ([], ["index"], ["query"], ["analyze"], ["serve"]):
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0 and "Usage: " in result.output


def test_repairs_are_said_on_stderr(seeded):
    runner = CliRunner()  # click 8.2 keeps stderr apart (result.stderr)
    result = runner.invoke(cli, ["--index-dir", str(seeded), "query", '"تبادل المعلومات'])
    assert result.exit_code == 0, result.output
    assert "closed the quote" in result.stderr
    assert "1 articles match" in result.stdout


def test_runaway_prefixes_are_refused_with_a_reason(runner, seeded):
    for text in ("*", "ا*", "ال*", "و*"):
        result = run(runner, seeded, "query", text)
        assert result.exit_code == 1 and "too short" in result.output, text


def test_an_empty_result_offers_respellings(runner, seeded):
    result = run(runner, seeded, "query", "الاستخبرات")
    assert "0 articles match" in result.output
    assert "did you mean: الاستخبارات?" in result.output
    out = json.loads(run(runner, seeded, "query", "الاستخبرات", "--json").output)
    assert out["suggestions"] == ["الاستخبارات"] and out["notices"] == []


def test_browse_by_filters_without_text(runner, tmp_path):
    index_dir = tmp_path / "ix"
    assert run(runner, index_dir, "index", str(SEEDS)).exit_code == 0
    result = run(runner, index_dir, "query", "--country", "Iraq", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["total"] == 1 and out["sort"] == "date"


# What a one-word query in a fresh process must not load: the web app,
# indexing and entity recognition, the modules of entity pages, spelling and
# near-copies, and what Whoosh imports but never calls
# (indexer.whoosh_internals.import_whoosh).  Each was a cost of every
# 'archive query' (bench/reindex.py --cli-only measures the wall time).
NOT_FOR_A_QUERY = (
    "flask", "werkzeug", "jinja2", "babel", "search_web", "pycrfsuite", "analyzers.entities",
    "indexer.writer", "indexer.readers", "indexer.segments", "indexer.cluster",
    "indexer.explore", "indexer.spelling", "indexer.nearcopy", "numpy.random",
    "urllib.request", "email", "asyncio", "cached_property", "whoosh.lang.morph_en",
    "importlib.metadata", "difflib", "socket",
)
FRESH_QUERY = """
import contextlib, gc, io, json, os, sys
index_dir, unwanted = sys.argv[1], json.loads(sys.argv[2])
from indexer.cli import main
sys.argv = ["archive", "query", "الاستخبارات", "--index-dir", index_dir]
out, code = io.StringIO(), None
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit as e:
        code = e.code
print(json.dumps({"exit": code, "output": out.getvalue(), "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
                  "frozen": gc.get_freeze_count(),
                  "loaded": sorted(m for m in sys.modules for u in unwanted if m == u or m.startswith(u + "."))}))
"""


def test_a_query_in_a_fresh_process_loads_only_what_it_needs(seed_index):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", FRESH_QUERY, str(seed_index), json.dumps(NOT_FOR_A_QUERY)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["exit"] == 0 and "1 articles match" in found["output"], found
    assert found["loaded"] == []
    assert found["blas"] == "1"
    assert found["frozen"] > 0   # no collection over every object as the process exits


def test_main_freezes_the_heap_only_after_the_command(monkeypatch):
    from indexer import cli as cli_module

    calls = []

    def command(**kwargs):
        calls.append("command")
        raise SystemExit(0)

    monkeypatch.setattr(cli_module, "cli", command)
    monkeypatch.setattr(cli_module.gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit):
        cli_module.main()
    assert calls == ["command", "freeze"]


def test_one_blas_thread_only_before_numpy_and_never_over_the_user(monkeypatch):
    import os
    import sys

    from indexer import cli as cli_module

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    cli_module._one_blas_thread()   # numpy is loaded in this process: too late to matter
    assert "OPENBLAS_NUM_THREADS" not in os.environ
    monkeypatch.delitem(sys.modules, "numpy")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    cli_module._one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
