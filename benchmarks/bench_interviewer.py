"""How the interviewer digs: scripted typed interview chains through the real follow-up choice.

    python benchmarks/bench_interviewer.py [--chains tests/data/interviews/chains.toml] [--followups 3]

Each chain is one main question and the candidate's typed answers; the answers are
given in order to whatever the interviewer asks, exactly as `practice --answers-from`
with .txt files does (analyze_text with the topic so far; no model needed). Prints per
chain the follow-ups asked and the depth reached, then:

  quoted    share of follow-ups (presses aside) that quote the candidate's words, among
            those asked when the answers so far held a claim; goal ≥ 0.8
  repeated  share of follow-ups that ask a rung the story had already answered; goal 0
  depth     mean rungs answered concretely, on complete and on evasive chains
  choose    time to choose one follow-up with the rules (dig.next_followup), median and
            worst; goal ≤ 50 ms. `review` is the whole content analysis around it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.analysis.analyze import analyze_text  # noqa: E402
from simulator.interviewer import dig  # noqa: E402
from simulator.rules import bank

CHAINS = ROOT / "tests" / "data" / "interviews" / "chains.toml"


def run_chain(chain: dict, followups: int = 3) -> dict:
    """The chain's interview: [(follow-up, the answer given to it)], the turns and the timings."""
    main = bank.questions()[chain["qid"]]
    answers = list(chain["answers"])
    result = analyze_text(answers.pop(0), main, chain.get("track"))
    turns = [dig.Turn.of(main, result.transcript.text, result.content.issue("blame") is not None)]
    asked, review_s = [], []
    for _ in range(followups):
        fu = result.review.followup
        if fu is None or not answers or (asked and fu.trigger == "question"):
            break
        topic = dig.Topic(main, tuple(turns))
        text = answers.pop(0)
        asked.append((fu, [t.text for t in turns]))
        t0 = time.perf_counter()
        result = analyze_text(text, fu.question, chain.get("track"), topic=topic)
        review_s.append(time.perf_counter() - t0)
        turns.append(dig.Turn.of(fu.question, text, result.content.issue("blame") is not None))
    return {"asked": asked, "turns": turns, "review_s": review_s, "main": main}


def choose_time(main, turns: list[dig.Turn]) -> float:
    t0 = time.perf_counter()
    try:
        dig.next_followup(dig.Topic(main, tuple(turns)))
    except KeyError:
        pass
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chains", default=str(CHAINS))
    ap.add_argument("--followups", type=int, default=3)
    a = ap.parse_args()
    chains = tomllib.loads(Path(a.chains).read_text(encoding="utf-8"))["chain"]
    rules = dig.rules()
    quoted = with_claim = repeated = total = 0
    depths: dict[str, list[int]] = {"complete": [], "evasive": []}
    choose, reviews = [], []
    for chain in chains:
        run = run_chain(chain, a.followups)
        print(f"{chain['id']} {chain['qid']} ({chain['kind']})")
        for n, (fu, before) in enumerate(run["asked"]):
            total += 1
            rung = fu.question.trigger if fu.question.id.startswith(("dig_", "press_")) else None
            if rung and not fu.question.id.startswith("press_"):
                earlier = run["turns"][:n + 1]
                if any(t.rung == rung and dig.answered(rung, t.text, t.blamed) for t in earlier) or any(
                        p.search(text) for text in before for p in rules.rungs[rung].covered):
                    repeated += 1
                if dig.claims(before, run["main"].type):
                    with_claim += 1
                    quoted += any(c.quote in fu.question.text for c in dig.claims(before, run["main"].type))
            choose.append(choose_time(run["main"], run["turns"][:n + 1]))
            print(f"   {fu.trigger:22} {fu.question.text}")
        reviews += run["review_s"]
        d = dig.depth(run["turns"])
        depths[chain["kind"]].append(d.held)
        print(f"   → {d.label()}")
    print()
    print(f"chains {len(chains)}, follow-ups {total}")
    print(f"quoted: {quoted}/{with_claim} = {quoted / max(with_claim, 1):.2f} (goal ≥ 0.80)")
    print(f"repeated: {repeated}/{total} = {repeated / max(total, 1):.2f} (goal 0)")
    for kind, values in depths.items():
        print(f"depth, {kind}: mean {statistics.mean(values):.2f} over {len(values)} chains")
    print(f"choose: median {statistics.median(choose) * 1000:.1f} ms, worst {max(choose) * 1000:.1f} ms (goal ≤ 50 ms); "
          f"review: median {statistics.median(reviews) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
