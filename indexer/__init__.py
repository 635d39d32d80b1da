"""Reading sources, building the Whoosh index, and searching it.

Everything that touches Whoosh lives here; the CLI (:mod:`indexer.cli`) and
the web app call :mod:`indexer.search` and :mod:`indexer.writer` only.
"""
