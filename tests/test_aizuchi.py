"""相槌 and yielding: at a pause that sounds finished the interviewer says a quiet listening
sound; the candidate going on keeps it listening, speaking over it stops it, its echo in
the room is not taken for the candidate, and silence after it hands the turn over."""

from __future__ import annotations

import math
import signal
import statistics
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from support import NotingSpeaker, QuietUI, follow, latest_session, practice

from benchmarks.bench_turns import last_sound_s, locate
from simulator.practice.session import Listening, Practice
from simulator.rules import bank
from simulator.speech import turn
from simulator.speech.audio import SAMPLE_RATE, load_audio, speech_regions
from simulator.speech.capture import EchoGate, EndedBy, MicrophoneSource
from simulator.speech.replay import ReplayDevice
from simulator.speech.tts import OpenJTalkEngine, Voice
from simulator.speech.turn import AnswerTurn
from simulator.store.storage import Store

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PulseAudio test rig is Linux-only")


@pytest.fixture(scope="module")
def smart_turn():
    return turn.SmartTurn()


class _Said:
    """The streamed transcript as the rule reads it: fixed words, reaching every pause."""

    def __init__(self, text: str) -> None:
        self.text = text

    def partial(self):
        return self.text, math.inf

    def pause(self, speech_end_s: float) -> None:
        pass


def test_a_finished_sentence_gets_a_aizuchi_then_the_turn_after_the_yield():
    """At a plain sentence whose voice sounds finished, the 相槌 comes at `after_s`; the
    turn is taken `yield_s` after it ends instead of the sentence's 2.4 s; an open clause
    or an unfinished voice gets none; words read later that leave the answer open keep
    the interviewer listening."""
    r = turn.rules()
    said: list[float] = []

    def cue():
        said.append(1)
        return 0.4

    finished = SimpleNamespace(probability=lambda tail: 0.99)
    t = AnswerTurn(finished, 45.0, _Said("アルバイトで接客を担当しました。"), cue=cue)
    tail = np.zeros(SAMPLE_RATE, np.float32)
    assert t.required_silence(tail, 10.0, 10.0, 0.3) == r.wait_s("sentence", True)   # not yet: no sound
    assert not said
    need = t.required_silence(tail, 10.0, 10.0, r.aizuchi_after_s)
    assert said == [1] and need == pytest.approx(r.aizuchi_after_s + 0.4 + r.aizuchi_yield_s)
    assert need < r.wait_s("sentence", True) - 0.5
    assert t.required_silence(tail, 10.0, 10.0, need) == need and len(said) == 1   # one per pause
    assert t.decision.aizuchi and t.cues == [10.0 + r.aizuchi_after_s]
    t.words = _Said("アルバイトで接客を担当し、")   # the words arrive: an open clause
    assert t.required_silence(tail, 10.0, 10.0, need) == r.wait_s("open", True)

    for words, voice in (("アルバイトで接客を担当し、", finished), ("アルバイトで接客を担当しました。",
                                                             SimpleNamespace(probability=lambda tail: 0.05))):
        t = AnswerTurn(voice, 45.0, _Said(words), cue=cue)
        t.required_silence(tail, 10.0, 10.0, 1.0)
        assert len(said) == 1 and not t.decision.aizuchi


def test_words_that_end_the_answer_get_the_replys_hai_before_the_turn_is_sure():
    """After a sign-off in a finished voice the 「はい」 starts at `sure_after_s`, and the
    turn is still taken only at the sign-off's wait (the question follows then); in an
    unfinished voice it waits like the turn."""
    r = turn.rules()
    cues: list[int] = []
    t = AnswerTurn(SimpleNamespace(probability=lambda tail: 0.99), 45.0, _Said("以上です。"),
                   cue=lambda: cues.append(1) or 0.4)
    tail = np.zeros(SAMPLE_RATE, np.float32)
    sure = r.wait_s("final", True)
    assert r.aizuchi_sure_after_s < sure
    assert t.required_silence(tail, 30.0, 30.0, r.aizuchi_sure_after_s - 0.1) == sure and not cues
    assert t.required_silence(tail, 30.0, 30.0, r.aizuchi_sure_after_s) == sure and cues == [1]
    assert t.required_silence(tail, 30.0, 30.0, sure) == sure and cues == [1]
    assert t.decision.aizuchi and t.cues == [30.0 + r.aizuchi_sure_after_s]
    unsure = AnswerTurn(SimpleNamespace(probability=lambda tail: 0.05), 45.0, _Said("以上です。"),
                        cue=lambda: cues.append(2) or 0.4)
    unsure.required_silence(tail, 30.0, 30.0, 1.0)
    assert cues == [1] and not unsure.decision.aizuchi


def test_the_aizuchi_keeps_to_a_slow_speakers_pace_between_sentences():
    """A candidate who leaves 1.1-1.3 s between sentences gets no 相槌 0.7 s into the next
    such pause (it would land on their next sentence) but after their usual pause; a
    thinking pause after a sentence does not count as their pace, and a fluent speaker
    keeps `after_s`."""
    r = turn.rules()
    cues: list[float] = []
    t = AnswerTurn(SimpleNamespace(probability=lambda tail: 0.99), 90.0, _Said("接客を担当しました。"),
                   cue=lambda: cues.append(1) or 0.4)
    tail = np.zeros(SAMPLE_RATE, np.float32)

    def pause(end_s: float, silence_s: float) -> None:   # the rule is asked every 0.1 s of a pause
        for k in range(2, int(silence_s * 10) + 1):
            t.required_silence(tail, end_s, end_s, k / 10)

    assert t.aizuchi_after_s() == r.aizuchi_after_s
    pause(10.0, 1.1)   # a 相槌 at 0.7 s, then the candidate went on
    pause(20.0, 1.3)
    pause(30.0, 3.0)   # thinking
    assert t.aizuchi_after_s() == r.aizuchi_after_s   # one breath of 1.1 s is no rhythm yet
    pause(40.0, 1.2)
    pause(45.0, 0.3)
    assert t.sentence_pauses == [pytest.approx(1.1), pytest.approx(1.3), pytest.approx(1.2)]
    t.required_silence(tail, 50.0, 50.0, 0.2)   # a new pause: the candidate went on after the last
    assert r.aizuchi_paced_after <= 4
    assert t.aizuchi_after_s() == pytest.approx(statistics.median([1.1, 1.3, 1.2, 0.3]) + r.aizuchi_paced_s)
    before = len(cues)
    t.required_silence(tail, 50.0, 50.0, 0.8)
    assert len(cues) == before   # 0.8 s into this pause: still within their rhythm
    t.required_silence(tail, 50.0, 50.0, 1.3)
    assert len(cues) == before + 1
    t2 = AnswerTurn(SimpleNamespace(probability=lambda tail: 0.99), 90.0, _Said("接客を担当しました。"), cue=lambda: 0.4)
    for end in (10.0, 20.0):
        t2.required_silence(tail, end, end, 0.4)
    assert t2.aizuchi_after_s() == r.aizuchi_after_s   # 0.4 s between sentences: fluent


def _with_pause(samples: np.ndarray, after_s: float, pause_s: float) -> np.ndarray:
    """`samples` with `pause_s` of silence set into the pause that begins at `after_s`."""
    regions = speech_regions(samples)
    gap = next(r for r in regions if abs(r.end - after_s) < 0.3)
    i = int((gap.end + 0.15) * SAMPLE_RATE)
    return np.concatenate([samples[:i], np.zeros(int(pause_s * SAMPLE_RATE), np.float32), samples[i:]])


def _sentence_pause(samples: np.ndarray, smart_turn) -> float:
    """The first pause of 0.3 s or more after 5 s at which the voice sounds finished."""
    regions = speech_regions(samples)
    for a, b in zip(regions, regions[1:]):
        if a.end > 5.0 and b.start - a.end >= 0.3 and \
                smart_turn.probability(samples[:int((a.end + 0.15) * SAMPLE_RATE)]) > 0.9:
            return a.end
    raise AssertionError("no finished-sounding pause")


def _voice(speaker) -> Voice:
    voice = Voice(OpenJTalkEngine(), speaker)
    for phrase in (*turn.rules().aizuchi_phrases, *turn.rules().acknowledge):
        voice.prepare(phrase)
        voice._pending[phrase].result()
    return voice


@pytest.mark.slow
def test_speaking_over_the_aizuchi_stops_it_and_the_answer_goes_on(dev_dir, tmp_path, smart_turn):
    """Barge-in: the candidate goes on while the interviewer's sound (3 s long here) is
    still playing; it is stopped within 0.3 s of their voice and the answer is recorded
    to its real end."""
    samples = load_audio(dev_dir / "dev05_gakuchika_star.flac")
    at = _sentence_pause(samples, smart_turn)
    answer = _with_pause(samples, at, 1.0)
    device = ReplayDevice()
    device.load(np.concatenate([answer, np.zeros(8 * SAMPLE_RATE, np.float32)]))
    speaker = NotingSpeaker(3.0)
    listening = Listening(_voice(speaker), turn.rules())
    mic = MicrophoneSource(None, backend=device, stop=lambda: False)
    rec = mic.record(tmp_path / "a.wav", 45.0, words=_Said("前年は来場者数が伸び悩んでおり、広報の見直しが課題でした。"),
                     question_type="gakuchika", listener=listening)
    mic.let_go()
    assert speaker.started and speaker.stopped, "no 相槌, or never spoken over"
    assert rec.aizuchi[0] == pytest.approx(at + 0.15 + turn.rules().aizuchi_after_s, abs=0.5)
    assert len(rec.barge_ins) >= 1 and rec.barge_ins[0] <= 0.3, rec.barge_ins
    assert rec.ended_by == EndedBy.SILENCE
    assert rec.duration_s >= last_sound_s(answer), "the answer was cut at the 相槌"


class _OneAnswer(QuietUI):
    """Ends the session when the second question is to be answered."""

    def __init__(self) -> None:
        self.asked, self.resumes = 0, 0

    def asking(self, question, main, reason):
        self.asked += 1

    def recording(self, target_s):
        if self.asked >= 2:
            raise KeyboardInterrupt
        return None

    def resumed(self):
        self.resumes += 1


@pytest.mark.slow
def test_an_answer_taken_too_soon_is_repaired_by_going_on(analyzer, dev_dir, tmp_path, smart_turn):
    """After a sentence and a 2 s breath the interviewer takes the turn (相槌, then
    silence); the candidate goes on while it replies: it stops, listens, and the answer
    is one recording to its real end, analysed whole."""
    samples = load_audio(dev_dir / "dev05_gakuchika_star.flac")
    at = _sentence_pause(samples, smart_turn)
    answer = _with_pause(samples, at, 2.0)
    device = ReplayDevice()
    device.load(np.concatenate([answer, np.zeros(10 * SAMPLE_RATE, np.float32)]))
    speaker, ui = NotingSpeaker(), _OneAnswer()
    store = Store(tmp_path / "data")
    mic = MicrophoneSource(None, backend=device, stop=lambda: False)
    qs = bank.questions()
    result = Practice(store, _voice(speaker), mic, lambda: analyzer, ui, max_followups=0).run(
        [qs["gakuchika"], qs["gyaku_shitsumon"]], {"track": "shinsotsu"})
    first = result.answers[0]
    assert ui.resumes >= 1, first.recording
    saved = load_audio(result.session.path / first.audio)
    assert len(saved) / SAMPLE_RATE >= last_sound_s(answer), "the answer ends where the turn was first taken"
    assert first.analysis.delivery.speech_s >= 0.9 * sum(r.length for r in speech_regions(answer))


@pytest.mark.slow
def test_aizuchi_through_real_devices_with_its_echo_in_the_room(pulse, dev_dir, tmp_path):
    """`mensetsu practice` through the virtual microphone and speaker, the speaker heard
    by the microphone 12 dB down: a 相槌 at a thinking pause after a sentence, the
    candidate goes on; at the end a 相槌, its echo not taken for the candidate, and the
    turn handed over soon after."""
    samples = load_audio(dev_dir / "dev05_gakuchika_star.flac")
    regions = speech_regions(samples)
    # up to the sentence about 20 s in: the answer ends on a plain sentence, no sign-off
    end = next(r.end for r in regions if r.end > 19.0)
    first = next(r.end for r in regions if r.end > 6.5)   # 「…課題でした。」
    answer = _with_pause(samples[:int((end + 0.3) * SAMPLE_RATE)], first, 1.0)
    wav = tmp_path / "answer.wav"
    sf.write(wav, answer, SAMPLE_RATE, subtype="PCM_16")
    probe = tmp_path / "probe.wav"
    recorder = pulse.record_both(probe)
    pulse.echo_into_mic(0.25)
    played: list[float] = []

    def on_line(line: str) -> None:
        if line.startswith("録音開始") and not played:
            played.append(time.monotonic())
            threading.Thread(target=pulse.play_into_mic, args=(wav,), daemon=True).start()

    proc = practice("--ids", "gakuchika", "--followups", "0", "--tts", "openjtalk", env=pulse.env,
                    data=tmp_path / "data")
    follow(proc, on_line)
    assert proc.wait(120) == 0, proc.stderr.read()
    recorder.send_signal(signal.SIGINT)
    recorder.wait(10)
    rec = latest_session(tmp_path / "data")["answers"][0]["recording"]
    t = rec["turn"]
    assert t["aizuchi"] and not t["barge_in_s"], t   # ended by the yield, the echo not taken for speech
    assert len(t["aizuchi_at"]) >= 2, t              # at the thinking pause, and at the end
    assert any(abs(a - (first + 0.15 + 0.7)) < 0.6 for a in t["aizuchi_at"]), t
    last = last_sound_s(answer)
    assert rec["stopped_s"] >= last, "cut before the answer's end"
    assert rec["speech_end_s"] <= last + 0.5, "the echo of the 相槌 was heard as the candidate"
    assert t["silence_s"] <= 2.0, t   # handed over well before the sentence's 2.4 s
    # the microphone (left) and the speaker (right) on one clock: a quiet sound at the
    # speaker in the thinking pause, while the answer had not ended
    both = sf.read(probe, dtype="float32", always_2d=True)[0]
    start, _ = locate(answer[:5 * SAMPLE_RATE], both[:, 0])
    pause = both[int((start + first + 0.3) * SAMPLE_RATE):int((start + first + 1.3) * SAMPLE_RATE), 1]
    question = both[:int(start * SAMPLE_RATE), 1]
    assert 0.02 < np.abs(pause).max() < 0.8 * np.abs(question).max()


def test_the_echo_gate_learns_how_loud_the_room_returns_the_interviewer():
    """Until the room is known, only a voice within 6 dB of the played sound is heard over
    it; once a sound has come back through headphones (at the noise floor), a candidate at
    an ordinary level is heard over the interviewer and the echo still is not. A room
    that returns the sound 12 dB down keeps the first rule: never stricter."""
    r = turn.rules()

    def heard(gate: EchoGate, returned: float, played: float = 0.2, sounds: int = 1) -> EchoGate:
        for _ in range(sounds):
            for _ in range(30):        # one sound, 1 s
                gate.voice(returned * played, played)
            gate.voice(0.001, 0.0)     # then silence
        return gate

    played, candidate = 0.2, 0.03      # 16 dB under the sound as played
    first = EchoGate(r.barge_in_db, r.echo_margin_db, r.echo_learn_after, r.echo_floor_db)
    assert not first.voice(candidate, played)
    phones = heard(EchoGate(r.barge_in_db, r.echo_margin_db, r.echo_learn_after, r.echo_floor_db), 0.005)
    assert phones.voice(candidate, played) and not phones.voice(3 * 0.005 * played, played)
    assert phones.voice(0.0001, 0.0)   # the interviewer silent: every window is the candidate's
    room = heard(EchoGate(r.barge_in_db, r.echo_margin_db, r.echo_learn_after, r.echo_floor_db), 10 ** (-12 / 20), sounds=3)
    assert room.threshold() == pytest.approx(10 ** (r.barge_in_db / 20))
    # a candidate who spoke as one sound began: the room's lowest return holds
    mixed = heard(heard(EchoGate(r.barge_in_db, r.echo_margin_db, r.echo_learn_after, r.echo_floor_db), 0.005, sounds=2), 0.6)
    assert mixed.voice(candidate, played)


@pytest.mark.slow
def test_a_candidate_going_on_over_the_question_is_heard_through_real_devices(pulse, dev_dir, tmp_path):
    """The answer ends on a sign-off; the interviewer's 「はい」 tells the room (headphones:
    no echo) and the next question starts; the candidate goes on over it at an ordinary
    level. The first rule heard only a voice within 6 dB of the question as played, and
    what the candidate said then was lost; the learned gate hears it: the question stops
    and the same answer is recorded on to its end."""
    samples = load_audio(dev_dir / "dev01_jikoshokai.flac")
    tail = samples[int(33.2 * SAMPLE_RATE):]    # the answer's last 16 s, up to its sign-off
    end = last_sound_s(tail)
    more = samples[int(0.8 * SAMPLE_RATE):int(6.0 * SAMPLE_RATE)]   # 「えーと、山田花子と申します。…」
    answer = np.concatenate([tail[:int((end + 0.1) * SAMPLE_RATE)], np.zeros(int(1.4 * SAMPLE_RATE), np.float32),
                             more])
    wav = tmp_path / "answer.wav"
    sf.write(wav, answer, SAMPLE_RATE, subtype="PCM_16")
    queued = [wav, dev_dir / "dev06_gyaku_none.flac"]   # and a short answer to the next question

    def on_line(line: str) -> None:
        if line.startswith("録音開始") and queued:
            threading.Thread(target=pulse.play_into_mic, args=(queued.pop(0),), daemon=True).start()

    proc = practice("--ids", "jikoshokai,gakuchika", "--followups", "0", "--tts", "openjtalk",
                    env=pulse.env, data=tmp_path / "data")
    follow(proc, on_line)
    assert proc.wait(180) == 0, proc.stderr.read()
    first = latest_session(tmp_path / "data")["answers"][0]
    rec = first["recording"]
    assert rec["stopped_s"] >= last_sound_s(answer), ("the answer was cut at the sign-off", rec)
    assert "お願いいたします" in first["transcript"] and "と申します" in first["transcript"], first["transcript"]


def test_many_sounds_through_the_real_speaker_each_close_their_stream(pulse):
    """Every interviewer sound opens its own output stream: one left open after it ended
    held a sound-server connection, and the 25th question of a long session could not
    be played ("Illegal combination of I/O devices")."""
    script = ("import numpy as np\n"
              "from simulator.speech.tts import SoundDeviceSpeaker, finish\n"
              "speaker, click = SoundDeviceSpeaker(), (0.3 * np.sin(np.linspace(0, 200, 800))).astype(np.float32)\n"
              "for _ in range(100):\n"
              "    finish(speaker.start(click, 16000))\n")
    done = subprocess.run([sys.executable, "-c", script], env=pulse.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "再生できません" not in done.stderr, done.stderr[-2000:]


@pytest.mark.slow
def test_a_fixed_silence_rule_also_hears_the_candidate_go_on(dev_dir, tmp_path):
    """`--silence S` has no end-of-turn rule, and no 相槌: the answer still ends after S
    and is heard on after it, without an error on the listening thread."""
    errors: list[BaseException] = []
    hook, threading.excepthook = threading.excepthook, lambda args: errors.append(args.exc_value)
    try:
        samples = load_audio(dev_dir / "dev06_gyaku_none.flac")
        device = ReplayDevice()
        device.load(np.concatenate([samples, np.zeros(4 * SAMPLE_RATE, np.float32)]))
        mic = MicrophoneSource(None, silence_s=1.0, backend=device, stop=lambda: False)
        rec = mic.record(tmp_path / "a.wav", 45.0, listener=Listening(_voice(NotingSpeaker()), turn.rules()))
        assert rec.ended_by == EndedBy.SILENCE and rec.turn is None
        assert not mic.went_on(time.monotonic() + 0.5)
    finally:
        threading.excepthook = hook
    assert not errors, errors


@pytest.mark.slow
@pytest.mark.parametrize("resumes_after_s, heard", [(0.9, True), (1.6, False)])
def test_going_on_is_judged_by_when_the_word_began(dev_dir, tmp_path, resumes_after_s, heard):
    """The listening second after the turn is a second of audio: a candidate who goes on
    0.9 s after the end is heard, though their word is only sure 0.2-0.4 s later (timed
    on the clock alone, the window held 0.6-0.8 s of audio and such an answer was cut); one
    who starts after the second has passed is not taken for going on."""
    samples = load_audio(dev_dir / "dev06_gyaku_none.flac")
    first, second = speech_regions(samples, min_silence_s=0.3)[:2]
    silence_s = 1.0
    ends_s = 0.1 * math.ceil((first.end + silence_s) / 0.1)   # decided on the block that completes the silence
    gap = np.zeros(int((ends_s + resumes_after_s - first.end) * SAMPLE_RATE), np.float32)
    audio = np.concatenate([samples[:int(first.end * SAMPLE_RATE)], gap,
                            samples[int(second.start * SAMPLE_RATE):int(second.end * SAMPLE_RATE)],
                            np.zeros(2 * SAMPLE_RATE, np.float32)])
    device = ReplayDevice()
    device.load(audio)
    mic = MicrophoneSource(None, silence_s=silence_s, backend=device, stop=lambda: False)
    rec = mic.record(tmp_path / "a.wav", 45.0, listener=Listening(_voice(NotingSpeaker()), turn.rules()))
    assert rec.ended_by == EndedBy.SILENCE
    assert mic.went_on(time.monotonic() + 1.0) is heard
    mic.let_go()


def test_after_a_aizuchi_the_next_question_follows_once_the_room_is_known(tmp_path):
    """A 相槌 the candidate did not go on after was the listening: once the echo gate knows
    the room (a candidate going on is heard over the question), the next question follows
    at once instead of after the listening second. Before that, after a plain sentence
    with no 相槌, or with its words not read yet, the second is waited out."""
    from dataclasses import replace

    from simulator.speech.capture import Recording
    from simulator.speech.tts import SilentEngine

    mic = MicrophoneSource(None, backend=ReplayDevice(), stop=lambda: False)
    practice = Practice(Store(tmp_path), Voice(SilentEngine(), None), mic, lambda: None, QuietUI())
    decision = turn.TurnDecision(turn.EndState.SENTENCE, 0.98, 2.4, 2.4, "続けています。", aizuchi=True)
    heard = Recording(tmp_path / "a.wav", np.zeros(SAMPLE_RATE, np.float32), EndedBy.SILENCE, 10.0, 12.4, decision)
    assert not practice._sure(heard)
    for _ in range(8):                     # a 相槌's first quarter second, back through headphones
        mic.echo_gate.voice(0.001, 0.2)
    assert practice._sure(heard)
    assert not practice._sure(replace(heard, turn=replace(decision, aizuchi=False)))
    assert not practice._sure(replace(heard, turn=replace(decision, state=turn.EndState.PENDING)))   # words not read
