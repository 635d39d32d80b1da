"""The recogniser's data files: every table parses, bad rows are rejected
with their file and line, and the model was trained on the gazetteers that
ship (issue 12, item 6)."""

import pytest

from analyzers.entities import resources
from analyzers.entities.resources import (
    DataFileError, check_all, parse_actors, parse_clubs, parse_countries, parse_offices,
    parse_phrases, parse_triggers, parse_words,
)


def test_every_data_file_parses():
    checked = check_all()
    assert {"actors.tsv", "clubs.tsv", "offices.tsv", "countries.tsv", "triggers.tsv",
            "first_names.txt", "generic_phrases.txt"} <= set(checked)


def test_every_data_file_has_a_parser():
    names = {p.name for p in resources.DATA.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert names <= set(resources.PARSERS) | resources.BINARY, names - set(resources.PARSERS)


# (parser, file name, text, line of the error, words the message holds)
BAD_ROWS = [
    (parse_actors, "actors.tsv", "person\tأ ب\tA B\nperson\tج\n", 2, "fields"),
    (parse_actors, "actors.tsv", "# c\nleader\tأ ب\tA B\n", 2, "unknown kind 'leader'"),
    (parse_actors, "actors.tsv", "person\tأحمد علي\tA\nperson\tاحمد علي\tB\n", 2, "duplicate actor"),
    (parse_actors, "actors.tsv", "person\tأ ب\tA\tعلي\norganization\tج د\tB\tعلي\n", 2, "also names"),
    (parse_actors, "actors.tsv", "person\tأ ب\tA\tعلي~\n", 1, "marks go before"),
    (parse_clubs, "clubs.tsv", "SA\tالهلال\tAl-Hilal\nSA\tالهلال\tAl-Hilal\n", 2, "duplicate club"),
    (parse_clubs, "clubs.tsv", "Saudi\tالهلال\tAl-Hilal\n", 1, "country code"),
    (parse_offices, "offices.tsv", "US\tالرئيس {}\tباراك أوباما\nUS\tالرئيس {}\tجو بايدن\n", 2, "duplicate title"),
    (parse_offices, "offices.tsv", "US\tالرئيس {دولة}\tباراك أوباما\n", 1, "placeholder"),
    (parse_countries, "countries.tsv", "IQ\tcapital\tبغداد\n", 1, "unknown kind 'capital'"),
    (parse_countries, "countries.tsv", "IQ\tcity\tبغداد | البصرة\nIQ\tcity\tبغداد\n", 2, "duplicate city form"),
    (parse_countries, "countries.tsv", "-\tcity\tبغداد\n", 1, "does not fit"),
    (parse_countries, "countries.tsv", "IQ\tlabel\tالعراق\n", 1, "a label is"),
    (parse_countries, "countries.tsv", "SA\timplicit\tالمملكة | Jordan\n", 1, "country codes"),
    (parse_countries, "countries.tsv", "IQ\tcity\n", 1, "fields"),
    (parse_triggers, "triggers.tsv", "person\tالرئيس الملك\nperson\tالملك\n", 2, "duplicate person word"),
    (parse_triggers, "triggers.tsv", "titles\tالرئيس\n", 1, "unknown kind 'titles'"),
    (lambda name, text: parse_words(name, text), "first_names.txt", "محمد\nأحمد احمد\n", 2, "duplicate word"),
    (lambda name, text: parse_phrases(name, text), "generic_phrases.txt", "قوات الأمن\nقوات الامن\n", 2,
     "duplicate phrase"),
]


@pytest.mark.parametrize("parse, name, text, line, words", BAD_ROWS, ids=[r[4] + " " + r[1] for r in BAD_ROWS])
def test_bad_rows_are_rejected_with_file_and_line(parse, name, text, line, words):
    with pytest.raises(DataFileError) as caught:
        parse(name, text)
    error = caught.value
    assert (error.name, error.line) == (name, line)
    assert words in str(error) and str(error).startswith(f"{name}, line {line}:")


def test_good_rows_parse():
    rows = parse_actors("actors.tsv", "person\tأ ب\tA B\t~ب | أب\tAB\n")
    assert rows[0].aliases == ["~ب", "أب"] and rows[0].aliases_en == ["AB"]
    assert parse_triggers("triggers.tsv", "# kinds\nperson\tالرئيس\n") == {"person": frozenset({"الرئيس"})}


def test_an_office_holder_must_be_a_known_person():
    from analyzers.entities import gazetteer

    rows = parse_offices("offices.tsv", "US\tالرئيس {}\tباراك أوباما\n")
    assert gazetteer.known_actor(rows[0].person).kind == "person"


def test_the_model_was_trained_on_the_shipped_gazetteers():
    recorded = resources.recorded_hashes()
    assert recorded, f"no {resources.MODEL_INPUTS_FILE}: train the model with scripts/train_ner.py train"
    stale = resources.stale_model_inputs()
    assert not stale, (f"{', '.join(stale)} changed since the CRF was trained on them: "
                       "retrain with `python scripts/train_ner.py train` (see bench/README.md)")


def test_the_record_covers_every_model_input():
    assert set(resources.recorded_hashes()) == set(resources.MODEL_INPUTS)


def test_an_edited_gazetteer_makes_the_model_stale(tmp_path, monkeypatch):
    # A copy of the data folder with one row added to actors.tsv: the check
    # names that file, and only it.
    for name in resources.MODEL_INPUTS + (resources.MODEL_INPUTS_FILE,):
        (tmp_path / name).write_bytes(resources.data_path(name).read_bytes())
    with open(tmp_path / "actors.tsv", "a", encoding="utf-8") as f:
        f.write("person\tاسم جديد\tA New Name\n")
    monkeypatch.setattr(resources, "DATA", tmp_path)
    assert resources.stale_model_inputs() == ["actors.tsv"]
