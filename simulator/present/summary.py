"""A short Japanese summary of one analysed answer, for the terminal."""

from __future__ import annotations

from rich.markup import escape

from simulator.analysis.analyze import AnswerAnalysis
from simulator.analysis.record import SavedAnswer
from simulator.interviewer import dig
from simulator.interviewer.dig import Depth
from simulator.rules import bank
from simulator.rules.bank import Question


def label(section: str, key: str) -> str:
    return bank.load("labels")[section][key]


def render(result: AnswerAnalysis) -> str:
    lines = [f"[bold]{escape(result.file or '回答（文章）')}[/bold]"]
    if result.question_text:
        lines.append(f"  質問: {escape(result.question_text)}")
    heading = "文字起こし" if result.delivery else "回答文"
    lines.append(f"  {heading}: {escape(result.transcript.marked_text()) or '（なし）'}")
    if result.delivery:
        lines += _delivery(result)
    lines += _content(result)
    return "\n".join(lines)


def _content(result: AnswerAnalysis) -> list[str]:
    c, r = result.review.content, result.review
    names = bank.load("labels")["elements"]
    mark = (lambda ok: "○" if ok else "×")
    found = "、".join(names[e.name] for e in c.elements) or "なし"
    lines = [f"  結論から話している: {mark(c.conclusion_first)}　数字: {mark(c.has_numbers)}"
             f"{'（' + '、'.join(c.numbers) + '）' if c.numbers else ''}　構成: {found}",
             "  [bold]アドバイス[/bold]"]
    lines += [f"  ・{escape(a)}" for a in r.advice]
    if r.followup:
        lines.append(f"  [bold]次の深掘り質問[/bold]: {escape(r.followup.question.text)}")
        lines.append(f"    （理由: {escape(r.followup.reason)}）")
    return lines


def _delivery(result: AnswerAnalysis) -> list[str]:
    d = result.delivery
    pace = bank.delivery().pace
    lines = []
    lines.append(f"  回答の長さ: {d.speech_s:.1f} 秒（目安 {d.target_s:.0f} 秒）— {label('length_verdict', d.length_verdict)}")
    lines.append(f"  話す速さ: {d.mora_per_min:.0f} モーラ/分（聞きやすいのは {pace.easy_low}〜{pace.easy_high}）"
                 f"— {label('pace_verdict', d.pace_verdict)}")
    if d.fillers:
        listed = "、".join(f"{escape(f.text)}（{f.start_s:.1f} 秒）" for f in d.fillers)
        lines.append(f"  フィラー: {d.filler_count} 回（{d.fillers_per_min:.1f} 回/分）: {listed}")
    else:
        lines.append("  フィラー: なし")
    if d.pauses:
        listed = "、".join(f"{p.start:.1f}〜{p.end:.1f} 秒" for p in d.pauses)
        long_s = bank.delivery().pauses.long_s
        lines.append(f"  長い間（{long_s:g} 秒以上）: {len(d.pauses)} 回: {listed}")
    lines.append(f"  話し始めまで: {d.speech_start_s:.1f} 秒")
    if d.level:
        for problem in ("clipping", "too_quiet"):
            if getattr(d.level, problem):
                lines.append(f"  [yellow]録音: {label('level', problem)}[/yellow]")
    return lines


def topic_depths(answers: list[SavedAnswer]) -> list[tuple[SavedAnswer, Depth]]:
    """Each main answer of a session with how far its story held under the follow-ups
    (深掘り耐性), replayed from the saved answers with the same judge as the interview."""
    out: list[tuple[SavedAnswer, Depth]] = []
    topic: list[dig.Turn] = []
    main: SavedAnswer | None = None
    for a in [*answers, None]:
        if a is None or a.parent_id is None:
            if main is not None:
                out.append((main, dig.depth(topic)))
            main, topic = a, []
            continue
        if main is None or a.analysis is None or a.parent_id != main.question_id:
            continue
        blamed = a.analysis.content.issue("blame") is not None
        asked = Question(a.question_id, a.question, "followup", ())
        topic.append(dig.Turn.of(asked, a.analysis.transcript.text, blamed))
    return out
