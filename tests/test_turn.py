"""End of turn: the rule on words, the audio model on real answers, and the microphone
path replayed in real time with the real Whisper and Smart Turn models."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.rules.bank import PromptsError
from simulator.speech import turn
from simulator.speech.audio import SAMPLE_RATE, load_audio, speech_regions
from simulator.speech.capture import MicrophoneSource
from simulator.speech.models import smart_turn_files
from simulator.speech.replay import ReplayDevice
from simulator.speech.streaming import StreamingTranscriber


@pytest.mark.parametrize("text, state", [
    ("本日はよろしくお願いいたします。", "final"),
    ("以上です", "final"),
    ("御社で貢献したいと考えています。", "concluded"),
    ("ここで働きたいと思う。", "sentence"),         # a closing form, but no use or lesson in it
    ("大切さを学びました。", "concluded"),
    ("この経験を活かせると思う。", "concluded"),    # base writes the plain form
    ("半年で成約件数が十二件になりました。", "sentence"),
    ("えーと", "open"),
    ("その結果、", "open"),
    ("上司が悪くて。", "open"),                      # a stray full stop after 〜て: still open
    # a verb or adjective in its continuative form joins the next clause, full stop or not
    ("遠回りの多い地域を見つけ。", "open"),
    ("この経験をいかし。", "open"),
    ("費用が高く、", "open"),
    ("この経験を活かしたいです。", "concluded"),
    ("転職を考えた理由なんですけど", "open"),
    ("一番大きな失敗は", "open"),
])
def test_text_state_reads_how_the_words_end(text, state):
    assert turn.text_state(text, answered_s=30.0, target_s=60.0) == state


def test_a_closing_sentence_early_in_an_answer_is_only_its_first_point():
    # conclusion first (PREP): the first sentence has the closing form of the last one
    first = "私の強みは粘り強さで、御社でも活かせると考えています。"
    assert turn.text_state(first, answered_s=5.0, target_s=60.0) == "sentence"
    assert turn.text_state(first, answered_s=30.0, target_s=60.0) == "concluded"


@pytest.mark.parametrize("qtype, goes_on, ends", [
    # a weakness: the lesson comes before what is done about it
    ("tansho", "その経験から、周囲を巻き込むことの大切さを痛感しました。",
     "それ以降は、早めに仕事を割り振り、進み具合を共有するようにしています。"),
    # a failure: the countermeasure comes before the lesson
    ("shippai", "それ以来、予定は必ず二人で確認するようにしています。",
     "この失敗から、確認の仕組みを作る大切さを学びました。"),
    # a strength: restating it is not yet its use at the company (base: オンシャ for 御社)
    ("jiko_pr", "私の強みは、何事にも一生懸命に取り組めるところだと思います。",
     "この粘り強さを、オンシャの法人営業でも発揮したいと考えています。"),
    ("shibou", "説明会では、社員の方が優しそうな会社だと思いました。",
     "御社で、物流の仕組みづくりに携わりたいと考えています。"),
    # a generic wish ends a motivation too: whether it is specific is the content's verdict
    ("shibou", "将来性もあると感じました。", "えっと、いろいろな仕事に挑戦して、頑張りたいと思います。"),
    ("tenshoku", "頑張っても認めてもらえないと感じました。",
     "次は、お客様に近い立場で提案に挑戦したいと考えています。"),
    # a self-introduction ends on its greeting, not on its last sentence
    ("jikoshokai", "御社では、営業として貢献したいと考えています。", "本日はよろしくお願いいたします。"),
])
def test_a_closing_sentence_ends_the_answer_when_it_says_what_ends_that_kind_of_answer(qtype, goes_on, ends):
    before = "はい。" + "具体的には、担当の業務で三か月かけて取り組みました。" * 3
    assert turn.text_state(before + goes_on, 30.0, 60.0, question_type=qtype) == "sentence"
    assert turn.text_state(before + goes_on + ends, 35.0, 60.0, question_type=qtype) in ("concluded", "final")
    r = turn.rules()
    assert r.wait_s("concluded", True) < r.wait_s("sentence", True)


def test_a_wish_to_ask_concludes_a_reverse_question_only_after_every_announced_point():
    first = "はい、二点伺ってもよろしいでしょうか。一点目は、チームの課題を伺いたいです。"
    assert turn.text_state(first, 20.0, 45.0, question_type="gyaku") == "sentence"
    second = first + "二点目は、最初の三か月で期待される成果を伺いたいです。"
    assert turn.text_state(second, 30.0, 45.0, question_type="gyaku") == "concluded"


def test_a_reverse_question_that_announces_its_points_is_heard_to_the_last():
    said, states = "", []
    for part in ("はい、二点伺ってもよろしいでしょうか。",              # asking leave to ask: a preface
                 "一点目は、活躍されている方に共通する特徴があれば教えていただけますか。",   # one of two
                 "二点目は、配属後にどのような成果を期待されているか教えていただけますか。"):
        said += part
        states.append(turn.text_state(said, answered_s=10.0, target_s=45.0, question_type="gyaku"))
    assert states == ["sentence", "sentence", "final"]
    assert turn.text_state("二つの点で成長しました。以上です。", 30.0, 60.0) == "final"   # no questions announced
    # as base streamed it: 伺って misheard, stray full stops after は
    heard = "はい、2点浮かがってもよろしいでしょうか。1点目は。共通する。特徴があれば教えていただけますか。"
    assert turn.text_state(heard, 12.0, 45.0, question_type="gyaku") == "sentence"


def test_a_question_put_to_the_interviewer_ends_only_the_reverse_question():
    assert turn.text_state("残業はどのくらいありますでしょうか。", 20.0, 45.0, question_type="gyaku") == "final"
    for qtype in ("gakuchika", "jiko_pr", None):
        # a rhetorical question goes on, and so does base's mishearing of 「そこで、三か月間、」
        # on a telephone line, which cut a student-project answer in a 3.5 s pause
        assert turn.text_state("なぜ続けられたのでしょうか。", 20.0, 60.0, question_type=qtype) == "sentence"
        assert turn.text_state("そこで。何か月か。何ですか。", 20.0, 60.0, question_type=qtype) == "sentence"


def test_waits_are_ordered_from_a_sign_off_to_an_open_clause():
    r = turn.rules()
    for complete in (True, False):
        waits = [r.wait_s(s, complete) for s in ("final", "concluded", "sentence", "open")]
        assert waits == sorted(waits)
    assert r.wait_s("sentence", True) > 2.3       # 1.5 s more between two sentences is waited through
    assert r.wait_s("open", False) > 4.5          # as is a 3-4 s thinking pause after a filler


@pytest.mark.parametrize("old, new, error", [
    ('"たい(です)?$"', '"たい(です$"', r"turn\.toml:\d+: 正規表現"),
    ('tansho = ["remedy"]', 'tansho = ["remedies"]', r"turn\.toml:\d+: \[text\.parts\] にない部分です（remedies）"),
])
def test_a_bad_pattern_is_reported_with_its_line(tmp_path, monkeypatch, old, new, error):
    from simulator.paths import project_dir
    from simulator.rules import bank

    text = (project_dir("prompts") / "turn.toml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "turn.toml").write_text(text.replace(old, new), encoding="utf-8")
    (tmp_path / "content.toml").write_bytes((project_dir("prompts") / "content.toml").read_bytes())  # its mishearings
    monkeypatch.setattr(bank, "project_dir", lambda name: tmp_path)
    bank.load.cache_clear()
    turn.rules.cache_clear()
    try:
        with pytest.raises(PromptsError, match=error):
            turn.rules()
    finally:
        bank.load.cache_clear()
        turn.rules.cache_clear()


def test_smart_turn_comes_from_the_wheel_and_a_damaged_copy_heals(tmp_path):
    onnx, features = smart_turn_files(tmp_path)
    assert onnx.stat().st_size == 8_679_182 and features.name == "_whisper_features.py"
    onnx.write_bytes(b"broken")
    (onnx.parent / ".verified.json").unlink()
    healed, _ = smart_turn_files(tmp_path)
    assert healed.stat().st_size == 8_679_182


@pytest.fixture(scope="module")
def smart_turn():
    model = turn.SmartTurn()
    assert model.probability(np.zeros(SAMPLE_RATE, np.float32)) is not None, "the model did not load"
    return model


@pytest.mark.slow
def test_smart_turn_hears_a_filler_pause_from_a_finished_answer(smart_turn, dev_dir):
    samples = load_audio(dev_dir / "dev01_jikoshokai.flac")
    ends = [r.end for r in speech_regions(samples)]
    p = [smart_turn.probability(samples[:int((t + 0.15) * SAMPLE_RATE)]) for t in ends]
    assert p[-1] > 0.9                     # the real end
    assert min(p) < 0.1                    # a pause right after a filler mid-answer


def _with_pause(samples: np.ndarray, at_s: float, pause_s: float) -> np.ndarray:
    i = int(at_s * SAMPLE_RATE)
    return np.concatenate([samples[:i], np.zeros(int(pause_s * SAMPLE_RATE), np.float32), samples[i:]])


def _answer(analyzer, samples, question, tmp_path):
    """Speak `samples` into the microphone path in real time, with the end-of-turn rule on."""
    device = ReplayDevice()
    device.load(np.concatenate([samples, np.zeros(10 * SAMPLE_RATE, np.float32)]))
    mic = MicrophoneSource(None, backend=device, stop=lambda: False)
    stream = StreamingTranscriber(lambda: analyzer.transcriber, question)
    recording = mic.record(tmp_path / "a.wav", 30.0, on_audio=stream.feed, words=stream)
    stream.cancel()
    return recording


@pytest.mark.slow
def test_a_sign_off_ends_the_answer_soon_and_a_thinking_pause_does_not(analyzer, dev_dir, tmp_path):
    samples = load_audio(dev_dir / "dev06_gyaku_none.flac")   # えーと、特にありません。本日はありがとうございました。
    regions = speech_regions(samples)
    last = regions[-1].end

    done = _answer(analyzer, samples, "最後に、何か質問はありますか。", tmp_path)
    assert done.ended_by == "silence" and done.turn.state == "final"
    assert done.speech_end_s - last < 0.3
    assert done.turn.silence_s < 1.6                  # answered within about a second, not 2.5 s

    # 4 s of thinking right after 「えーと」: the voice is unfinished, the words are open
    [filler] = analyzer.analyze_samples(samples).delivery.fillers
    thinking = _with_pause(samples, filler.end_s + 0.05, 4.0)
    waited = _answer(analyzer, thinking, "最後に、何か質問はありますか。", tmp_path)
    assert waited.ended_by == "silence" and waited.turn.state == "final", waited.turn
    assert waited.speech_end_s > last + 4.0 - 0.3     # the whole answer was heard


def test_words_that_could_not_have_been_said_are_not_read():
    from simulator.speech.asr import plausible

    assert plausible("以上です。", 1.0)
    assert not plausible("本日はありがとうございました。", 0.3)   # invented over a noise blip
    assert not plausible("ご視聴ありがとうございました", 5.0)      # a known silence phrase


@pytest.mark.parametrize("opener", ["はい、ありがとうございます。", "えーと、強みですか。",
                                    "山田花子と申します。本日はお時間をいただきありがとうございます。",
                                    "本日はよろしくお願いします。"])
def test_thanks_a_greeting_or_the_question_said_back_open_an_answer(opener):
    # in the first seconds these are how an answer begins; later they end it
    assert turn.text_state(opener, answered_s=4.0, target_s=45.0, question_type="gyaku") == "sentence"
    assert turn.text_state(opener, answered_s=20.0, target_s=45.0, question_type="gyaku") == "final"
    # a closing thanks in the past tense, or 以上です, ends even a short answer
    assert turn.text_state("えーと、特にありません。本日はありがとうございました。", 4.0, 45.0) == "final"
    assert turn.text_state("一点だけです。以上です。", 3.0, 45.0) == "final"


def test_a_rambling_answer_is_taken_back_only_at_a_sentence_end_past_twice_its_target():
    from simulator.speech.turn import rules, text_state

    r = rules()
    target = 45.0
    past, before = r.rambling_share * target + 1, r.rambling_share * target - 1
    assert r.rambling(past, target, text_state("…を担当しました。", past, target))
    assert not r.rambling(before, target, text_state("…を担当しました。", before, target))
    assert not r.rambling(past, target, text_state("前職でリーダーを任された際、", past, target))
    assert not r.rambling(past, target, text_state("その結果、えーと", past, target))
    assert not r.rambling(past, None, "sentence")   # a question without a target is never cut short
