"""The end-of-turn waits fitted on one set of answers and checked on answers kept out.

    python benchmarks/fit_turns.py [--threads 2] [--margin 0.1]

Offline, every pause of every answer is read as the live rule reads it: the words said
before it (the transcript's word times) give its text state (turn.text_state), Smart Turn
the voice's P(end) on the audio up to `probe_after_s` into it, and the silence that
followed it is known. A wait w for a (state, voice) pair takes the turn where a pause in
the middle of an answer, in that pair, lasts w or more: the candidate going on within
`listen_on_s` of it hushes the reply and the answer is recorded on (repaired, at the cost
of a reply begun into their speech); later, the answer is cut. At the answer's real end
the wait costs w (or the 相槌's `after_s`) before the interviewer's first sound. Pauses
where a 相槌 is said (prompts/turn.toml [aizuchi]) end the turn only when they outlast the
相槌 and its yield. The words at a pause are the final transcript's, so the state
`pending` (words not read yet), which only the live rule meets, is not fitted. The 相槌
waits for the candidate's own pace between sentences, as the live rule does.

Fit set: the dev and rendered answers (five Kokoro voices and OpenJTalk's own voice,
clean and home recording conditions) and copies of each with a pause set into it, as
bench_turns makes them (3.5 s after a filler and after a comma, 1.5 s between two
sentences and after a closing-form sentence in the middle). Held out, never read while
fitting, each with its copies: the rooms answers (Debian's male HTS voice, a television in
the next room, a telephone line, three minutes of answer, 「うーん」「まあまあ」 fillers)
and the turns answers (scripts written after the rules were last changed, for the
question types the other sets lack, in four voices, with pauses after fillers, commas,
sentences, figures and greetings).

For each (state, voice) pair the fitted wait is the shortest that cuts no fit answer and
begins a reply into speech at no more than 5 % of the pair's mid-answer pauses, plus
`--margin`; never below the pair's floor (the shortest wait in the table now: the two
reverse questions in a row the sign-off wait was set for are in no set here), never above
the table now. Printed: the table now and fitted, and for each set under each table:
answers cut, replies repaired, 相槌 said into speech, and the modelled median first sound
and next question (VAD lag and 「はい。」 included; the model joins the question to it after
every end, where the interviewer does so only after a sure one or a 相槌 on a sentence
read, so after another doubtful end its next question is early by up to the listening
second).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.rules import bank  # noqa: E402
from simulator.speech import turn  # noqa: E402
from simulator.speech.audio import SAMPLE_RATE, load_audio, speech_regions  # noqa: E402

EVAL = ROOT / "tests" / "data" / "eval"
# Each set and its folders: the first is fitted on, the others are only judged.
SETS = {"fit": ("dev", "rendered"), "rooms": ("rooms",), "turns": ("turns",)}
VAD_LAG_S = 0.1          # the live VAD hears the end of speech this long after the last sound
AIZUCHI_S = 0.4          # the length of a 相槌 (OpenJTalk 「はい。」「ええ。」)
INSERTED = {"filler": 3.5, "comma": 3.5, "sentence": 1.5, "closing": 1.5}


@dataclass(frozen=True)
class Pause:
    state: str
    complete: bool
    silence_s: float      # inf at the answer's end
    kind: str = ""        # what ends before it: filler, comma, sentence, closing, or ""


def read_answer(path: Path, qid: str, analyzer, model, r: turn.TurnRules) -> list[Pause]:
    """Every pause of one answer as the rule would read it, the last one its end."""
    samples = load_audio(path)
    q = bank.questions()[qid]
    a = analyzer.analyze_samples(samples, qid)
    regions = speech_regions(samples)
    if not regions:
        return []
    fillers = [f.end_s for f in a.delivery.fillers]
    pauses = []
    for k, region in enumerate(regions):
        end = region.end
        silence = regions[k + 1].start - end if k + 1 < len(regions) else float("inf")
        if silence < r.probe_after_s:
            continue
        said = "".join(w.text for w in a.transcript.words if w.end <= end + 0.1)
        state = turn.text_state(said, end - regions[0].start, q.target_s, r, q.type)
        p = model.probability(samples[:int((end + r.probe_after_s) * SAMPLE_RATE)])
        tail = said.rstrip()
        kind = ("filler" if any(abs(f - end) < 0.3 for f in fillers) else "comma" if tail.endswith("、")
                else ("closing" if any(x.search(tail.rstrip("。")) for x in r.closing) else "sentence")
                if tail.endswith("。") else "")
        pauses.append(Pause(state, p >= r.complete_probability, silence, kind))
    return pauses


def copies(pauses: list[Pause]) -> list[list[Pause]]:
    """The answer with one pause in its middle made longer, one copy per kind (bench_turns' variants)."""
    made = []
    middle = pauses[len(pauses) // 4:3 * len(pauses) // 4] or pauses[:-1]
    for kind, length in INSERTED.items():
        at = next((i for i, p in enumerate(pauses) if p in middle and p.kind == kind and p.silence_s < 1.0), None)
        if at is not None:
            p = pauses[at]
            made.append(pauses[:at] + [Pause(p.state, p.complete, p.silence_s + length, kind)] + pauses[at + 1:])
    return made


def needed(p: Pause, wait: dict, r: turn.TurnRules, after_s: float) -> tuple[float, float | None]:
    """The silence this pause needs before the turn is taken, and when a 相槌 is said in
    it (after `after_s`, turn.AnswerTurn.aizuchi_after_s, or the reply's 「はい」 after words
    that end the answer), or None."""
    w = wait[p.state][0 if p.complete else 1]
    if p.complete and p.state in turn.SURE and w > r.aizuchi_sure_after_s:
        return w, r.aizuchi_sure_after_s
    if p.complete and p.state in r.aizuchi_states and w > after_s + r.aizuchi_yield_s:
        return min(w, after_s + AIZUCHI_S + r.aizuchi_yield_s), after_s
    return w, None


def judge(answers: list[list[Pause]], wait: dict, r: turn.TurnRules) -> dict:
    cuts = repairs = overlaps = pauses = 0
    first, nxt = [], []
    joined = 0.4 + r.acknowledge_pause_s   # 「はい。」 and the breath before the question
    for answer in answers:
        paced = turn.AnswerTurn(None, None, None, r)   # the candidate's pace, as the live rule keeps it
        for p in answer[:-1]:
            need, cue = needed(p, wait, r, paced.aizuchi_after_s())
            pauses += 1
            overlaps += cue is not None and cue <= p.silence_s < cue + AIZUCHI_S
            if p.silence_s >= need + r.listen_on_s:
                cuts += 1
                break
            repairs += p.silence_s >= need
            if p.state == turn.EndState.SENTENCE and p.silence_s < r.aizuchi_paced_upto_s:
                paced.sentence_pauses.append(p.silence_s)
        else:
            last = answer[-1]
            need, cue = needed(last, wait, r, paced.aizuchi_after_s())
            first.append(VAD_LAG_S + (need if cue is None else cue))
            if cue is None:
                nxt.append(VAD_LAG_S + need + joined)
            elif last.state in turn.SURE:   # the question follows the early 「はい」 once the turn is sure
                nxt.append(VAD_LAG_S + max(need, cue + AIZUCHI_S + r.acknowledge_pause_s))
            else:
                nxt.append(VAD_LAG_S + need)
    return {"answers": len(answers), "cuts": cuts, "repairs": repairs, "overlaps": overlaps, "pauses": pauses,
            "first": statistics.median(first) if first else float("nan"),
            "next": statistics.median(nxt) if nxt else float("nan")}


def fit(answers: list[list[Pause]], now: dict, margin: float, r: turn.TurnRules) -> dict:
    floor = min(v[0] for v in now.values())
    fitted = {}
    for state, (complete, incomplete) in now.items():
        pair = []
        for want_complete, current in ((True, complete), (False, incomplete)):
            silences = sorted(p.silence_s for a in answers for p in a[:-1]
                              if p.state == state and p.complete == want_complete)
            if state == "pending" or not silences:
                pair.append(current)
                continue
            no_cut = silences[-1] - r.listen_on_s
            few_repairs = float(np.quantile(silences, 0.95))
            pair.append(round(min(current, max(floor, no_cut + margin, few_repairs + margin)), 2))
        fitted[state] = tuple(pair)
    return fitted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--margin", type=float, default=0.1)
    ap.add_argument("--json", type=Path, help="also write the pauses read and the tables here")
    a = ap.parse_args()
    from simulator.analysis.analyze import Analyzer
    from simulator.speech.asr import Transcriber
    from simulator.speech.models import load_model

    model, _ = load_model(cpu_threads=a.threads)
    analyzer, smart, r = Analyzer(Transcriber(model)), turn.SmartTurn(), turn.rules()
    sets: dict[str, list[list[Pause]]] = {}
    for name, folders in SETS.items():
        answers = []
        for folder in folders:
            for row in json.loads((EVAL / folder / "truth.json").read_text(encoding="utf-8")):
                pauses = read_answer(EVAL / folder / row["file"], row["qid"], analyzer, smart, r)
                if pauses:
                    answers += [pauses, *copies(pauses)]
        sets[name] = answers
    now = {state: tuple(v) for state, v in r.wait.items()}
    fitted = fit(sets["fit"], now, a.margin, r)
    print(f"{'state':<10} {'now (complete, not)':<22} fitted")
    for state in now:
        print(f"{state:<10} {str(now[state]):<22} {fitted[state]}")
    for name, answers in sets.items():
        for label, table in (("now", now), ("fitted", fitted)):
            j = judge(answers, table, r)
            print(f"{name:<6} {label:<6}: answers {j['answers']}, cut {j['cuts']}, repaired {j['repairs']}, 相槌 into speech "
                  f"{j['overlaps']}/{j['pauses']}, median first sound {j['first']:.2f} s, next question {j['next']:.2f} s")
    if a.json:
        a.json.write_text(json.dumps({"now": now, "fitted": fitted, "sets": {
            k: [[p.__dict__ for p in ans] for ans in v] for k, v in sets.items()}}, ensure_ascii=False, indent=1,
            default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
