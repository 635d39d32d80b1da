"""``archive index --cluster`` on a real Dask cluster: a ``dask scheduler``
and two ``dask worker`` processes on 127.0.0.1, one of them killed with
SIGKILL while it builds a segment.

Needs the cluster extra (``pip install '.[cluster]'``): skipped without
it, failed under CI=true, where .ci/run installs it.
"""

import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, shared_data

# One day of SaudiNewsNet: 2,047 articles read, 1,987 distinct.  Batches
# of 700 make three commits, the last one too large enough (500) to be
# built in two chunks as a local run with --jobs 2 builds it, so the
# cluster's index has the local one's segments, docnums and all.
SOURCE = "saudinewsnet/2015-07-22.zip"
BATCH = "700"
QUERIES = ["السعودية", "أسعار النفط", "الحوثي اليمن", '"ولي العهد"', "وزارة الصحة", "داعش -العراق"]
RUN_SECONDS = 1200


def _require_distributed():
    try:
        import distributed  # noqa: F401
    except ImportError:
        reason = "needs Dask's distributed (pip install '.[cluster]')"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def archive_index(index_dir, *options):
    return [sys.executable, "-m", "indexer.cli", "--index-dir", str(index_dir), "index",
            str(shared_data(SOURCE)), "-q", "--batch-size", BATCH, *options]


def summary(output):
    """The counts of an 'archive index' summary line (added, updated, ...)."""
    return re.search(r"articles/s\): (.*?); the index", output)[1]


def generation(index_dir):
    """The index's last committed generation (-1: none yet)."""
    gens = [int(p.stem.rsplit("_", 1)[1]) for p in Path(index_dir).glob("_MAIN_*.toc")]
    return max(gens, default=-1)


def contents(index_dir):
    """Every live article's id (with its count), and what the queries find."""
    from indexer.search import SearchService
    from indexer.writer import open_index

    ix = open_index(index_dir)
    try:
        with ix.reader() as reader:
            ids = Counter(fields["id"] for fields in reader.all_stored_fields())
    finally:
        ix.close()
    results = {}
    with SearchService(index_dir) as service:
        for q in QUERIES:
            found = service.search(q, per_page=20)
            results[q] = (found.total, [(h.id, round(h.score, 6)) for h in found.hits], found.facets)
    return ids, results


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The same articles indexed locally, with --jobs 2."""
    _require_distributed()
    index_dir = tmp_path_factory.mktemp("local") / "index"
    done = subprocess.run(archive_index(index_dir, "--jobs", "2"), cwd=ROOT, capture_output=True, text=True,
                          timeout=RUN_SECONDS)
    assert done.returncode in (0, 1), done.stderr
    return done, contents(index_dir)


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path, local_run):
    from indexer.cluster import LocalDaskCluster

    local_done, (local_ids, local_results) = local_run
    index_dir = tmp_path / "index"
    with LocalDaskCluster(workers=2, cwd=tmp_path) as cluster:
        victim = cluster.worker_pids()[0]
        # Workers write their temporary files in a folder named after
        # their host and process: while it exists, the victim is mid-chunk.
        building = index_dir / f"MAIN.tmp.{socket.gethostname()}.{victim}"
        run = subprocess.Popen(archive_index(index_dir, "--cluster", cluster.address), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + RUN_SECONDS
        # After the first batch is committed: a kill must not cost it either.
        while not (generation(index_dir) >= 1 and building.exists()):
            assert run.poll() is None, f"the run ended before a worker was killed: {run.communicate()}"
            assert time.monotonic() < deadline, "the victim never started a second-batch chunk"
            time.sleep(0.02)
        committed = generation(index_dir)
        cluster.kill_worker(0)
        out, err = run.communicate(timeout=RUN_SECONDS)
        logs = cluster.logs()
    assert run.returncode == local_done.returncode, f"{out}\n{err}\n{logs}"
    # The summary is the local run's: the same articles in, skipped and left out.
    assert summary(out) == summary(local_done.stdout)
    assert generation(index_dir) > committed, "nothing was committed after the kill"
    ids, results = contents(index_dir)
    assert max(ids.values()) == 1, [i for i, n in ids.items() if n > 1][:5]
    assert set(ids) == set(local_ids)
    assert len(ids) > 1900
    assert results == local_results
    # The dead worker's half-built files are gone, its temporary folder too.
    assert not building.exists()
    assert not [p for p in index_dir.iterdir() if p.name.startswith(("MAIN.tmp.", ".")) and p.is_dir()]


def test_a_worker_that_cannot_see_the_index_folder_is_named(tmp_path):
    _require_distributed()
    from indexer.cluster import folder_check
    from indexer.writer import MARKER

    assert "is not there" in folder_check(str(tmp_path / "elsewhere"), MARKER)
    (tmp_path / MARKER).write_text("{}")
    assert folder_check(str(tmp_path), MARKER) is None


def test_no_scheduler_is_an_error_message_not_a_traceback(tmp_path, monkeypatch):
    _require_distributed()
    from indexer import cluster
    from indexer.cli import cli

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    seeds = ROOT / "seeds"
    result = CliRunner().invoke(cli, ["index", str(seeds), "--index-dir", str(tmp_path / "ix"),
                                      "--cluster", f"tcp://127.0.0.1:{port}"])
    assert result.exit_code == 1, result.output
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_jobs_and_cluster_together_are_a_usage_error(tmp_path):
    from indexer.cli import cli

    result = CliRunner().invoke(cli, ["index", str(ROOT / "seeds"), "--index-dir", str(tmp_path / "ix"),
                                      "--cluster", "tcp://127.0.0.1:1", "--jobs", "2"])
    assert result.exit_code == 2
    assert "--jobs does not go with --cluster" in result.output
