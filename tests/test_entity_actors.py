"""Document-level actor rules added for issue 13: what is and is not an
actor, spans, and one canonical actor per person or body.

Every sentence here is written for the test; none comes from a corpus.
"""

import pytest

from analyzers.entities import extract_entities


def names(text, kind=None):
    return {a.name for a in extract_entities(text).actors if kind is None or a.kind == kind}


# (text, an actor that must be found, note)
FOUND = [
    ("قرر الاتحاد السعودي لكرة القدم تأجيل المباراة", "الاتحاد السعودي لكرة القدم",
     "a definite head, a demonym, then what the body is for"),
    ("حذرت الهيئة السعودية للمواصفات والمقاييس والجودة من الأجهزة", "الهيئة السعودية للمواصفات والمقاييس والجودة",
     "a prepositional complement with pairs joined by و"),
    ("أعلنت المؤسسة العامة للتدريب التقني عن برامج", "المؤسسة العامة للتدريب التقني",
     "a generic adjective before the prepositional complement"),
    ("قال رئيس نادي الشباب الحالي إن الفريق جاهز", "نادي الشباب", "a temporal adjective ends the name"),
    ("استقبلت جامعة الملك سعود الطلاب الجدد", "جامعة الملك سعود", "a body named after a king"),
    ("وثق المرصد السوري لحقوق الإنسان الغارات", "المرصد السوري لحقوق الإنسان", "مرصد is a head"),
    ("أدان البرلمان العربي التفجير", "البرلمان العربي", "a region's adjective makes a national head one body"),
]


@pytest.mark.parametrize("text, name, note", FOUND, ids=[r[2] for r in FOUND])
def test_organisations_found(text, name, note):
    assert name in names(text, "organization")


# (text, a word that must be in no actor's name, note)
NOT_ACTORS = [
    ("تولت اللجنة تنظيم الحفل في الساحة", "الحفل", "تنظيم as a verbal noun"),
    ("خففت الجسور حركة الشاحنات على الطريق", "الشاحنات", "حركة as a verbal noun"),
    ("أنهت إدارة النادي التعاقد مع المدرب", "التعاقد", "إدارة as a verbal noun, then its object"),
    ("رفعت شركات التكرير أسعارها", "التكرير", "a plural head describes"),
    ("رفضت الحكومة التركية الاتهامات", "الحكومة", "a government is its country"),
    ("انسحب الجيش الموالية للرئيس من المدينة", "الموالية", "an adjective that does not agree with the head"),
    ("دعت الكلية الراغبين في التقديم", "الراغبين", "the head's object, not its adjective"),
]


@pytest.mark.parametrize("text, word, note", NOT_ACTORS, ids=[r[2] for r in NOT_ACTORS])
def test_not_actors(text, word, note):
    assert not any(word in name for name in names(text)), names(text)


@pytest.mark.parametrize("text, note", [
    ("استقبلت جامعة الملك سعود الطلاب الجدد", "a body's name"),
    ("فاز الفريق بكأس خادم الحرمين الشريفين أمس", "a competition's name"),
    ("زار الوفد مدائن صالح الأثرية", "a place's name"),
    ("هبطت الطائرة في مطار الملك خالد الدولي", "an airport's name"),
])
def test_no_person_inside_a_name(text, note):
    assert names(text, "person") == set()


def test_a_government_counts_as_its_country():
    ents = extract_entities("رفضت الحكومة التركية الاتهامات")
    assert [c.code for c in ents.countries] == ["TR"]
    assert ents.actors == []


def actor_of(ents, surface):
    """The one actor that has ``surface`` among its aliases."""
    found = [a for a in ents.actors if surface in a.aliases or a.name == surface]
    assert len(found) == 1, (surface, [(a.name, a.aliases) for a in ents.actors])
    return found[0]


@pytest.mark.parametrize("text, short, full, note", [
    ("وقع اللاعب أرتورو فيدال عقده. وقال فيدال إنه سعيد.", "فيدال", "أرتورو فيدال", "a lone surname"),
    ("أكد المدافع سيرخيو راموس بقاءه. وقال سيرخيو إنه باق.", "سيرخيو", "سيرخيو راموس", "a lone given name"),
    ("وأوضح المهندس خالد محمد الغامدي أن المشروع اكتمل. وقال خالد الغامدي إن التكلفة بلغت مليونا.",
     "خالد الغامدي", "خالد محمد الغامدي", "first and last names"),
    ("أعلن الاتحاد السعودي للسباحة قائمته. وقال اتحاد السباحة إن المعسكر يبدأ غدا.",
     "اتحاد السباحة", "الاتحاد السعودي للسباحة", "a body's head and nouns, the demonym left out"),
])
def test_short_forms_join_the_full_name(text, short, full, note):
    ents = extract_entities(text)
    assert actor_of(ents, short) is actor_of(ents, full)
    assert actor_of(ents, full).name == full


def test_two_bodies_that_share_a_noun_stay_apart():
    ents = extract_entities("اجتمعت اللجنة الوطنية للتدريب بمجلس الغرف. وقال رئيس لجنة التدريب بغرفة الشرقية إن الاجتماع مفيد.")
    orgs = {a.name for a in ents.actors if a.kind == "organization"}
    assert "اللجنة الوطنية للتدريب" in orgs and "لجنة التدريب" in orgs


# Clubs: found in sports texts, or after نادي/فريق.
@pytest.mark.parametrize("text, club, note", [
    ("فاز الهلال على النصر في مباراة الدوري وسجل المهاجم هدفين", "الهلال", "a common-word club in a sports text"),
    ("أعلن نادي الشباب تعاقده مع مدافع جديد", "الشباب", "after نادي in any text"),
    ("تأهل السد القطري بعد ركلات الترجيح أمام المدرب الجديد", "السد", "with its demonym"),
    ("خسر مانشستر يونايتد أمام ليستر سيتي وغاب المهاجم عن الملعب", "ليستر سيتي", "X سيتي kept whole"),
    ("انتقل اللاعب إلى باريس سان جيرمان بعد مباراة الكأس", "باريس سان جيرمان", "a three-word club"),
])
def test_clubs_found(text, club, note):
    assert club in names(text, "organization")


@pytest.mark.parametrize("text, word, note", [
    ("تحقق النصر للجيش بعد معارك طويلة", "النصر", "victory, in a text about no sport"),
    ("شارك الشباب في حملة النظافة", "الشباب", "youth, in a text about no sport"),
    ("استعاد المدرب تركيزه مع اللاعبين الشباب قبل المباراة", "الشباب", "an adjective of a definite noun"),
    ("وزع الهلال الأحمر المساعدات على اللاعبين في الملعب", "الهلال", "another adjective follows: الهلال الأحمر"),
    ("أعلن الاتحاد السعودي لكرة القدم أن اللاعب والمدرب غابا", "الاتحاد", "a federation, not the club"),
])
def test_club_names_that_are_words(text, word, note):
    clubs = [a for a in extract_entities(text).actors if a.label_en.startswith("Al-") or a.name == word]
    assert all(a.name != word for a in clubs), clubs


def test_a_shared_club_name_follows_its_demonym_in_the_text():
    ents = extract_entities("واجه الأهلي المصري الزمالك في مباراة القمة، وسجل لاعب الأهلي هدفين")
    ahly = [a for a in ents.actors if a.name == "الأهلي"]
    assert len(ahly) == 1 and ahly[0].label_en == "Al Ahly"


# Titles that stand for one person (2015 office holders).
@pytest.mark.parametrize("text, person, note", [
    ("قال وزير الخارجية الأمريكي إن المحادثات مستمرة", "جون كيري", "a title alone"),
    ("أكدت المستشارة الألمانية دعمها للاتفاق", "أنجيلا ميركل", "a feminine title"),
    ("وجه خادم الحرمين الشريفين بصرف المساعدات", "سلمان بن عبدالعزيز", "a title without a demonym"),
    ("التقى وزير خارجية روسيا نظيره", "سيرغي لافروف", "the country's name in the title"),
])
def test_titles_stand_for_their_holder(text, person, note):
    assert person in names(text, "person")


@pytest.mark.parametrize("text, note", [
    ("قال الرئيس الأمريكي السابق إن الحرب كانت خطأ", "a former holder"),
    ("قال مستشار الرئيس الأمريكي إن الاجتماع مثمر", "the complement of a role"),
    ("فاز الفريق بكأس خادم الحرمين الشريفين", "inside a competition's name"),
])
def test_titles_that_stand_for_no_holder(text, note):
    assert names(text, "person") == set()


def test_a_title_with_a_name_once_is_that_person_in_the_text():
    ents = extract_entities("زار رئيس الوزراء العراقي السابق نوري المالكي المخيم. "
                            "ولم يكن رئيس الوزراء العراقي في الكشوف.")
    people = {a.name for a in ents.actors if a.kind == "person"}
    assert "حيدر العبادي" not in people
    # (السابق after the first title: the name still introduces it.)


def test_a_title_does_not_hide_its_country():
    assert [c.code for c in extract_entities("قال وزير الخارجية المصري").countries] == ["EG"]


# Spans of people: the words of the name as written, and the name whole.
@pytest.mark.parametrize("text, surface, note", [
    ("وسجل المهاجم واين روني هدف الفوز للفريق", "واين روني", "و that is the name's own letter"),
    ("وأشرك المدرب اللاعب كايل ووكر في المباراة", "كايل ووكر", "ك that is the name's own letter"),
])
def test_a_names_first_letter_is_no_clitic(text, surface, note):
    ents = extract_entities(text)
    assert any(surface in a.aliases for a in ents.actors), [(a.name, a.aliases) for a in ents.actors]


def test_a_table_match_strips_exactly_its_clitic():
    ents = extract_entities("وأعلن لخادم الحرمين الشريفين المواطنون ولاءهم")
    king = [a for a in ents.actors if a.name == "سلمان بن عبدالعزيز"]
    assert king and "خادم الحرمين الشريفين" in king[0].aliases


def test_family_name_after_the_fathers_name_joins_the_span():
    ents = extract_entities("وضمت البعثة اللاعبين سعود إبراهيم المولد وحمد مبروك المبروك وأحمد المولد.")
    assert "حمد مبروك المبروك" in {a.name for a in ents.actors}


def test_a_nationality_introduces_a_player_in_a_sports_text():
    ents = extract_entities("سجل البرازيلي أوزفالدو هدف المباراة الخامس وأضاف المدافع هدفين للفريق في الملعب")
    assert "أوزفالدو" in {a.name for a in ents.actors if a.kind == "person"}


def test_a_nationality_is_followed_by_no_adverb():
    ents = extract_entities("يلعب الفريق البرازيلي حاليا مباراة ودية في الملعب مع اللاعب الجديد")
    assert "حاليا" not in {a.name for a in ents.actors}


@pytest.mark.parametrize("text, absent, note", [
    ("التقى الوزير المستشار بالديوان الملكي", "الديوان الملكي", "a body in an adviser's title"),
    ("وصل الزوار إلى دبي مول مساء أمس", "دبي مول", "a mall is a place"),
    ("بلغت التكلفة 90 مليون ريال", "ريال", "a unit after a number"),
    ("سافر المنتخب للمشاركة في كأس الأمم الآسيوية", "الأمم", "a body inside an event's name"),
])
def test_filters(text, absent, note):
    assert not any(absent in a.name for a in extract_entities(text).actors)


def test_a_branch_takes_its_place_into_its_name():
    ents = extract_entities("عززت الغرفة التجارية الصناعية بالمدينة المنورة حضورها")
    assert "الغرفة التجارية الصناعية بالمدينة المنورة" in names(ents and "عززت الغرفة التجارية الصناعية بالمدينة المنورة حضورها")
    assert [c.code for c in ents.countries] == ["SA"]


@pytest.mark.parametrize("text, name", [
    ("قال البيت الأبيض إن الرئيس سيزور المنطقة", "البيت الأبيض"),
    ("نشر اللاعب صورته عبر حسابه في تويتر", "تويتر"),
])
def test_well_known_bodies_without_a_head_noun(text, name):
    assert name in names(text, "organization")


# (text, the person's name as the facet shows it, note)
PERSON_SPANS = [
    ("قال الشيخ خليفة بن زايد آل نهيان في كلمته إن", "خليفة بن زايد آل نهيان",
     "a title's alias does not hide the longer name after the title"),
    ("استقبل الشيخ محمد بن زايد آل نهيان الوفد أمس", "محمد بن زايد",
     "the family name after a known name joins its span, the actor stays the gazetteer's"),
    ("وقال الشيخ حمدان بن محمد بن راشد آل مكتوم إن", "حمدان بن محمد بن راشد آل مكتوم",
     "the son named before his father's name is the son, not the father"),
]


@pytest.mark.parametrize("text, person, note", PERSON_SPANS, ids=[r[2] for r in PERSON_SPANS])
def test_person_spans_along_the_name_chain(text, person, note):
    assert person in names(text, "person")


def test_the_span_covers_the_family_name():
    from analyzers.entities.actors import find_mentions
    from analyzers.entities.tokens import normalize_tokens, tokenize

    tokens = tokenize("استقبل الشيخ محمد بن زايد آل نهيان الوفد أمس")
    (m,) = [m for m in find_mentions(normalize_tokens(tokens)) if m.kind == "person"]
    assert tokens[m.start:m.end] == ["محمد", "بن", "زايد", "آل", "نهيان"]


def test_the_father_is_not_an_actor_of_his_sons_sentence():
    assert "محمد بن راشد آل مكتوم" not in names("وقال الشيخ حمدان بن محمد بن راشد آل مكتوم إن")


def mention_words(text, kind="person"):
    from analyzers.entities.actors import find_mentions
    from analyzers.entities.tokens import normalize_tokens, tokenize

    tokens = tokenize(text)
    return [" ".join(tokens[m.start:m.end]) for m in find_mentions(normalize_tokens(tokens)) if m.kind == kind]


def test_a_surname_after_a_name_link_keeps_the_link():
    # The surname rule alone, on a person named in full: the repeat of
    # أبي وقاص is one mention with its link, not وقاص alone.
    from analyzers.entities.actors import PERSON, Mention, _resolve_surnames
    from analyzers.entities.tokens import normalize_tokens, tokenize

    tokens = tokenize("قال سعد بن أبي وقاص إن الشعر باق ثم أضاف أبي وقاص أن")
    norms = normalize_tokens(tokens)
    mentions = [Mention(1, 5, PERSON, source="crf")]
    taken = [1 <= i < 5 for i in range(len(norms))]
    _resolve_surnames(norms, set(norms), mentions, taken)
    assert [" ".join(tokens[m.start:m.end]) for m in mentions[1:]] == ["أبي وقاص"]


def test_a_name_starting_with_new_is_a_place():
    assert mention_words("وصل الإعصار إلى نيو أورليانز أمس وغمر الأحياء") == []
