"""Arabic text analysis for the archive: normalization, tokenizing, light
stemming, stopwords, spelling variants and entity recognition.

This package imports nothing from the rest of the project.
"""
