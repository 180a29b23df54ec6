"""The Japanese text layer: fillers against the same words used for real, mora counts."""

import pytest

from simulator.japanese import canonical_filler, count_mora, find_fillers, split_sentences


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
