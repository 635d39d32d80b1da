"""Training the CRF on ``(token, tag)`` sentences (ANERcorp's training part),
from the same feature templates the decoder scores (:mod:`.features`)."""

import pycrfsuite

from analyzers.entities.features import sentence_features
from analyzers.entities.tokens import normalize_tokens

TRAIN_PARAMS = {
    "c1": 0.05,           # L1 keeps the model small and drops noisy word features
    # More L2 than the first 0.01: with the embedding clusters, 5-fold CV
    # scored better at 0.1 (see bench/results/entities.md).
    "c2": 0.1,
    "max_iterations": 200,
    "feature.possible_transitions": True,
    "feature.minfreq": 1,
}


def train(sentences, model_path, params=None):
    """Train a CRF on ``(token, tag)`` sentences and write it to ``model_path``."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for sent in sentences:
        tokens = [t for t, _ in sent]
        trainer.append(sentence_features(normalize_tokens(tokens)), [tag for _, tag in sent])
    trainer.set_params({**TRAIN_PARAMS, **(params or {})})
    trainer.train(str(model_path))
