"""The search state's links: the same query strings as urlencode of its pairs.

The results page builds a hundred of them, so query_string encodes each
name and value once and changes a state with one copy; these tests hold
it to the plain definition.
"""

from datetime import date
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from search_web.state import FACET_PARAMS, SearchState

VALUE = st.text(alphabet="النفطسعودية abc&=+%?#/\u064e\u200c«»\"'", min_size=1, max_size=12)
PARAMS = sorted(FACET_PARAMS)


@st.composite
def states(draw):
    # Repeats too: a hand-written URL may name a value twice.
    facets = {attr: draw(st.lists(VALUE, max_size=3)) for attr in FACET_PARAMS.values()}
    return SearchState(
        q=draw(st.text(max_size=20)),
        date_from=draw(st.sampled_from([None, date(2015, 1, 31)])),
        date_to=draw(st.sampled_from([None, date(2015, 12, 1)])),
        sort=draw(st.sampled_from(["relevance", "date", "recent"])),
        collapse=draw(st.booleans()),
        page=draw(st.integers(1, 40)),
        per_page=draw(st.sampled_from([10, 20])),
        **facets,
    )


def plain_changed(state, add=None, remove=None, toggle=None, page=None, **changes):
    """SearchState.changed as first written: one copy per kind of change."""
    from dataclasses import replace

    edit = toggle or add or remove
    if edit:
        param, value = edit
        attr = FACET_PARAMS[param]
        current = list(getattr(state, attr))
        if value in current and (toggle or remove):
            current.remove(value)
        elif value not in current and (toggle or add):
            current.append(value)
        state = replace(state, **{attr: current})
    if changes:
        state = replace(state, **changes)
    if page is not None:
        state = replace(state, page=page)
    elif edit or changes:
        state = replace(state, page=1)
    return state


@st.composite
def changes(draw):
    kind = draw(st.sampled_from(["none", "toggle", "add", "remove", "page", "sort", "dates", "month",
                                 "collapse", "q"]))
    if kind in ("toggle", "add", "remove"):
        return {kind: (draw(st.sampled_from(PARAMS)), draw(VALUE))}
    return {"none": {}, "page": {"page": draw(st.integers(1, 40))}, "sort": {"sort": "date"},
            "dates": {"date_from": None, "date_to": None},
            # A timeline bar's link.
            "month": {"date_from": date(2016, 2, 1), "date_to": date(2016, 2, 29)},
            "collapse": {"collapse": draw(st.booleans())},
            "q": {"q": draw(st.text(max_size=8))}}[kind]


@settings(max_examples=400, deadline=None)
@given(states(), changes())
def test_links_are_urlencode_of_the_changed_state(state, change):
    expected = plain_changed(state, **change)
    assert state.changed(**change) == expected
    assert state.query_string(**change) == urlencode(expected.pairs())


def test_an_unchanged_state_is_itself():
    state = SearchState(q="النفط", page=3)
    assert state.changed() is state
    assert state.query_string() == "q=%D8%A7%D9%84%D9%86%D9%81%D8%B7&page=3"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["with_actor", "with_country", "q"]), VALUE), max_size=4))
def test_encoded_pairs_are_urlencode(pairs):
    from search_web.state import encode_pairs

    assert encode_pairs(pairs) == urlencode(pairs)
