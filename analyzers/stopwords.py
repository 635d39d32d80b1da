"""Arabic stopwords: function words that say nothing about a document's topic.

The list lives in ``analyzers/data/stopwords.txt`` and is normalized with
:func:`analyzers.normalize.normalize` on load, because the filter sees tokens
after normalization (إلى is listed as الي, على as علي).
"""

from analyzers.data import load_words

STOPWORDS = load_words("stopwords.txt")
