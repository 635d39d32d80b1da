"""Build the entity recogniser's model files from the shared corpora.

    python scripts/train_ner.py clusters    # PPMI word clusters from SaudiNewsNet
    python scripts/train_ner.py embeddings  # word2vec clusters (needs the build extra)
    python scripts/train_ner.py train       # CRF from the ANERcorp training part

All write into ``analyzers/entities/data/``: ``clusters.tsv.gz`` and
``embedding_clusters.tsv.gz`` (word -> cluster ids at three granularities,
learned from unlabelled text) and ``ner.crfsuite.xz`` (the CRF's weights).
None holds corpus text.  ``all`` runs the three in order.

``train`` also writes ``ner.inputs.json``: the SHA-256 of every data file
the CRF's features read (given names, triggers, the actor and country
gazetteers, the clusters; ``resources.MODEL_INPUTS``).  A test fails when
one of them changes without retraining, since the model's gazetteer flags
would no longer be the ones it learned.  Retrain after editing any of
them.
Data is read from ``../shared/data`` beside the repository, or ``--data``.

Clusters are cheap distributional ones: positive PMI of each word with the
most frequent words one and two positions to its left and right, reduced
to 100 dimensions by an eigen-decomposition of the Gram matrix (exact SVD,
computed in row chunks so memory stays small), then k-means on the unit
vectors, and k-means again on the centroids for the coarser levels.

Embedding clusters are the same k-means over skip-gram word2vec vectors
(gensim, a build-time dependency only: ``pip install .[build]``).  Their
window is wider, so they group words by topic more than by syntax, which
helps organisation names most.  Training takes about 15 minutes on two
busy cores; gensim's threads make it not bit-for-bit repeatable.
"""

import argparse
import gzip
import json
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzers.entities.resources import DATA  # noqa: E402
from analyzers.entities.tokens import normalize_tokens, tokenize  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
ANERCORP = Path("anercorp_train") / "ANERCorp_train.txt"

MIN_COUNT = 5          # rarer words get no cluster (their vectors are noise)
MAX_VOCAB = 120_000
CONTEXT_WORDS = 600    # context vocabulary per offset
OFFSETS = (-2, -1, 1, 2)
DIMS = 100
LEVELS = (1000, 120, 24)  # clusters per level, finest first
EMBEDDING_LEVELS = (1000, 200, 40)
# Skip-gram settings; max_final_vocab caps memory, min_count as above.
WORD2VEC = {
    "vector_size": 100, "window": 5, "sg": 1, "negative": 10, "sample": 1e-4,
    "epochs": 5, "min_count": MIN_COUNT, "max_final_vocab": 150_000, "seed": 1, "workers": 2,
}
CHUNK = 4000


def read_saudinewsnet(data_dir):
    """Yield title + body of every SaudiNewsNet article."""
    for path in sorted((data_dir / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                for article in json.loads(archive.read(name)):
                    yield (article.get("title") or "") + "\n" + (article.get("content") or "")


def kmeans(x, k, iters=20, seed=0):
    """Return cluster labels and centroids of the unit rows of ``x`` (cosine)."""
    rng = np.random.default_rng(seed)
    centroids = x[rng.choice(len(x), k, replace=False)].copy()
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(iters):
        labels = np.concatenate(
            [np.argmax(x[i:i + 20000] @ centroids.T, axis=1) for i in range(0, len(x), 20000)]
        )
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c = members.sum(axis=0)
                centroids[j] = c / (np.linalg.norm(c) or 1.0)
    return labels, centroids


def build_clusters(data_dir, out):
    t0 = time.time()
    docs = [normalize_tokens(tokenize(text)) for text in read_saudinewsnet(data_dir)]
    freq = Counter(w for doc in docs for w in doc)
    vocab = [w for w, c in freq.most_common(MAX_VOCAB) if c >= MIN_COUNT]
    index = {w: i for i, w in enumerate(vocab)}
    print(f"{sum(freq.values())} tokens, {len(vocab)} words kept ({time.time() - t0:.0f}s)")

    # One id stream with -1 between documents, so windows never cross them.
    ids = np.fromiter(
        (index.get(w, -1) for doc in docs for w in doc + [None]), dtype=np.int64
    )
    del docs
    n_ctx = CONTEXT_WORDS
    rows, cols, vals = [], [], []
    for slot, off in enumerate(OFFSETS):
        w = ids[max(0, -off):len(ids) - max(0, off)]
        c = ids[max(0, off):len(ids) - max(0, -off) or None][: len(w)]
        keep = (w >= 0) & (c >= 0) & (c < n_ctx)
        pairs, counts = np.unique(w[keep] * n_ctx + c[keep], return_counts=True)
        rows.append(pairs // n_ctx)
        cols.append(pairs % n_ctx + slot * n_ctx)
        vals.append(counts.astype(np.float64))
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    n_cols = n_ctx * len(OFFSETS)
    total = vals.sum()
    row_sum = np.bincount(rows, weights=vals, minlength=len(vocab))
    col_sum = np.bincount(cols, weights=vals, minlength=n_cols) ** 0.75  # context smoothing
    col_sum *= total / col_sum.sum()
    pmi = np.log(vals * total / (row_sum[rows] * col_sum[cols]))
    keep = pmi > 0
    rows, cols, pmi = rows[keep], cols[keep], pmi[keep].astype(np.float32)
    order = np.argsort(rows, kind="stable")
    rows, cols, pmi = rows[order], cols[order], pmi[order]
    bounds = np.searchsorted(rows, np.arange(0, len(vocab) + CHUNK, CHUNK))
    print(f"PPMI: {len(pmi)} cells ({time.time() - t0:.0f}s)")

    def dense(chunk):
        lo, hi = bounds[chunk], bounds[chunk + 1]
        block = np.zeros((CHUNK, n_cols), dtype=np.float32)
        block[rows[lo:hi] - chunk * CHUNK, cols[lo:hi]] = pmi[lo:hi]
        return block

    n_chunks = (len(vocab) + CHUNK - 1) // CHUNK
    gram = np.zeros((n_cols, n_cols), dtype=np.float64)
    for chunk in range(n_chunks):
        block = dense(chunk)
        gram += block.T @ block
    eigvals, eigvecs = np.linalg.eigh(gram)
    top = eigvecs[:, np.argsort(eigvals)[::-1][:DIMS]].astype(np.float32)
    scale = np.sqrt(np.maximum(np.sort(eigvals)[::-1][:DIMS], 1e-9)).astype(np.float32)
    # X V = U S; weighting by S^-1/2 (i.e. U S^1/2) keeps minor dimensions
    # from being drowned by the first, as in word2vec-style SVD recipes.
    emb = np.concatenate([dense(c) @ top for c in range(n_chunks)])[: len(vocab)] / np.sqrt(scale)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
    print(f"embeddings {emb.shape} ({time.time() - t0:.0f}s)")

    write_clusters(vocab, emb, LEVELS, out, "PPMI")
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB, {time.time() - t0:.0f}s)")


def write_clusters(vocab, emb, levels, out, kind):
    """Cluster the unit rows of ``emb`` at ``levels`` and write the map."""
    fine, centroids = kmeans(emb, levels[0])
    parent_of = []
    for k in levels[1:]:
        parents, centroids = kmeans(centroids, k, iters=30)
        parent_of.append(parents)
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(f"# {kind} word clusters from SaudiNewsNet: levels {levels}; word<TAB>fine id\n")
        for level, parents in zip(levels[1:], parent_of):
            f.write(f"#parents {level} " + " ".join(map(str, parents)) + "\n")
        for word, label in zip(vocab, fine):
            f.write(f"{word}\t{label}\n")


def build_embedding_clusters(data_dir, out):
    from gensim.models import Word2Vec  # build-time only

    t0 = time.time()
    # Sentences are whole articles, newlines dropped, as the tagger sees
    # them apart from sentence breaks.
    docs = [[w for w in normalize_tokens(tokenize(text)) if w != "\n"]
            for text in read_saudinewsnet(data_dir)]
    model = Word2Vec(docs, **WORD2VEC)
    vocab = list(model.wv.index_to_key)
    emb = model.wv.vectors.astype(np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
    print(f"word2vec: {len(vocab)} words ({time.time() - t0:.0f}s)")
    write_clusters(vocab, emb, EMBEDDING_LEVELS, out, "word2vec")
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB, {time.time() - t0:.0f}s)")


def train(data_dir, out):
    # Imported here: they read the cluster map just built.
    from analyzers.entities import resources
    from analyzers.entities.conll import read_conll
    from analyzers.entities.crfmodel import compress_model
    from analyzers.entities.training import train

    t0 = time.time()
    resources.check_all()   # a malformed gazetteer stops here, with its file and line
    hashes = resources.input_hashes()
    sentences = read_conll(data_dir / ANERCORP)
    train(sentences, out)
    out = compress_model(out)
    write_inputs(out.parent / resources.MODEL_INPUTS_FILE, out.name, hashes)
    print(f"trained on {len(sentences)} sentences -> {out} "
          f"({out.stat().st_size // 1024} KiB, {time.time() - t0:.0f}s)")


def write_inputs(path, model, hashes):
    """Record the hashes of the data files the model was trained with."""
    import babel

    record = {
        "model": model,
        "inputs": hashes,
        # CLDR's country names feed the country flag too (for information:
        # another Babel may name a country differently).
        "babel": babel.__version__,
    }
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["clusters", "embeddings", "train", "all"])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data directory")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"no data directory at {args.data}")
    out_dir = Path(str(DATA))
    if args.step in ("clusters", "all"):
        build_clusters(args.data, out_dir / "clusters.tsv.gz")
    if args.step in ("embeddings", "all"):
        build_embedding_clusters(args.data, out_dir / "embedding_clusters.tsv.gz")
    if args.step in ("train", "all"):
        train(args.data, out_dir / "ner.crfsuite")


if __name__ == "__main__":
    main()
