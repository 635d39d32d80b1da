"""`archive serve`: the pre-fork waitress server (search_web.server)."""

import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from indexer.errors import IndexMissing
from search_web.server import serve
from tests.conftest import ROOT


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url, proc, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"archive serve exited: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response
        except OSError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("archive serve did not answer")


def test_serve_refuses_a_missing_index(tmp_path):
    with pytest.raises(IndexMissing):
        serve(tmp_path / "none", port=_free_port())


def test_workers_share_the_port_and_stop_together(seed_index):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer.cli", "--index-dir", str(seed_index), "serve",
         "--port", str(port), "--threads", "2"],
        cwd=ROOT, env={**os.environ, "ARCHIVE_WEB_WORKERS": "2"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_up(f"http://127.0.0.1:{port}/", proc)
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
        # Every request is answered, whichever worker accepts it.
        for _ in range(10):
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/search?q=%D8%A8%D8%BA%D8%AF%D8%A7%D8%AF") as r:
                assert r.status == 200
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        gone, alive = psutil.wait_procs(workers, timeout=5)
        assert alive == []
        assert "2 processes x 2 threads" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serves_with_more_than_a_thousand_files_open(seed_index):
    # A large index holds a few open files a segment: the server's own
    # sockets then get descriptors past select()'s limit of 1023.
    port = _free_port()
    start = (
        "import os, runpy, sys\n"
        "held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]\n"
        f"sys.argv = ['archive', '--index-dir', {str(seed_index)!r}, 'serve', '--port', '{port}', '--threads', '2']\n"
        "runpy.run_module('indexer.cli', run_name='__main__')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", start], cwd=ROOT, env={**os.environ, "ARCHIVE_WEB_WORKERS": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_up(f"http://127.0.0.1:{port}/", proc)
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/search?q=%D8%A8%D8%BA%D8%AF%D8%A7%D8%AF") as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arenas are glibc's")
def test_malloc_arenas_are_capped_on_glibc():
    # The server's anonymous memory depends on it (search_web.server); a
    # C library that refuses must be noticed, not silently ignored.
    out = subprocess.run(
        [sys.executable, "-c", "from search_web.server import limit_malloc_arenas as f; print(f())"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "True"
