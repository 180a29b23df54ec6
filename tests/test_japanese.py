"""The Japanese text layer: fillers against the same words used for real, mora counts."""

import pytest

from simulator.lang.japanese import (
    canonical_filler,
    count_mora,
    find_fillers,
    split_sentences,
)


def fillers(text: str) -> list[str]:
    return [f.canonical for f in find_fillers(text)]


@pytest.mark.parametrize("text, expected", [
    # spellings normalise to one canonical type
    ("えっと、私の強みは粘り強さです。", ["えーと"]),
    ("ええと、山田と申します。", ["えーと"]),
    ("えーっと、それは三年前のことです。", ["えーと"]),
    ("あのう、前職では営業でした。", ["あのー"]),
    ("まー、そうですね。", ["まあ"]),
    # the demonstratives stay words when a noun follows
    ("あの会社で働きたいです。", []),
    ("その経験から学びました。", []),
    ("その結果、売上が伸びました。", []),
    # …and are fillers when they stand alone
    ("あの、前職では営業でした。", ["あのー"]),
    ("その、この経験から学びました。", ["その"]),
    ("あのなので、私の強みは真面目さです。", ["あのー"]),
    # まあまあ is an adverb ("so-so"), not a hesitation
    ("結果はまあまあでした。", []),
    ("まあ、忙しい時期もありました。", ["まあ"]),
    # なんか only at the start of a clause: 私なんか is a real word
    ("なんか、給料も低くて。", ["なんか"]),
    ("私なんかには難しい仕事でした。", []),
    # え at a clause start before a pause is a hesitation; inside a word it is nothing
    ("え、そうですね。", ["えー"]),
    ("絵を描くのが趣味です。", []),
    ("えー、なかなか意見を聞いてもらえないんです。", ["えー"]),
    # several in a row, in order
    ("えーと、あのー、まあ、その、頑張りました。", ["えーと", "あのー", "まあ", "その"]),
    # no punctuation at all, as Whisper sometimes writes it
    ("えーと強みですがまあいろいろあります", ["えーと", "まあ"]),
])
def test_fillers_against_real_words(text, expected):
    assert fillers(text) == expected


def test_filler_spans_point_at_the_text():
    text = "はい。えっと、その、三年間です。"
    spans = find_fillers(text)
    assert [text[s.start:s.end] for s in spans] == ["えっと", "その"]


@pytest.mark.parametrize("word, canonical", [
    ("えーと", "えーと"), ("えっと", "えーと"), ("あのぉ", "あのー"), ("まぁ", "まあ"),
    ("えー、", "えー"), ("会社", None),
])
def test_canonical_filler(word, canonical):
    assert canonical_filler(word) == canonical


@pytest.mark.parametrize("text, mora", [
    ("きょう", 2),              # a contracted sound is one mora
    ("がっこう", 4),            # small tsu and long vowel count
    ("ほんとう", 4),            # syllabic n counts
    ("東京", 4),                # トーキョー
    ("12件", 5),                # ジューニケン: digits are read
    ("1.5倍", 7),               # イッテンゴバイ
    ("３か月", 5),              # full-width digit: サンカゲツ
    ("IT業界", 8),              # アイティーギョーカイ
    ("えーと、はい。", 5),      # punctuation carries no mora
    ("", 0),
])
def test_mora_counts(text, mora):
    assert count_mora(text) == mora


def test_mora_of_a_sentence_matches_its_kana():
    assert count_mora("私の強みは粘り強さです") == count_mora("わたしのつよみはねばりづよさです")


def test_split_sentences():
    assert split_sentences("結論です。理由は二つあります！本当ですか？はい") == [
        "結論です。", "理由は二つあります！", "本当ですか？", "はい"]
    assert split_sentences("  ") == []


# --- Offsets survive the front end's rewriting of numbers (3000 → 三千) -----------------

NUMBER_FORMS = ["3000件", "3,000件", "1.5倍", "20%", "2023年", "50代", "10万円", "３千", "100万円", "1,234,567円"]


@pytest.mark.parametrize("number", NUMBER_FORMS)
def test_fillers_and_words_after_a_number_keep_their_offsets(number):
    from simulator.lang.japanese import normalise, tokenize

    text = f"売上は{number}でした。えーと、次に御社の営業で、あのー、貢献したいです。"
    norm = normalise(text)
    spans = find_fillers(text)
    assert [norm[s.start:s.end] for s in spans] == ["えーと", "あのー"]
    tokens = tokenize(text)
    assert all(0 <= t.start <= t.end <= len(norm) for t in tokens)
    located = {t.surface: norm[t.start:t.end] for t in tokens if t.surface in ("御社", "営業", "貢献")}
    assert located == {"御社": "御社", "営業": "営業", "貢献": "貢献"}
    # the number's own tokens point at the digits they were read from
    digits = [norm[t.start:t.end] for t in tokens if t.pos_detail == "数"]
    assert digits and all(d and d in normalise(number) for d in digits)


@pytest.mark.parametrize("number", NUMBER_FORMS)
def test_a_filler_right_after_a_number(number):
    assert fillers(f"{number}、えーと、増えました。") == ["えーと"]
    assert fillers(f"期間は{number}えー、です。") == ["えー"]


def test_the_reported_case():
    assert fillers("売上を3000件達成しました。えーと、次に") == ["えーと"]


# --- Fillers as people say them --------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("えーーと、私の強みは", ["えーと"]),
    ("あのーー、前職では", ["あのー"]),
    ("あのう、前職では", ["あのー"]),
    ("えーと～、それは", ["えーと"]),
    ("あー、そうですね、私は", ["あー"]),
    ("うーん、難しいですが、挑戦します。", ["うーん"]),
    ("私は、えー、営業を担当しました。", ["えー"]),                 # mid-sentence
    ("えー、あのー、頑張りました。", ["えー", "あのー"]),            # two in a row
    ("それで、ええ、次に提案しました。", ["えー"]),
    # no false ones
    ("あの時は楽しかったです。", []),
    ("その結果、売上が伸びました。", []),
    ("何か一つ挙げるとすれば", []),
    ("結果はまあまあでした。", []),
    ("ええ、そうです。私が担当しました。", []),                       # ええ = yes
    ("ああいう人になりたいです。", []),
    ("えらい人に会いました。", []),
])
def test_fillers_as_people_say_them(text, expected):
    assert fillers(text) == expected


def test_filler_text_is_what_was_said():
    assert [f.text for f in find_fillers("えーーと、その件は")] == ["えーーと"]


def test_malformed_filler_entry_names_file_and_line(tmp_path, monkeypatch):
    from simulator.lang import japanese
    from simulator.rules import bank

    (tmp_path / "fillers.toml").write_text(
        '[[filler]]\ncanonical = "えーと"\nspellings = ["えーと"]\nrule = "always"\n\n'
        '[[filler]]\ncanonical = "えー"\nspellings = ["ええ"]\nrule = "sometimes"\n', encoding="utf-8")
    monkeypatch.setattr(bank, "project_dir", lambda name: tmp_path)
    bank.load.cache_clear(); japanese.filler_lexicon.cache_clear()
    try:
        with pytest.raises(bank.PromptsError, match=r"fillers\.toml:8: "):
            japanese.filler_lexicon()
    finally:
        bank.load.cache_clear(); japanese.filler_lexicon.cache_clear()
