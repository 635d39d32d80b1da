"""Run the web app: waitress in production, Flask's debug server with --debug.

Searching is CPU work in Python, and waitress's threads share one GIL, so a
single process uses one core however many threads it has.  ``serve`` binds
the listening socket once and, where ``os.fork`` exists, forks one waitress
process per core on that socket (the pre-fork model of gunicorn): the kernel
hands each new connection to whichever process accepts first, so an idle
process takes the next request.  Each process opens its own read-only
SearchService after the fork (nothing Whoosh is shared across fork).  The
parent only supervises: it restarts a worker that dies and stops them all on
SIGINT/SIGTERM.
"""

import os
import signal
import socket
import sys
import time

from indexer.resultcache import RESULT_CACHE

# A worker that dies sooner than this after starting is not restarted:
# something is wrong with it (the index, the code) and restarting in a loop
# would hide it.
MIN_WORKER_LIFETIME = 5.0


def default_workers():
    return max(1, min(os.cpu_count() or 1, 8))


# glibc's malloc arenas a server process may use.  By default each thread
# gets one (up to 8 a core), and each keeps the memory of the arrays its
# searches freed: on the million-article index, a process whose 8 threads
# had run the load test's queries held 635 MB of anonymous memory, 400 MB
# with two arenas, at the same CPU time.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8   # mallopt's parameter number, from glibc's malloc.h


def limit_malloc_arenas(arenas=MALLOC_ARENAS):
    """Cap glibc's malloc arenas for this process and the ones it forks;
    return whether it could (not with another C library)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError, TypeError):
        return False


def _bind(host, port):
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, socktype, proto, _, addr = infos[0]
    sock = socket.socket(family, socktype, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(addr)
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _run_waitress(app, sock, threads):
    import logging

    from waitress import create_server

    # Waitress warns on every request that waits for a free thread; under
    # load that is a line per request, written while the clients wait.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    server = create_server(app, sockets=[sock], threads=threads,
                           # Long queries should not hold a connection forever.
                           channel_timeout=60, ident="archive",
                           # poll(), not select(): a large index keeps a few
                           # files open a segment (500 segments at a million
                           # articles), and select() refuses descriptors
                           # past 1023, so every worker died at start.
                           asyncore_use_poll=True)
    server.run()


def _app(config):
    """The app of one server process, its service warming up already."""
    from search_web import create_app
    from search_web.service import warm_in_background

    app = create_app(config)
    warm_in_background(app)
    return app


def _worker(config, sock, threads):
    """Body of a forked worker process; never returns."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 0
    try:
        _run_waitress(_app(config), sock, threads)
    except BaseException as e:  # report and leave: the parent decides what next
        print(f"archive serve worker {os.getpid()}: {e!r}", file=sys.stderr)
        code = 1
    finally:
        os._exit(code)


def serve(index_dir, host="127.0.0.1", port=5000, threads=8, debug=False, workers=None,
          result_cache=RESULT_CACHE):
    """Serve the archive in ``index_dir`` on http://host:port until interrupted.

    ``threads`` is per worker process; ``workers`` defaults to the number of
    cores (or $ARCHIVE_WEB_WORKERS).  Each process keeps the results of its
    last ``result_cache`` searches for repeated requests
    (:mod:`indexer.resultcache`).  ``debug`` runs Flask's reloading debug
    server in one process instead (development only).
    """
    from indexer.writer import check_index_dir
    from indexer.errors import IndexMissing
    from search_web import create_app

    # Fail here, with the service's message, rather than in every worker.
    if not check_index_dir(index_dir):
        raise IndexMissing(index_dir)

    config = {"INDEX_DIR": str(index_dir), "RESULT_CACHE": result_cache}
    if debug:
        create_app(config).run(host=host, port=port, debug=True)
        return

    limit_malloc_arenas()
    if workers is None:
        workers = int(os.environ.get("ARCHIVE_WEB_WORKERS") or default_workers())
    sock = _bind(host, port)
    url_host = f"[{host}]" if ":" in host else host
    print(f"serving the archive in {index_dir} on http://{url_host}:{sock.getsockname()[1]}/ "
          f"({workers} process{'es' if workers > 1 else ''} x {threads} threads); Ctrl-C stops",
          file=sys.stderr, flush=True)
    if workers == 1 or not hasattr(os, "fork"):
        try:
            _run_waitress(_app(config), sock, threads)
        except KeyboardInterrupt:
            pass
        return
    _supervise(config, sock, threads, workers)


def _supervise(config, sock, threads, workers):
    children = {}  # pid -> start time
    stopping = False

    def spawn():
        pid = os.fork()
        if pid == 0:
            _worker(config, sock, threads)
        children[pid] = time.monotonic()

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        spawn()
    try:
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            started = children.pop(pid, None)
            if started is None or stopping:
                continue
            lived = time.monotonic() - started
            print(f"archive serve: worker {pid} exited ({_describe(status)}) after {lived:.0f}s",
                  file=sys.stderr, flush=True)
            if lived >= MIN_WORKER_LIFETIME:
                spawn()
            elif not children:
                raise SystemExit("archive serve: every worker failed to start; see above")
    finally:
        stop(None, None)
        sock.close()


def _describe(status):
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"status {os.WEXITSTATUS(status)}"
