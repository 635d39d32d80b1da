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
        with service.reading() as (searcher, _):
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


# --- One hostile file never stops a run (issue 12) ---------------------------

from indexer.readers import MAX_FILE_BYTES, Article, Problem, read_sources  # noqa: E402

DEEP = "[" * 100_000 + "]" * 100_000


def good(doc_id, word="النفط"):
    return {"id": doc_id, "title": f"خبر {doc_id}", "content": f"{word} في خبر سليم رقم {doc_id}"}


def read(*paths):
    items = list(read_sources([str(p) for p in paths]))
    assert all(isinstance(i, (Article, Problem)) for i in items)
    assert all(p.reason for p in items if isinstance(p, Problem))
    return ([i for i in items if isinstance(i, Article)],
            {p.origin: (p.severity, p.reason) for p in items if isinstance(p, Problem)})


def dump_lines(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def hostile_folder(src):
    """A messy download: deep JSON in every shape, beside good articles in
    every format, the zip holding a deep member and a good one."""
    src.mkdir()
    (src / "deep.json").write_text(DEEP)
    (src / "deep_object.json").write_text('{"a": ' * 50_000 + "1" + "}" * 50_000)
    (src / "a.json").write_text(json.dumps([good("json1"), good("json2")], ensure_ascii=False)[:-1]
                                + ", " + DEEP + ", " + json.dumps(good("json3"), ensure_ascii=False) + "]",
                                encoding="utf-8")
    dump_lines(src / "b.jsonl", [good("jsonl1")])
    with open(src / "b.jsonl", "a", encoding="utf-8") as f:
        f.write('{"id": "x", "content": ' + "[" * 100_000 + "\n")
        f.write(json.dumps(good("jsonl2"), ensure_ascii=False) + "\n")
    (src / "c.csv").write_text("id,title,content\ncsv1,عنوان,النفط في جدول\n", encoding="utf-8")
    (src / "d.txt").write_text("عنوان نصي\nالنفط في ملف نصي", encoding="utf-8")
    with zipfile.ZipFile(src / "e.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deep.json", DEEP, zipfile.ZIP_STORED)  # deflated, it looks like a zip bomb
        z.writestr("ok.jsonl", json.dumps(good("zip1"), ensure_ascii=False))
    return {"json1", "json2", "json3", "jsonl1", "jsonl2", "csv1", "zip1"}


@pytest.mark.parametrize("limit", [None, 1_000_000], ids=["default recursion limit", "raised recursion limit"])
def test_deep_json_beside_good_files_every_good_article_is_found(tmp_path, limit):
    """The issue's report: 100,000 '[' killed the run with a RecursionError
    and nothing was searchable.  Under a raised recursion limit Python's
    parser would overflow the C stack and kill the process outright; the
    depth check comes first, so neither happens."""
    expected = hostile_folder(tmp_path / "src")
    index_dir = tmp_path / "ix"
    prefix = [] if limit is None else ["-c", f"import sys; sys.setrecursionlimit({limit}); "
                                             "from indexer.cli import main; main()"]
    cmd = archive(index_dir, "index", str(tmp_path / "src"), "--no-entities")
    if prefix:
        cmd = [sys.executable, *prefix, *cmd[3:]]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr  # something was skipped, and said so
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    for where in ("deep.json:1 [0]", "deep_object.json:1", "a.json:1 [2]", "b.jsonl:2", "e.zip:deep.json:1 [0]"):
        assert f"{where}: nested more than 64 levels deep" in result.stderr, where
    ids = set(all_ids(index_dir))
    assert expected <= ids
    with SearchService(index_dir) as service:
        assert service.search("النفط").total == len(expected) + 1  # and d.txt, by its content hash


def test_huge_numbers_are_a_problem_only_where_read(tmp_path):
    digits = "7" * 5000
    path = tmp_path / "n.jsonl"
    path.write_text(
        f'{{"id": {digits}, "content": "النفط"}}\n'
        f'{{"id": "ok", "views": {digits}, "content": "النفط"}}\n'
        f'{{"id": "float", "score": 1{"0" * 400}.5e99999, "content": "النفط"}}\n',
        encoding="utf-8")
    articles, problems = read(path)
    assert [a.id for a in articles] == ["ok", "float"]
    assert problems == {f"{path}:1": ("skipped", "field 'id' (id) must be text, got a number of 5,000 digits")}


def test_very_long_strings_are_cut_with_a_warning(tmp_path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps([{"id": "a", "title": "ع" * 1_000_000, "content": "ن" * 3_000_000,
                                 "unread": "x" * 10_000_000}], ensure_ascii=False), encoding="utf-8")
    items = list(read_sources([path]))
    (article,) = [i for i in items if isinstance(i, Article)]
    assert (len(article.title), len(article.body)) == (2_000, 2_000_000)
    assert sorted(i.reason for i in items if isinstance(i, Problem)) == [
        "text is 3,000,000 characters; indexed the first 2,000,000",
        "title is 1,000,000 characters; indexed the first 2,000",
    ]


def test_csv_field_past_the_csv_module_limit(tmp_path):
    """The csv module refuses a field over 131,072 characters by default;
    it cost every row after it.  The file is in memory already, so a big
    field is read and, past MAX_BODY_CHARS, cut like any body."""
    path = tmp_path / "big.csv"
    path.write_text("id,content\n"
                    f"a,{'ن' * 200_000}\n"
                    f"b,\"{'ب' * 2_500_000}\"\n"
                    "c,النفط\n", encoding="utf-8")
    articles, problems = read(path)
    assert [(a.id, len(a.body)) for a in articles] == [("a", 200_000), ("b", 2_000_000), ("c", 5)]
    assert problems == {f"{path}:3": ("warning", "text is 2,500,000 characters; indexed the first 2,000,000")}


def test_nul_bytes_in_csv(tmp_path):
    """A stray NUL in a row and the padding a crashed write leaves are
    removed (Python < 3.11's csv module raised on them, 3.11's keeps them
    as text); NULs all through the bytes make a binary file."""
    stray = tmp_path / "stray.csv"
    rows = "".join(f"r{i},النفط رقم {i}\n" for i in range(100))
    stray.write_bytes(f"id,content\na,النفط\x00\n{rows}".encode() + b"\x00" * 512)
    articles, problems = read(stray)
    assert [(a.id, a.body) for a in articles][:2] == [("a", "النفط"), ("r0", "النفط رقم 0")]
    assert len(articles) == 101
    assert problems == {str(stray): ("warning", "513 NUL bytes removed")}
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"id,content\n" + b"a,\x00\x01\x00\x02\x00\n" * 50)
    articles, problems = read(binary)
    assert articles == [] and problems == {str(binary): ("skipped", "binary file (NUL bytes), not text")}


def test_zip_with_absolute_and_climbing_member_paths(tmp_path):
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("/etc/a.jsonl", json.dumps(good("abs")))
        z.writestr("../../up/b.jsonl", json.dumps(good("up")))
        z.writestr("fine/c.jsonl", json.dumps(good("fine")))
    articles, problems = read(path)
    assert sorted(a.id for a in articles) == ["abs", "fine", "up"]
    assert sorted(problems) == [f"{path}:../../up/b.jsonl", f"{path}:/etc/a.jsonl"]
    assert all(sev == "warning" and "never extracts" in reason for sev, reason in problems.values())
    assert not (tmp_path.parent / "up").exists()


def test_zip_member_that_is_a_symlink(tmp_path):
    import stat

    path = tmp_path / "links.zip"
    with zipfile.ZipFile(path, "w") as z:
        link = zipfile.ZipInfo("link.json")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr("real.jsonl", json.dumps(good("real")))
    articles, problems = read(path)
    assert [a.id for a in articles] == ["real"]
    assert problems == {f"{path}:link.json": (
        "skipped", "a symbolic link inside the archive; links are not followed, skipped")}


def _patch_zip_method(data, method):
    """Set every member's compression method (local and central headers)."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.find(signature)
        while at >= 0:
            data[at + offset:at + offset + 2] = method.to_bytes(2, "little")
            at = data.find(signature, at + 4)
    return bytes(data)


def test_zip_library_errors_become_problems(tmp_path):
    """Errors zipfile and zlib raise in their own types: an unknown
    compression method (NotImplementedError), a corrupt deflate stream
    (zlib.error or a bad CRC)."""
    method = io.BytesIO()
    with zipfile.ZipFile(method, "w") as z:
        z.writestr("a.jsonl", json.dumps(good("m")))
    (tmp_path / "method.zip").write_bytes(_patch_zip_method(method.getvalue(), 99))
    corrupt = io.BytesIO()
    with zipfile.ZipFile(corrupt, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.jsonl", json.dumps([good(f"c{i}") for i in range(200)]))
    data = bytearray(corrupt.getvalue())
    for i in range(60, 400, 7):
        data[i] ^= 0x5A
    (tmp_path / "corrupt.zip").write_bytes(bytes(data))
    dump_lines(tmp_path / "z_good.jsonl", [good("after")])
    articles, problems = read(tmp_path)
    assert [a.id for a in articles] == ["after"]
    assert set(problems) == {f"{tmp_path}/method.zip:a.jsonl", f"{tmp_path}/corrupt.zip:a.jsonl"}
    assert all("cannot be read from the archive" in reason for _, reason in problems.values())


def test_file_that_disappears_or_becomes_unreadable_mid_run(tmp_path):
    """Real mid-run changes: the folder is listed, then, while the first file
    is being read, the second is deleted, the third replaced by a link to a
    file that fails on read (/proc/self/mem: EIO even for root) and a
    subfolder removed."""
    for name in ("a", "b", "c"):
        dump_lines(tmp_path / f"{name}.jsonl", [good(name)])
    (tmp_path / "sub").mkdir()
    dump_lines(tmp_path / "sub" / "d.jsonl", [good("d")])
    dump_lines(tmp_path / "z.jsonl", [good("z")])
    items = read_sources([tmp_path])
    seen = []
    for item in items:
        seen.append(item)
        if isinstance(item, Article) and item.id == "a":
            (tmp_path / "b.jsonl").unlink()
            (tmp_path / "c.jsonl").unlink()
            if os.path.exists("/proc/self/mem"):
                os.symlink("/proc/self/mem", tmp_path / "c.jsonl")
            (tmp_path / "sub" / "d.jsonl").unlink()
            (tmp_path / "sub").rmdir()
    ids = [i.id for i in seen if isinstance(i, Article)]
    problems = {i.origin: i.reason for i in seen if isinstance(i, Problem)}
    assert ids == ["a", "z"]
    assert problems[f"{tmp_path}/b.jsonl"] == "cannot be read (no longer there)"
    if os.path.exists("/proc/self/mem"):
        assert problems[f"{tmp_path}/c.jsonl"] == "cannot be read (Input/output error)"
    assert problems[f"{tmp_path}/sub"] == "folder cannot be read (No such file or directory); skipped"


def test_top_level_path_gone_mid_run(tmp_path):
    dump_lines(tmp_path / "a.jsonl", [good("a")])
    dump_lines(tmp_path / "b.jsonl", [good("b")])
    items = read_sources([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    first = next(items)
    (tmp_path / "b.jsonl").unlink()
    rest = list(items)
    assert first.id == "a"
    assert [(p.origin, p.reason) for p in rest] == [
        (f"{tmp_path}/b.jsonl", "cannot be read (No such file or directory)")]


def test_symlinked_folders_are_followed_once_and_loops_reported(tmp_path):
    (tmp_path / "real").mkdir()
    dump_lines(tmp_path / "real" / "a.jsonl", [good("a")])
    os.symlink("..", tmp_path / "real" / "up")          # a loop
    os.symlink("real", tmp_path / "alias")               # the same folder twice
    os.symlink(tmp_path / "real" / "a.jsonl", tmp_path / "real" / "twin.jsonl")  # the same file twice
    outside = tmp_path.parent / (tmp_path.name + "_outside")
    outside.mkdir()
    dump_lines(outside / "o.jsonl", [good("o")])
    os.symlink(outside, tmp_path / "linked")             # a folder from elsewhere: read
    articles, problems = read(tmp_path)
    assert sorted(a.id for a in articles) == ["a", "o"]
    assert {a.origin for a in articles} == {f"{tmp_path}/real/a.jsonl:1", f"{tmp_path}/linked/o.jsonl:1"}
    assert problems == {
        f"{tmp_path}/alias": ("warning", f"the same folder as {tmp_path}/real; read once, not followed here"),
        f"{tmp_path}/real/up": ("warning", f"a link back to the folder {tmp_path}; read once, not followed here"),
        f"{tmp_path}/real/twin.jsonl": ("warning", f"the same file as {tmp_path}/real/a.jsonl (a link); read once"),
    }


def test_fifos_devices_and_broken_links_never_hang_the_run(tmp_path):
    os.mkfifo(tmp_path / "pipe.jsonl")  # no writer: reading it would block forever
    os.symlink("/dev/zero", tmp_path / "zero.json")  # endless: reading it would never end
    os.symlink(tmp_path / "nowhere.json", tmp_path / "broken.json")
    dump_lines(tmp_path / "z.jsonl", [good("z")])
    signal.alarm(60)  # a hang fails the test instead of the suite
    try:
        articles, problems = read(tmp_path)
        explicit = read(tmp_path / "pipe.jsonl")
    finally:
        signal.alarm(0)
    assert [a.id for a in articles] == ["z"]
    assert problems == {
        f"{tmp_path}/broken.json": ("skipped", "cannot be read (a symbolic link to nothing)"),
        f"{tmp_path}/pipe.jsonl": ("skipped", "a named pipe (FIFO), not a file; skipped"),
        f"{tmp_path}/zero.json": ("skipped", "a character device, not a file; skipped"),
    }
    assert explicit == ([], {f"{tmp_path}/pipe.jsonl": ("skipped", "a named pipe (FIFO), not a file; skipped")})


def test_file_past_the_size_limit_is_not_read(tmp_path):
    big = tmp_path / "big.jsonl"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    dump_lines(tmp_path / "z.jsonl", [good("z")])
    articles, problems = read(tmp_path)
    assert [a.id for a in articles] == ["z"]
    assert problems[str(big)][1].startswith("is 1,073,741,825 bytes, past the limit of 1,073,741,824")


MEMORY_SCRIPT = """
import resource, sys
import psutil
from indexer.readers import read_sources
limit = psutil.Process().memory_info().vms + 100 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
for item in read_sources([sys.argv[1]]):
    print(item)
"""


def test_memory_error_costs_one_file(tmp_path):
    """A real MemoryError: the reader runs with 100 MB of address space to
    spare and meets a 60 MB one-line JSON file (its text and the parsed
    string take several times that), then a good file."""
    (tmp_path / "a_big.json").write_text('{"content": "' + "ن" * 30_000_000 + '"}', encoding="utf-8")
    dump_lines(tmp_path / "b_good.jsonl", [good("g")])
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{tmp_path}/a_big.json: too large to read in memory (MemoryError)"
    assert lines[1].startswith("Article(id='g'")


def test_unprintable_names_are_escaped(tmp_path):
    (tmp_path / "a\nwarning: forged.json").write_text("{}")
    os.close(os.open(os.fsencode(tmp_path) + b"/bad\xff\x1b[2J.json", os.O_CREAT | os.O_WRONLY))
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil\u202e.json", json.dumps(good("rtl")))
    articles, problems = read(tmp_path)
    assert [a.origin for a in articles] == [f"{path}:evil\\u202e.json:1"]
    assert set(problems) == {f"{tmp_path}/a\\x0awarning: forged.json:1", f"{tmp_path}/bad\\xff\\x1b[2J.json"}
