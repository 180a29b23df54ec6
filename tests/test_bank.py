"""prompts/ files: malformed data is reported as file:line, not as a traceback."""

import pytest

from simulator.analysis.analyze import find_question
from simulator.rules import bank


def test_broken_toml_names_file_and_line(tmp_path):
    (tmp_path / "fillers.toml").write_text('[[filler]]\ncanonical = "えーと"\nspellings = ["えっと",\n', encoding="utf-8")
    with pytest.raises(bank.PromptsError, match=r"fillers\.toml:\d+:"):
        bank.load("fillers", str(tmp_path))


def test_question_without_text_names_its_line(tmp_path):
    (tmp_path / "questions.toml").write_text(
        '[[question]]\nid = "a"\ntext = "質問"\ntype = "x"\ntracks = ["shinsotsu"]\n\n'
        '[[question]]\nid = "b"\ntype = "x"\ntracks = ["shinsotsu"]\n', encoding="utf-8")
    with pytest.raises(bank.PromptsError, match=r"questions\.toml:8: 質問 b に text がありません"):
        bank.questions(str(tmp_path))


def test_unknown_followup_is_reported(tmp_path):
    (tmp_path / "questions.toml").write_text(
        '[[question]]\nid = "a"\ntext = "質問"\ntype = "x"\ntracks = ["shinsotsu"]\nfollowups = ["zz"]\n',
        encoding="utf-8")
    with pytest.raises(bank.PromptsError, match="zz"):
        bank.questions(str(tmp_path))


def test_shipped_prompts_load():
    for name in ("fillers", "decoding", "delivery", "content", "advice", "labels", "consistency", "company"):
        assert bank.load(name)
    assert len(bank.questions()) == 96


@pytest.mark.parametrize("asked, qid", [
    ("御社を志望された理由を教えてください。", "shibou_douki"),
    ("最後に何かご質問はありますか？", "gyaku_shitsumon"),
    ("前の会社を辞めた理由は何ですか。", "tenshoku_riyuu"),
    ("ご自身の弱みは何だと思いますか。", "tansho"),
    ("簡単に自己紹介をしてください。", "jikoshokai"),
    ("趣味は何ですか。", None),
])
def test_questions_in_other_words_find_their_kind(asked, qid):
    q = find_question(asked)
    assert (q.id if q else None) == qid
