"""prompts/ files: malformed data is reported as file:line, not as a traceback."""

import shutil

import pytest

from simulator.analysis.analyze import find_question
from simulator.rules import bank
from simulator.rules.schema import SCHEMA


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
    assert len(bank.questions()) == 97


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


def _keys_to_misspell(name: str) -> list[tuple[int, str]]:
    """(line, key) of the first, middle and last plain `key = …` line of prompts/<name>.toml
    that the schema names (not a free word list, not text inside a multi-line string)."""
    import re

    from simulator.rules.schema import SCHEMA

    found, table = [], ()
    lines = (bank.project_dir("prompts") / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if m := re.match(r"^\[\[?([\w.-]+)\]\]?\s*(#.*)?$", line):
            table = tuple(m.group(1).split("."))
            continue
        if not (m := re.match(r"^([A-Za-z_][\w-]*)\s*=", line)):
            continue
        shape = SCHEMA[name]
        for part in table:
            shape = shape.get(part) if isinstance(shape, dict) else None
            shape = shape[0] if isinstance(shape, list) else shape
        if isinstance(shape, dict) and set(shape) != {"*"} and ({m.group(1), m.group(1) + "?"} & set(shape)):
            found.append((n, m.group(1)))
    return sorted({found[0], found[len(found) // 2], found[-1]}) if found else []


@pytest.mark.parametrize("name", sorted(__import__("simulator.rules.schema", fromlist=["SCHEMA"]).SCHEMA))
def test_a_misspelt_key_in_any_prompts_file_names_file_line_and_key(tmp_path, name):
    """A typo in any key of any prompts/ file stops start-up (check_all) with the file, the
    line and the key, instead of a KeyError when an answer is judged."""
    from support import PROMPTS

    keys = _keys_to_misspell(name)
    assert keys, f"no key of {name}.toml was found to misspell"
    for line, key in keys:
        folder = tmp_path / f"{name}-{line}"
        shutil.copytree(PROMPTS, folder)
        text = (folder / f"{name}.toml").read_text(encoding="utf-8").splitlines(keepends=True)
        text[line - 1] = text[line - 1].replace(key, key + "x", 1)
        (folder / f"{name}.toml").write_text("".join(text), encoding="utf-8")
        with pytest.raises(bank.PromptsError) as e:
            bank.check_all(str(folder))
        assert f"{name}.toml:{line}:" in str(e.value) and f"{key}x" in str(e.value), (line, key, str(e.value))


def test_a_missing_key_is_named_with_its_table(tmp_path):
    folder = tmp_path / "prompts"
    from support import PROMPTS

    shutil.copytree(PROMPTS, folder)
    path = folder / "delivery.toml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    n, line = next((n, l) for n, l in enumerate(lines) if l[:1].isalpha() and "=" in l)
    key = line.split("=")[0].strip()
    del lines[n]
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(bank.PromptsError, match=rf"delivery\.toml:\d+: .*{key} がありません"):
        bank.check_all(str(folder))


@pytest.mark.parametrize("name, old, new, message", [
    ("content", '"no_lesson"]', '"no_lesson", "no_plan"]', r"advice\.toml:\d+: \[reason\] に no_plan の文がありません"),
    ("questions", 'trigger = "vague_plan"', 'trigger = "vague_plans"',
     r"advice\.toml:\d+: \[reason\] に vague_plans の文がありません（questions\.toml の fu_vague_plan"),
    ("turn", 'followup = "fu_youten"', 'followup = "fu_yoten"', r"turn\.toml:\d+: 質問 fu_yoten が questions\.toml"),
    ("question_hints", '"stress"]', '"stres"]', r"question_hints\.toml:\d+: 質問 stres が questions\.toml にありません"),
])
def test_what_one_file_names_another_must_define(tmp_path, name, old, new, message):
    """A reason or label missing for a follow-up's trigger, or a hint to no question, stops
    start-up with the file and line instead of failing in the middle of an interview."""
    from support import edited_prompts

    folder = edited_prompts(tmp_path, name, old, new)
    with pytest.raises(bank.PromptsError, match=message):
        bank.check_all(folder)


@pytest.mark.parametrize("name, old, new, message", [
    ("delivery", "easy_low = 320", 'easy_low = "320"', r"delivery\.toml:16: easy_low は整数で書いてください（'320'"),
    ("delivery", "long_s = 2.0", "long_s = true", r"delivery\.toml:23: long_s は数値で書いてください"),
    ("confidence", 'mark = "{word}(?)"', "mark = 1", r"confidence\.toml:12: mark は文字列で書いてください"),
    ("decoding", "max_s = 1.0", 'max_s = "1.0"', r"decoding\.toml:25: max_s は数値で書いてください"),
    ("decoding", '"あのー" = ["アノー", ', '"あのー" = [3, ', r"decoding\.toml:35: あのー は文字列で書いてください（3 "),
])
def test_a_value_of_the_wrong_type_in_a_typed_file_names_file_line_and_key(tmp_path, name, old, new, message):
    """Files read as typed dataclasses (rules/typed.py) also check each value's type at
    start-up: a quoted number would otherwise fail as a comparison deep in an analysis."""
    from support import edited_prompts

    folder = edited_prompts(tmp_path, name, old, new)
    with pytest.raises(bank.PromptsError, match=message):
        bank.check_all(folder)


def test_a_typed_file_reads_as_its_dataclass():
    from simulator.rules.typed import DeliveryRules, shape

    rules = bank.delivery()
    assert isinstance(rules, DeliveryRules) and rules.pace.easy_low < rules.pace.easy_high
    assert isinstance(rules.length.default_target_s, float)      # written 60 in the file
    assert SCHEMA["delivery"] == shape(DeliveryRules)
