"""The practice loop: plan the interview, ask, record, analyse, dig deeper, save.

No printing and no flag parsing here: the caller passes a `ui` object that shows what
happens, so the same loop runs in the terminal, in tests and in scripts.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Protocol

from simulator.analysis.analyze import Analyzer, AnswerAnalysis, analyze_text, review
from simulator.analysis.record import RecordingInfo, SavedAnswer
from simulator.errors import MensetsuError
from simulator.interviewer import dig
from simulator.interviewer.followup import FollowUp
from simulator.interviewer.llm import Interviewer
from simulator.judge import fit
from simulator.judge.company import CompanyError, CompanyProfile, session_profile
from simulator.judge.consistency import Stated, contradictions
from simulator.present import assessment
from simulator.rules import bank
from simulator.rules.bank import TRACKS, Question
from simulator.speech import turn
from simulator.speech.audio import AudioError
from simulator.speech.capture import AnswerSource, EndedBy, Recording
from simulator.speech.streaming import StreamingTranscriber
from simulator.speech.tts import Playback, Voice, finish
from simulator.store.notes import KINDS as NOTE_KINDS
from simulator.store.notes import load_notes
from simulator.store.storage import SessionFolder, Store, session_answers

FIRST, LAST = "jikoshokai", "gyaku_shitsumon"
log = logging.getLogger(__name__)


class PlanError(MensetsuError):
    """The requested questions cannot make an interview; the message is for the user."""


def plan_questions(track: str = "shinsotsu", count: int = 5, ids: list[str] | None = None,
                   history: dict[str, dict] | None = None) -> list[Question]:
    """Main questions in order: self-introduction first, reverse question last.

    In between, the track's questions the user has practised least come first, then
    those with the lowest last content score, then the bank's order.
    """
    qs = bank.questions()
    if ids:
        unknown = [i for i in ids if i not in qs or qs[i].type == "followup"]
        if unknown:
            raise PlanError(f"質問 ID が見つかりません: {', '.join(unknown)}（mensetsu questions で一覧できます）")
        return [qs[i] for i in ids]
    if track not in TRACKS:
        raise PlanError(f"--track は {', '.join(TRACKS)} のいずれかです（指定: {track}）")
    if count < 1:
        raise PlanError("--questions は 1 以上にしてください")
    history = history or {}
    order = {qid: n for n, qid in enumerate(qs)}
    middle = [q for q in qs.values() if track in q.tracks and q.id not in (FIRST, LAST) and q.type != "followup"]
    middle.sort(key=lambda q: (history.get(q.id, {}).get("times", 0),
                               history.get(q.id, {}).get("last_score") or 0, order[q.id]))
    # one question of each kind that asks the same thing in other words; the rest only
    # when the track has too few other kinds for the length asked
    once = set(bank.load("questions").get("once_per_interview", ()))
    kinds: set[str] = set()
    first_pass = []
    for q in middle:
        if q.type not in once or q.type not in kinds:
            first_pass.append(q)
            kinds.add(q.type)
    middle = first_pass + [q for q in middle if q not in first_pass]
    plan = [qs[FIRST]]
    if count >= 2:
        plan += middle[:count - 2] + [qs[LAST]]
    return plan


def resume_plan(meta: dict) -> list[Question]:
    """The main questions a saved session planned (`--resume`, 「続きから再開」); those
    already answered in full are skipped by `Practice.run`."""
    qs = bank.questions()
    return [qs[i] for i in meta.get("plan", []) if i in qs]


def unfinished(meta: dict) -> int:
    """How many planned main questions an interrupted session has not answered in full."""
    if not meta.get("interrupted"):
        return 0
    done = {a.question_id for a in session_answers(meta) if a.parent_id is None and a.complete}
    return sum(q.id not in done for q in resume_plan(meta))


def company_plan(plan: list[Question], profile: CompanyProfile) -> list[Question]:
    """`plan` for an interview at `profile`'s company: the motivation is always asked (in
    place of the last middle question, so the length stays), and every question is put
    in the company's own words (prompts/company.toml [questions]). One question asked
    again is not an interview: it is only reworded."""
    if len(plan) >= 2 and not any(q.type == "shibou" for q in plan):
        shibou = bank.questions()["shibou_douki"]
        if len(plan) >= 3:   # first, middle …, last: the motivation takes the last middle place
            plan = [plan[0], shibou, *plan[1:-2], plan[-1]]
        else:
            plan = [plan[0], shibou, plan[1]]
    rules = bank.load("company")
    return [fit.word(q, profile, rules) for q in plan]


@dataclass(frozen=True)
class Opening:
    """What an interview begins with: the questions, the company they are asked for, and a
    line for the user when a resumed session's profile has gone since."""

    plan: list[Question]
    company: CompanyProfile | None
    notice: str | None = None


def opening(store: Store, resume: SessionFolder | None, track: str = "shinsotsu", count: int = 5,
            ids: list[str] | None = None, company: CompanyProfile | None = None) -> Opening:
    """The interview the terminal or the page asked for: a resumed session's remaining plan,
    with the profile it began with unless `company` is given (gone or broken since, the
    session goes on without it), or a new plan; worded for the company when there is one."""
    notice = None
    if resume is not None:
        plan = resume_plan(resume.meta)
        if company is None:
            try:
                company = session_profile(resume.meta, store.root)
            except CompanyError as e:
                notice = f"{e}。会社のプロフィールに照らさずに続けます。"
    else:
        plan = plan_questions(track, count, ids, store.question_history())
    return Opening(company_plan(plan, company) if company else plan, company, notice)


class UI(Protocol):
    def asking(self, question: Question, main: tuple[int, int], followup_reason: str | None) -> None: ...
    def recording(self, target_s: float) -> Callable[[float, float, bool], None] | None: ...
    def recorded(self, recording: Recording) -> None: ...
    def resumed(self) -> None: ...   # the candidate went on after the end of the turn: recording again
    def reaction(self, analysis: AnswerAnalysis) -> None: ...
    def recovered(self, audio: str, analysis: AnswerAnalysis | None) -> None: ...
    def no_voice(self, recording: Recording) -> str: ...  # "retry" or "skip"


UNHEARD = object()  # _ask's result when no voice reached the microphone: no analysis, no follow-up
_HEARD_TO_END_S = 0.5   # the streamed words reach this close to the end of speech: enough to ask on


@dataclass(frozen=True)
class _Pending:
    """A spoken answer whose full analysis runs while the interviewer asks the next question."""

    analysis: Future
    entry: SavedAnswer
    question: Question


@dataclass
class SessionResult:
    session: SessionFolder
    answers: list[SavedAnswer] = field(default_factory=list)
    interrupted: bool = False
    ended_early: bool = False   # the answer files ran out


class Listening:
    """The interviewer as the recording loop hears it (capture.Listener): quiet 相槌 in
    turn, the level of what it is saying (for the echo), hushed when spoken over."""

    def __init__(self, voice: Voice, rules: turn.TurnRules) -> None:
        self.voice, self.phrases = voice, list(rules.aizuchi_phrases)
        self.volume, self.echo_tail_s = rules.aizuchi_volume, rules.echo_tail_s
        self.listen_on_s = rules.listen_on_s

    def aizuchi(self) -> float | None:
        if not self.phrases:
            return None
        self.phrases.append(self.phrases.pop(0))
        playback = self.voice.start(self.phrases[-1], self.volume)
        return None if playback is None else playback.length_s

    def level(self) -> float:
        return self.voice.level(self.echo_tail_s)

    def hush(self) -> bool:
        return self.voice.hush()


class Practice:
    """One mock interview. The model loads in the background while the first question is spoken."""

    def __init__(self, store: Store, voice: Voice, source: AnswerSource, load_analyzer: Callable[[], Analyzer],
                 ui: UI, max_followups: int = 3, time_limit_s: float = 1800.0,
                 company: CompanyProfile | None = None, interviewer: Interviewer | None = None,
                 analyse_partial: bool = False) -> None:
        self.store, self.voice, self.source, self.ui = store, voice, source, ui
        self.llm = interviewer   # words the ladder's follow-ups when the user runs a language model
        self.company = company   # judged against, and asked in the words of, this profile
        self.max_followups, self.time_limit_s = max_followups, time_limit_s
        # an answer cut short by the user leaving (a closed tab) is analysed before the session
        # ends, so the report holds it; the terminal's Ctrl-C leaves it to `--resume`
        self.analyse_partial = analyse_partial
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self._analyzer: Future = self._loader.submit(load_analyzer)
        # A spoken answer's full analysis (its last words decoded again with word times, the
        # delivery and voice measures) takes seconds on a laptop's CPU; the next question needs
        # only the words heard, so the analysis finishes while that question is being asked.
        self._analysing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self._pending: _Pending | None = None
        self.asked: set[str] = set()
        self._main = (1, 1)
        self._acks = list(turn.rules().acknowledge)
        self._ack_joined, self._ack_pause_s = turn.rules().acknowledge_joined, turn.rules().acknowledge_pause_s
        self._listening = Listening(voice, turn.rules())
        # the interviewer's rules are checked now, so a typo in prompts/ stops the session
        # before the first question rather than after the answers
        dig.rules()
        assessment.rules()
        # 一貫性 during the interview: what the entry sheet and round-one notes for this
        # company say, then every fact stated in this session, in order
        self._said = [Stated(f, note.id, note.added_at[:10], "", NOTE_KINDS.get(note.kind, note.kind))
                      for note in load_notes(store.root)
                      if note.company is None or (company is not None and note.company == company.name)
                      for f in note.facts(bank.load("consistency"))]
        self._contradiction: FollowUp | None = None
        self._contradicted: set[tuple] = set()
        self._ended_at = 0.0   # time.monotonic() when the last answer ended: the follow-up's clock
        # an answer that ran past twice its target is taken back at a sentence end: said
        # politely, then the point asked for (prompts/turn.toml [rambling])
        rambling = bank.load("turn")["rambling"]
        self._takeback_say = rambling["say"]
        self._takeback = FollowUp(bank.questions()[rambling["followup"]], turn.RAMBLING,
                                  bank.load("advice")["reason"][turn.RAMBLING])
        self._taken_back = False   # the last answer was taken back
        for phrase in (*self._acks, self._ack_joined, *self._listening.phrases, self._takeback_say,
                       self._takeback.question.text):
            if phrase:
                voice.prepare(phrase)

    def run(self, plan: list[Question], meta: dict, resume: SessionFolder | None = None) -> SessionResult:
        """Ask `plan`; with `resume`, first analyse the answers a killed run left unanalysed,
        then ask the planned main questions that have no complete answer yet."""
        if resume is None:
            session = self.store.begin({"plan": [q.id for q in plan], **meta})
        else:
            session = resume
            session.meta.setdefault("resumed_at", []).append(datetime.now().astimezone().isoformat(timespec="seconds"))
        result = SessionResult(session, session.answers)
        self.asked |= {a.question_id for a in result.answers}
        self._started = time.monotonic()
        try:
            if resume is not None:
                self._recover(result)
                done = {a.question_id for a in result.answers if a.parent_id is None and a.complete}
                plan = [q for q in plan if q.id not in done]
            for n, main in enumerate(plan):
                self._main = (n + 1, len(plan))  # "question 2 of 3", follow-ups under it
                after = plan[n + 1] if n + 1 < len(plan) else None
                if after is not None:
                    self.voice.prepare(after.text)  # ready before it is needed
                self._contradiction = None
                depth, pointed = 0, False   # follow-ups asked in this topic; the point of a rambling answer asked

                def upcoming(heard: AnswerAnalysis) -> Question | None:
                    """What the interviewer asks after `heard`, the answer to the question being asked."""
                    fu = self._next_followup(depth, pointed, heard)
                    return fu.question if fu is not None else after

                ahead = upcoming if self.llm is None else None   # the model's wording comes later
                analysis = self._ask(result, main, parent=None, upcoming=ahead)
                if analysis is None:
                    result.ended_early = True
                    break
                if analysis is UNHEARD:
                    continue  # nothing was heard: nothing to dig into
                current = analysis
                turns = [dig.Turn.of(main, analysis.transcript.text, analysis.content.issue("blame") is not None)]
                while (fu := self._next_followup(depth, pointed, current)) is not None:
                    if fu is self._takeback:
                        pointed = True
                    else:
                        self._contradiction = None
                    topic = dig.Topic(main, tuple(turns))
                    if self.llm is not None and fu is not self._takeback:   # the take-back is said as written
                        fu = self._worded(topic, fu)
                    depth += 1
                    current = self._ask(result, fu.question, parent=main.id, trigger=fu.trigger, reason=fu.reason,
                                        topic=topic, upcoming=ahead)
                    if current is None:
                        result.ended_early = True
                        break
                    if current is UNHEARD:
                        break
                    turns.append(dig.Turn.of(fu.question, current.transcript.text,
                                                    current.content.issue("blame") is not None))
                if result.ended_early:
                    break
        except KeyboardInterrupt:
            result.interrupted = True
        finally:
            if self.source.live:
                self.source.let_go()   # an answer still heard after its turn (Ctrl-C meanwhile)
            try:
                self._settle(result)   # the last answer, analysed while the interview ended
            except BaseException:   # a second Ctrl-C: its audio is on disk, `--resume` analyses it
                log.debug("the last answer's analysis was not saved", exc_info=True)
            self._analysing.shutdown(wait=True, cancel_futures=True)
            session.meta["interrupted"] = result.interrupted
            if self.llm is not None:
                session.meta["interviewer"] = self.llm.summary()
                self.llm.close()
            self.store.finish(session)
            self.voice.close()
            # A model still loading is waited for: CTranslate2 must not be torn down mid-call.
            self._loader.shutdown(wait=True, cancel_futures=True)
        return result

    def _next_followup(self, depth: int, pointed: bool, current: AnswerAnalysis) -> FollowUp | None:
        """The follow-up after `current` when `depth` have been asked in this topic, or None
        to move on. Read from the state at the end of the answer's turn, so that the choice
        made ahead (to say it joined to the acknowledgement) and the one made after agree."""
        if depth >= self.max_followups:
            return None
        used = (self._ended_at - self._started) / self.time_limit_s
        if used > 0.8 or (used > 0.6 and depth >= 1):
            return None  # time is short: dig less, then not at all
        # a rambling answer taken back asks for its point first (once per topic),
        # then a contradiction, else the next rung, chosen from this topic
        if self._taken_back and not pointed:
            return self._takeback
        fu = self._contradiction or current.review.followup
        if fu is None or (depth > 0 and fu.trigger == "question"):
            return None  # a stock question's own follow-up is asked once; the ladder climbs on
        return fu

    def _recover(self, result: SessionResult) -> None:
        """Analyse recordings that are on disk but not in the session (killed mid-answer)."""
        qs = bank.questions()
        for idx, qid, path in result.session.unsaved_recordings():
            q = qs.get(qid)
            try:
                analysis = self._analyzer.result().analyze_file(path, qid if q else None,
                                                                 result.session.meta.get("track"), self.company)
            except AudioError:  # killed before any sound was written: nothing to recover
                self.ui.recovered(path.name, None)
                continue
            self._save(result, SavedAnswer(idx, qid, q.text if q else qid, path.name,
                                           recording=RecordingInfo(EndedBy.RECOVERED), analysis=analysis))
            self.ui.recovered(path.name, analysis)

    def _ask(self, result: SessionResult, q: Question, parent: str | None, trigger: str | None = None,
             reason: str | None = None, topic: dig.Topic | None = None,
             upcoming: Callable[[AnswerAnalysis], Question | None] | None = None) -> AnswerAnalysis | object | None:
        """Ask `q` (unless it is already being said, joined to the acknowledgement of the
        answer before) and hear the answer; None when the answer files ran out, UNHEARD when
        no voice came. `topic`: the main question and the answers so far, when `q` is a
        follow-up. `upcoming`: what will be asked after an answer, so that it can follow the
        acknowledgement at once. A spoken answer returns what was heard by the end of its
        turn; its full analysis is saved when the next question is asked (`_settle`)."""
        playback = self.voice.begin(q.text)   # the question sounds at once,
        self._settle(result)                  # and the previous answer's card comes before its text
        idx = result.session.next_idx()
        self.asked.add(q.id)
        self.ui.asking(q, self._main, reason)
        finish(playback)
        dest = result.session.answer_audio(idx, q.id)
        entry = SavedAnswer(idx, q.id, q.text, dest.name, parent, trigger, reason)
        track = result.session.meta.get("track")
        # Transcribe while the user speaks, so feedback follows the answer at once, the
        # end-of-turn rule can read the words, and the likely follow-up is voiced in advance.
        stream = self._stream(q, track, topic)
        recording = self._recorded(result, entry, stream, lambda: self.source.record(
            dest, q.target_s, self.ui.recording(q.target_s), on_audio=stream.feed if stream else None,
            words=stream, question_type=q.type, listener=self._listening if self.source.live else None))
        if recording is None:
            if stream:
                stream.cancel()
            return None
        self._ended_at = time.monotonic()
        self._taken_back = recording.turn is not None and recording.turn.state == turn.RAMBLING
        self.ui.recorded(recording)
        if recording.typed is not None:   # a typed answer: content and follow-ups, no delivery
            analysis = analyze_text(recording.typed, q, result.session.meta.get("track"), self.company,
                                    frozenset(self.asked), topic)
            self._save(result, replace(entry, audio=recording.path.name, analysis=analysis,
                                       recording=RecordingInfo(EndedBy.TYPED)))
            self._ended_at = time.monotonic()   # the answer is there when it is sent, not when it was written
            self.ui.reaction(analysis)
            self._check_consistency(analysis, q)
            return analysis
        if recording.ended_by == EndedBy.NO_VOICE:
            if stream:
                stream.cancel()
            # kept on disk and in session.json, but never analysed, scored or averaged
            self._save(result, replace(entry, recording=RecordingInfo(EndedBy.NO_VOICE, stopped_s=recording.stopped_s)))
            if self.source.live and self.ui.no_voice(recording) == "retry":   # a file cannot be said again
                self.asked.discard(q.id)
                return self._ask(result, q, parent, trigger, reason)
            return UNHEARD
        while True:
            analysing = self._analysing.submit(
                self._analyzer.result().analyze_samples, recording.samples, q.id, file=str(dest),
                asked=frozenset(self.asked), streamed=stream, track=track, company=self.company, topic=topic)
            heard = self._heard(stream, recording, q, track, topic)
            # Reply at once (a person does within a second): the acknowledgement and, when
            # the words heard tell it and the end is sure, the next question joined to it.
            then = upcoming(heard) if upcoming is not None and heard is not None and self._sure(recording) else None
            reply = self._reply(recording, then)
            if reply is not None and then is None:
                finish(reply)   # the next question follows the acknowledgement, never over it
            # the candidate went on while the interviewer replied: the turn was not over
            # (a long breath after a sentence), so the same answer is recorded on
            if not self.source.live or not self.source.went_on(self._ended_at + self._listening.listen_on_s):
                break
            self.voice.forget_ahead()   # hushed: asked in full when its time comes
            self.ui.resumed()
            stream = self._stream(q, track, topic)
            recording = self._recorded(result, entry, stream,
                                       lambda: self.source.resume(stream.feed, stream))
            self._ended_at = time.monotonic()
            self._taken_back = recording.turn is not None and recording.turn.state == turn.RAMBLING
            self.ui.recorded(recording)
        entry = replace(entry, recording=RecordingInfo(recording.ended_by, recording.speech_end_s,
                                                       recording.stopped_s, recording.turn_facts()))
        self._pending = _Pending(analysing, entry, q)
        if heard is not None:
            return heard
        analysis = self._settle(result)
        if not self.source.live:
            self._ended_at = time.monotonic()   # a file has no end of speech to reply to: its analysis is
        return analysis

    def _sure(self, recording: Recording) -> bool:
        """Whether the answer's end leaves little doubt: Enter, or words that end this kind of
        answer (a sign-off, a closing sentence with its part, a rambling answer taken back)
        in a voice that sounds finished, or a finished sentence with a 相槌 the candidate did
        not go on after, once the room is known. Only then does the next question follow at
        once. After another doubtful end (no 相槌, or words not yet read) it waits out
        `listen_on_s`: a candidate who goes on is heard over the short acknowledgement, but
        over a question at full loudness the echo gate, until it has learned how loud the
        room returns the interviewer, would not let their voice through. After a 相槌 the
        listening was done (the sound and its yield), and with the room known a candidate
        who goes on over the question stops it and is recorded on, as with a person (held
        out, the second put plain-sentence endings 1 s after the 相槌's yield). Words not
        yet read keep it: in one held-out run a candidate thinking 2.5 s in mid-answer went
        on over the question asked at such a pause, and the answer was cut."""
        decision = recording.turn
        if recording.ended_by == EndedBy.ENTER or (decision is not None and decision.state == turn.RAMBLING):
            return True
        if (decision is not None and decision.aizuchi and decision.state == turn.EndState.SENTENCE
                and self.source.heard_over_playback):
            return True
        return (decision is not None and decision.state in turn.SURE
                and (decision.probability is None or decision.probability >= turn.rules().complete_probability))

    def _heard(self, stream: StreamingTranscriber | None, recording: Recording, q: Question, track: str | None,
               topic: dig.Topic | None) -> AnswerAnalysis | None:
        """The answer as the interviewer heard it by the end of its turn: the words streamed
        so far, reviewed. The next question is chosen on them, as a person does. None (the
        full analysis is waited for) when the words fall short of the end of speech (the
        transcriber is behind), or may contradict what was said before: a contradiction is
        put only on the final words, with the figures Whisper was unsure of marked."""
        words = stream.partial() if stream is not None else None
        if words is None or words[1] < (recording.speech_end_s or 0.0) - _HEARD_TO_END_S:
            return None
        heard = analyze_text(words[0], q, track, self.company, frozenset(self.asked), topic)
        return None if self._contradicts(heard.review.facts) else heard

    def _settle(self, result: SessionResult) -> AnswerAnalysis | None:
        """Wait for the analysis of the last spoken answer, if one is running; save it, show
        its card and check it against what was said before. Kept pending until it is saved,
        so an interrupted wait is settled again when the session ends."""
        pending = self._pending
        if pending is None:
            return None
        analysis = pending.analysis.result()
        self._pending = None
        self._save(result, replace(pending.entry, analysis=analysis))
        self.ui.reaction(analysis)
        self._check_consistency(analysis, pending.question)
        return analysis

    def _stream(self, q: Question, track: str | None, topic: dig.Topic | None) -> StreamingTranscriber | None:
        if not self.source.live:
            return None
        return StreamingTranscriber(lambda: self._analyzer.result().transcriber, q.text,
                                    on_text=self._foresee(q, track, topic))

    def _recorded(self, result: SessionResult, entry: SavedAnswer, stream: StreamingTranscriber | None,
                  take: Callable[[], Recording | None]) -> Recording | None:
        """`take()`'s recording; on Ctrl-C, a closed page or a lost device what was said is kept."""
        try:
            return take()
        except BaseException as e:
            if stream:
                stream.cancel()
            dest = result.session.path / entry.audio
            if dest.exists():  # keep what was said before Ctrl-C or a lost device
                partial = (self._partial(dest, entry.question_id, result.session.meta.get("track"))
                           if self.analyse_partial and isinstance(e, KeyboardInterrupt) else None)
                try:
                    self._save(result, replace(entry, recording=RecordingInfo(EndedBy.INTERRUPTED), analysis=partial))
                except OSError:  # a full disk: the audio is there, `--resume` will pick it up
                    pass
            raise

    def _partial(self, dest, question_id: str, track: str | None) -> AnswerAnalysis | None:
        """The analysis of an answer cut short, or None when it holds no speech."""
        try:
            analysis = self._analyzer.result().analyze_file(dest, question_id, track, self.company)
        except AudioError:
            return None
        return analysis if analysis.delivery and analysis.delivery.speech_s >= 0.5 else None

    def _contradictions(self, new: list[Stated]) -> list:
        """Contradictions between `new` facts and those stated before, not yet put to the candidate."""
        return [c for c in contradictions(self._said + new, bank.load("consistency"))
                if c.second in new and c.first not in new and c.first.fact.key not in self._contradicted]

    def _contradicts(self, facts) -> bool:
        return bool(self._contradictions([Stated(f, "now", "", "") for f in facts]))

    def _check_consistency(self, analysis: AnswerAnalysis, q: Question) -> None:
        """Compare the facts of this answer with the notes and the earlier answers; the
        first contradiction not yet put to the candidate becomes the next follow-up."""
        new = [Stated(f, "now", "", q.id) for f in analysis.review.facts if not f.uncertain]
        found = self._contradictions(new)
        self._said += new
        if found and self.max_followups:
            c = found[0]
            self._contradicted.add(c.first.fact.key)
            # a note's source is what it is (エントリーシート); an earlier answer has none
            self._contradiction = dig.contradiction(c.first.fact, c.second.fact, c.first.source or None)

    def _reply(self, recording: Recording, then: Question | None) -> Playback | None:
        """Start a short acknowledgement as soon as a spoken answer ends, and `then` (the
        next question) joined to it. After the reverse question too: an interviewer replies
        to the candidate's question rather than fall silent."""
        if not self.source.live or recording.ended_by not in (EndedBy.SILENCE, EndedBy.ENTER):
            return None
        if self._taken_back:
            ack = self._takeback_say
        elif not self._acks or recording.acknowledged:
            ack = None   # the 相槌 the candidate did not go on after was the acknowledgement
        elif then is not None:
            ack = self._ack_joined or None
        else:
            self._acks.append(self._acks.pop(0))
            ack = self._acks[-1]
        if ack is None and then is None:
            return None
        return self.voice.reply(ack, then.text if then is not None else None, self._ack_pause_s)

    def _foresee(self, q: Question, track: str | None, topic: dig.Topic | None) -> Callable[[str], None] | None:
        """While the answer is spoken: synthesise the follow-up its words so far would
        prompt, so that it can be played as soon as the answer ends."""
        if self.max_followups < 1:
            return None

        def foresee(text: str) -> None:
            try:
                fu = review(text, q, frozenset(self.asked), track, company=self.company, topic=topic).followup
            except Exception:  # a hint only: the real choice is made on the whole answer
                log.debug("follow-up foresight failed", exc_info=True)
                return
            if fu is None:
                return
            self.voice.prepare(fu.question.text)
            if self.llm is not None:   # the model starts on the answer so far, to be in time at its end
                base = topic or dig.Topic(q)
                self.llm.foresee(dig.Topic(base.main, (*base.turns, dig.Turn.of(q, text))), fu, self.voice.prepare)

        def on_text(text: str) -> None:
            # Off the transcriber's thread (it is called from there): the model's loader is idle by now.
            try:
                self._loader.submit(foresee, text)
            except RuntimeError:  # the session is closing
                pass

        return on_text

    def _worded(self, topic: dig.Topic, fu: FollowUp) -> FollowUp:
        """`fu` in the language model's words when its reply is in time and fit to ask,
        in this company's words as the rules' questions are."""
        worded = self.llm.word(topic, fu, self._ended_at)
        if worded is fu or self.company is None:
            return worded
        return replace(worded, question=fit.word(worded.question, self.company, bank.load("company")))

    def _save(self, result: SessionResult, entry: SavedAnswer) -> None:
        result.answers.append(entry)
        self.store.add_answer(result.session, entry)
