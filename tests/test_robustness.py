"""Crash safety, concurrent indexers and hostile input, on real subprocesses.

These run 'archive index' as a separate process, kill it with SIGKILL at
different moments, and check what is left: the last committed index, whole
and searchable, which rerunning the command completes without duplicates.
"""

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from indexer.search import SearchService
from indexer.writer import check_index_dir

WORDS = ("النفط الرياض جدة الأمطار المدارس الطلاب الوزير الاتفاق إيران العراق "
         "الحكومة الشركة السوق الأسعار المواطنين المشروع الصحة التعليم").split()


def write_corpus(path, count):
    """A JSONL file of ``count`` short composed articles with unique ids."""
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            words = " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 40))
            f.write(json.dumps({"id": f"doc{i}", "title": f"خبر رقم {i}",
                                "content": f"{words} رقم{i}"}, ensure_ascii=False) + "\n")


def archive(index_dir, *args):
    return [sys.executable, "-m", "indexer.cli", "--index-dir", str(index_dir), *args]


def start(index_dir, *args):
    return subprocess.Popen(archive(index_dir, *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def committed(index_dir):
    if not check_index_dir(index_dir):
        return 0
    with SearchService(index_dir) as service:
        return service.doc_count()


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def all_ids(index_dir):
    with SearchService(index_dir) as service:
        searcher = service.searcher()
        return [fields["id"] for fields in searcher.all_stored_fields()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "news.jsonl"
    write_corpus(path, 3000)
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigkill_keeps_committed_batches_and_rerun_completes(tmp_path, corpus, jobs):
    index_dir = tmp_path / "ix"
    cmd = ("index", str(corpus), "--no-entities", "--batch-size", "500", "--jobs", jobs, "-q")
    proc = start(index_dir, *cmd)
    assert wait_for(lambda: committed(index_dir) > 0), proc.communicate()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = committed(index_dir)
    assert kept > 0 and kept % 500 == 0
    with SearchService(index_dir) as service:
        assert service.search("النفط").total == kept

    done = subprocess.run(archive(index_dir, *cmd), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ids = all_ids(index_dir)
    assert len(ids) == 3000 and len(set(ids)) == 3000
    assert f"{kept:,} unchanged" in done.stdout   # the committed ones are not redone


def test_kill_at_many_moments_never_corrupts(tmp_path, corpus):
    index_dir = tmp_path / "ix"
    cmd = ("index", str(corpus), "--no-entities", "--batch-size", "300", "--jobs", "2", "-q")
    for delay in (0.5, 1.5, 3.0, 4.5):
        proc = start(index_dir, *cmd)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        count = committed(index_dir)
        assert count % 300 == 0 or count == 3000
    done = subprocess.run(archive(index_dir, *cmd), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ids = all_ids(index_dir)
    assert sorted(ids) == sorted(f"doc{i}" for i in range(3000))


def test_second_indexer_fails_clearly_or_waits(tmp_path, corpus):
    index_dir = tmp_path / "ix"
    first = start(index_dir, "index", str(corpus), "--no-entities", "--batch-size", "500", "-q")
    assert wait_for(lambda: (index_dir / "archive-index.json").exists())
    time.sleep(0.3)
    # Both started while the first holds the lock (on a busy machine the
    # first may finish before a second one, started after, gets to it).
    waiting = subprocess.Popen(archive(index_dir, "index", str(corpus), "--no-entities", "--wait", "120", "-q"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.run(archive(index_dir, "index", str(corpus), "--no-entities"),
                            capture_output=True, text=True)
    assert second.returncode == 3   # its own code: nothing done, unlike 1 (records skipped)
    assert "another 'archive index' is writing to" in second.stderr and "--wait" in second.stderr
    _, waited = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, waited
    assert "waiting for another 'archive index'" in waited
    first.wait(timeout=120)
    assert first.returncode == 0
    assert len(set(all_ids(index_dir))) == 3000 == committed(index_dir)


def test_searches_keep_answering_while_indexing(tmp_path, corpus):
    index_dir = tmp_path / "ix"
    subprocess.run(archive(index_dir, "index", str(corpus), "--no-entities", "-q"), check=True)
    more = tmp_path / "more.jsonl"
    with open(more, "w", encoding="utf-8") as f:
        for i in range(3000, 5000):
            f.write(json.dumps({"id": f"doc{i}", "content": f"النفط والغاز رقم{i}"}, ensure_ascii=False) + "\n")
    proc = start(index_dir, "index", str(more), "--no-entities", "--batch-size", "250", "-q")
    seen = []
    with SearchService(index_dir) as service:
        while proc.poll() is None:
            seen.append(service.search("النفط", per_page=5).total)
        seen.append(service.search("النفط").total)
    assert proc.returncode == 0
    assert seen == sorted(seen) and seen[-1] == 5000 and seen[0] >= 3000


def test_hostile_inputs_are_reported_and_the_rest_indexed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.jsonl").write_text(json.dumps({"id": "good", "content": "خبر سليم عن النفط"},
                                               ensure_ascii=False), encoding="utf-8")
    (src / "binary.json").write_bytes(os.urandom(2048).replace(b"\x00", b"\x01") + b"\x00")
    (src / "empty.csv").write_bytes(b"")
    (src / "legacy.txt").write_bytes("عنوان قديم\nنص بترميز ويندوز عن النفط".encode("cp1256"))
    (src / "types.json").write_text(json.dumps([{"id": 1, "content": ["not", "text"]},
                                                {"id": 2, "content": "النفط", "title": 5}]))
    (src / "ragged.csv").write_text("id,content\n1,النفط\n2\n3,النفط,زيادة\n", encoding="utf-8")
    (src / "huge.txt").write_text("عنوان\n" + "النفط " * 4_000_000, encoding="utf-8")
    (src / "tiny_lines.jsonl").write_text("{}\n" * 200_000)
    cut = io.BytesIO()
    with zipfile.ZipFile(cut, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.jsonl", json.dumps({"id": "inzip", "content": "النفط"}) * 100)
    (src / "truncated.zip").write_bytes(cut.getvalue()[: len(cut.getvalue()) // 2])
    with zipfile.ZipFile(src / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.txt", b"0" * (60 << 20))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("deep.jsonl", json.dumps({"id": "nested", "content": "النفط في أرشيف داخل أرشيف"},
                                            ensure_ascii=False))
    with zipfile.ZipFile(src / "nested.zip", "w") as z:
        z.writestr("inner.zip", inner.getvalue())

    index_dir = tmp_path / "ix"
    result = subprocess.run(archive(index_dir, "index", str(src), "--no-entities"),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    err = result.stderr
    assert "binary.json: binary file (NUL bytes), not text" in err
    assert "empty.csv: empty file" in err
    assert "legacy.txt: not UTF-8" in err and "read as Windows-1256 Arabic" in err
    assert "types.json:1 [0]: field 'content' (body) must be text, got list" in err
    assert "row has 1 fields, the header has 2" in err and "row has 3 fields" in err
    assert re.search(r"huge.txt:1: text is 23,999,999 characters; indexed the first 2,000,000", err)
    assert "truncated.zip: not a readable zip archive" in err
    assert "bomb.zip:zeros.txt: expands to" in err
    assert "more like this are counted in the summary" in err
    assert "skipped 200,000: missing text" in result.stdout
    assert "types.json:1 [1]: field 'title' (title) must be text, got int" in err
    ids = set(all_ids(index_dir))
    assert {"good", "nested", "1", "3"} & ids == {"good", "nested", "1"}
    with SearchService(index_dir) as service:
        # good, legacy, huge, nested, the good CSV row.
        assert service.search("النفط").total == 5
