"""Build segments on a Dask distributed cluster (``archive index --cluster ADDRESS``).

:func:`indexer.writer.index_articles` splits each batch into chunks and
hands them to an executor; by default local worker processes.  Here the
executor is a Dask client (:class:`ClusterExecutor`): each chunk is one
task, :func:`indexer.segments.build_segment`, run on some worker of the
cluster, which recognises the entities, analyzes the text and writes a
complete segment (and its search arrays) into the index folder.  Every
worker must see that folder at the same path: a filesystem they share (NFS,
Lustre, CephFS... or one machine's disk for a LocalCluster).

The client alone commits: the table of contents is written by it, after
every segment of a batch came back, so a commit is as atomic as in a local
run, and a segment that no task returned (a worker killed while writing
it) is in no table of contents; its files are deleted once the run ends.

Failures:

* A worker that dies mid-task: the scheduler gives the task to another
  worker (Dask's ``allowed-failures``, 3 deaths per task by default); the
  chunk is built again from the start, under a new segment name.  No
  article is lost (the batch is committed only with all its segments) or
  duplicated (only the returned segment is committed).
* A task that raises (a flaky shared filesystem) is retried ``RETRIES``
  times, then the run stops with :class:`ClusterError`.  Batches committed
  so far are kept; rerunning the same command finishes (ids are unique).

Workers run this project's code and must run the same version of it: the
analysis fingerprint, schema version, Whoosh version and entity data of
every worker are compared with the client's when it connects.  Start them
with one thread each (``dask worker ADDRESS --nthreads 1``, any number of
processes with ``--nworkers``): the analysis is pure Python, so threads of
one process would share one core; a worker process builds one chunk at a
time in any case (:func:`_build_alone`).
"""

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from indexer.errors import ArchiveError

try:
    from distributed import WorkerPlugin
except ImportError:  # Dask is an optional extra: pip install 'archive[cluster]'
    WorkerPlugin = object

# Retries of a task that raised (not of one whose worker died: the
# scheduler reschedules those on its own).
RETRIES = 2
CONNECT_SECONDS = 30
# How long to wait for the first worker of a cluster that has none yet.
WORKER_WAIT_SECONDS = 60
INSTALL_HINT = "pip install 'archive[cluster]'"


class ClusterError(ArchiveError):
    """The cluster could not be reached, used, or finish a batch."""


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--cluster needs Dask's distributed package: {INSTALL_HINT}") from None
    return distributed


def code_facts():
    """What must be the same on the client and every worker for their
    segments to belong to one index."""
    import whoosh

    from analyzers.analysis import analysis_fingerprint
    from indexer import schema as S
    from indexer.segments import entity_version

    return {
        "analysis": analysis_fingerprint(),
        "schema": S.SCHEMA_VERSION,
        "whoosh": ".".join(map(str, whoosh.__version__)),
        "entities": entity_version(),
    }


def folder_check(index_dir, marker):
    """On a worker: None if it can read and write ``index_dir``, else why not."""
    path = Path(index_dir)
    if not (path / marker).exists():
        return f"{index_dir} is not there or has no {marker} (not the client's folder)"
    probe = path / f".worker-check.{socket.gethostname()}.{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        return f"cannot write in {index_dir}: {e}"
    return None


class PrepareWorker(WorkerPlugin):
    """Loads the entity model and tunes the garbage collector on each
    worker when it joins (:func:`indexer.segments.init_worker`), not in
    its first task."""

    name = "archive-prepare-worker"

    def __init__(self, entities):
        self.entities = entities

    async def setup(self, worker):
        from indexer.segments import init_worker

        # Off the event loop: loading the model takes seconds, in which
        # the worker would not answer the scheduler.
        await asyncio.get_running_loop().run_in_executor(None, init_worker, self.entities)


_BUILD_LOCK = threading.Lock()


def _build_alone(build, *args):
    """Run ``build(*args)`` on a worker, one at a time per process.

    A worker process keeps one open index and writes its temporary files in
    one folder named after the process; two threads building at once would
    share (and delete) them.
    """
    with _BUILD_LOCK:
        return build(*args)


class ClusterExecutor:
    """The executor :func:`indexer.writer.index_articles` builds segments
    with, on the Dask cluster whose scheduler is at ``address``.

    ``jobs`` (the chunks a batch is split into) is the cluster's worker
    threads when it connects.  ``shutdown()`` closes the client; after a
    run that finished, it also deletes the temporary folders of workers that
    died while building (their segments are cleaned by the writer).
    """

    def __init__(self, address, index_dir, entities=True, retries=RETRIES):
        from indexer.writer import INDEX_NAME, MARKER

        distributed = _distributed()
        self.address = address
        self.index_dir = str(Path(index_dir).resolve())
        self.indexname = INDEX_NAME
        self.marker = MARKER
        self.retries = retries
        self._checked = False
        self._futures = []
        try:
            self.client = distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {e}") from None
        try:
            self.jobs = self._wait_for_threads()
            self._check_versions()
            self.client.register_plugin(PrepareWorker(entities))
        except BaseException:
            self.client.close()
            raise

    def _wait_for_threads(self):
        threads = sum(self.client.nthreads().values())
        if threads:
            return threads
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise ClusterError(
                f"the Dask scheduler at {self.address} has no workers "
                f"(waited {WORKER_WAIT_SECONDS} s); start some: dask worker {self.address} --nthreads 1"
            ) from None
        return sum(self.client.nthreads().values())

    def _check_versions(self):
        mine = code_facts()
        theirs = self.client.run(code_facts)
        wrong = {w: f for w, f in theirs.items() if f != mine}
        if wrong:
            worker, facts = sorted(wrong.items())[0]
            differ = ", ".join(f"{k} {facts.get(k)} (client: {v})" for k, v in mine.items() if facts.get(k) != v)
            raise ClusterError(
                f"{len(wrong)} of {len(theirs)} workers run other archive code than this client, "
                f"e.g. {worker}: {differ}; install the same version on every worker"
            )

    def _check_folder(self):
        """Every worker must write the index folder the client commits in."""
        problems = self.client.run(folder_check, self.index_dir, self.marker)
        bad = {w: p for w, p in problems.items() if p}
        if bad:
            worker, problem = sorted(bad.items())[0]
            raise ClusterError(
                f"{len(bad)} of {len(problems)} workers cannot use the index folder, e.g. {worker}: "
                f"{problem}; the workers must share its filesystem, at the same path"
            )
        self._checked = True

    def submit(self, build, *args):
        """Run ``build(*args)`` (a segment build) on the cluster."""
        if not self._checked:
            self._check_folder()
        future = self.client.submit(
            _build_alone, build, *args, pure=False, retries=self.retries,
            key=f"archive-segment-{uuid.uuid4().hex}",
        )
        self._futures.append(future)
        return _ClusterFuture(future, self.address)

    def shutdown(self, wait=True, cancel_futures=False):
        if self.client is None:
            return
        finished = all(f.done() for f in self._futures)
        if cancel_futures and not finished:
            self.client.cancel([f for f in self._futures if not f.done()])
        self._futures = []
        self.client.close()
        self.client = None
        if finished:
            self._remove_stray_files()

    def _remove_stray_files(self):
        # No task of this run is running, and the index's write lock keeps
        # every other writer out: a worker's temporary folder, or a
        # half-written arrays file, is left by one that died.
        for entry in Path(self.index_dir).iterdir():
            if entry.is_dir() and entry.name.startswith(f"{self.indexname}.tmp."):
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(".") and entry.name.endswith(".tmp") and ".arrays." in entry.name:
                entry.unlink(missing_ok=True)


class _ClusterFuture:
    """A Dask future whose failures are said in the archive's words."""

    def __init__(self, future, address):
        self.future = future
        self.address = address

    def result(self):
        distributed = _distributed()
        try:
            return self.future.result()
        except distributed.KilledWorker as e:
            raise ClusterError(
                f"a chunk of articles was lost: every worker that built it died ({e}); the batches "
                "committed so far are kept, rerun the same command to finish"
            ) from None
        except distributed.client.FutureCancelledError as e:
            raise ClusterError(f"the Dask scheduler at {self.address} dropped a chunk ({e}); "
                               "rerun the same command to finish") from None


class LocalDaskCluster:
    """A real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1,
    for the tests and benchmarks (and for trying ``--cluster`` on one
    machine).  Workers have one thread and no nanny, so a worker that is
    killed stays dead.

    >>> with LocalDaskCluster(workers=2) as cluster:       # doctest: +SKIP
    ...     index_articles(index_dir, articles, executor=ClusterExecutor(cluster.address, index_dir))
    """

    def __init__(self, workers=2, cwd=None, start_seconds=60):
        self.workers = workers
        self.cwd = cwd
        self.start_seconds = start_seconds
        self.folder = Path(tempfile.mkdtemp(prefix="archive-dask-"))
        self.scheduler = None
        self.worker_procs = []
        self.address = None

    def _dask(self, *args):
        dask = Path(sys.executable).with_name("dask")
        command = [str(dask)] if dask.exists() else [sys.executable, "-m", "dask"]
        with open(self.folder / f"{args[0]}-{len(self.worker_procs)}.log", "wb") as log:
            return subprocess.Popen([*command, *args], cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT)

    def __enter__(self):
        scheduler_file = self.folder / "scheduler.json"
        self.scheduler = self._dask("scheduler", "--host", "127.0.0.1", "--port", "0",
                                    "--no-dashboard", "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + self.start_seconds
        while not scheduler_file.exists():
            self._alive(deadline)
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        for i in range(self.workers):
            self.worker_procs.append(self._dask(
                "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                "--name", f"archive-{i}", "--memory-limit", "0",
                "--local-directory", str(self.folder / f"worker-{i}"),
            ))
        self.wait_for_workers(self.workers, deadline)
        return self

    def _alive(self, deadline):
        for proc in [self.scheduler, *self.worker_procs]:
            if proc.poll() is not None:
                self.__exit__()
                raise ClusterError(f"a dask process exited ({proc.returncode}): {self.logs()}")
        if time.monotonic() > deadline:
            self.__exit__()
            raise ClusterError(f"the local Dask cluster did not start in {self.start_seconds} s: {self.logs()}")

    def wait_for_workers(self, count, deadline):
        distributed = _distributed()
        with distributed.Client(self.address, timeout=CONNECT_SECONDS, set_as_default=False) as client:
            while len(client.scheduler_info()["workers"]) < count:
                self._alive(deadline)
                time.sleep(0.2)

    def worker_pids(self):
        return [p.pid for p in self.worker_procs]

    def kill_worker(self, i):
        """SIGKILL worker ``i``: no clean-up, no goodbye to the scheduler."""
        os.kill(self.worker_procs[i].pid, signal.SIGKILL)
        self.worker_procs[i].wait()

    def logs(self):
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in self.folder.glob("*.log"))

    def __exit__(self, *exc):
        for proc in [*self.worker_procs, self.scheduler]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [*self.worker_procs, self.scheduler]:
            if proc is not None:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
