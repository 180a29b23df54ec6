"""What the user sees during practice: questions, a live level meter, short reactions.

Plain lines mark each step (質問, 録音開始, 録音終了) so that scripts and tests can follow
the session from standard output; the live meter is drawn only on a terminal.
"""

from __future__ import annotations

import math
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulator.analysis.analyze import AnswerAnalysis
from simulator.analysis.record import SavedAnswer
from simulator.present.assessment import Assessment
from simulator.present.summary import label, topic_depths
from simulator.rules import bank
from simulator.rules.bank import Question
from simulator.speech.capture import EndedBy, Recording
from simulator.speech.voice import remark as voice_remark

_ENDED = {EndedBy.SILENCE: "自動で終了", EndedBy.ENTER: "Enter で終了", EndedBy.CAP: "上限時間で終了",
          EndedBy.FILE: "ファイル", EndedBy.INTERRUPTED: "中断", EndedBy.NO_VOICE: "声が届かず終了",
          EndedBy.TYPED: "文章", EndedBy.RECOVERED: "復元"}


class TerminalUI:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self._live = None
        self._status = None

    def say(self, text: str) -> None:
        self.console.print(text)

    def asking(self, question: Question, main: tuple[int, int], followup_reason: str | None) -> None:
        number, total = main
        head = f"深掘り（質問 {number} について）" if followup_reason else f"質問 {number}/{total}"
        self.console.print(f"\n[bold cyan]{head}[/bold cyan]: {escape(question.text)}")
        if followup_reason:
            self.console.print(f"  [dim]（{escape(followup_reason)}）[/dim]")
        if self.console.is_terminal:  # until the recording starts: the interviewer is speaking
            self._status = self.console.status("面接官が話しています…", spinner="dots")
            self._status.start()

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def recording(self, target_s: float):
        """A progress callback; its first call, made once audio really flows, says "go ahead"."""
        state = {"started": False}

        def progress(elapsed: float, rms: float, speaking: bool) -> None:
            if not state["started"]:
                state["started"] = True
                self._stop_status()
                self.console.print(f"録音開始（どうぞ。目安 {target_s:.0f} 秒。話し終えると自動で終わります。Enter ですぐ終了）",
                                   markup=False)
                if self.console.is_terminal:
                    from rich.live import Live

                    self._live = Live(console=self.console, transient=True, refresh_per_second=10)
                    self._live.start()
            if self._live:
                bars = min(20, int(max(0.0, 60 + 20 * math.log10(max(rms, 1e-6))) / 3))  # -60..0 dBFS
                over = " [red]目安を超えています[/red]" if elapsed > target_s else ""
                dot = "[green]●[/green]" if speaking else "[dim]●[/dim]"
                self._live.update(f"{dot} {elapsed:5.1f} 秒 / 目安 {target_s:.0f} 秒  "
                                  f"{'▮' * bars}{'▯' * (20 - bars)}{over}")

        return progress

    def recorded(self, recording: Recording) -> None:
        self.close_live()
        if recording.typed is not None:
            self.console.print(f"回答（文章、{len(recording.typed)} 文字）: {escape(recording.typed)}")
            return
        if recording.path.suffix == ".txt":   # an empty typed answer
            self.console.print("回答の文章が空のため、この質問は飛ばします。", markup=False)
            return
        if recording.ended_by == EndedBy.CAP:
            self.console.print("[yellow]上限時間に達したため録音を終了しました。回答は短くまとめましょう。[/yellow]")
        self.console.print(f"録音終了（{_ENDED.get(recording.ended_by, recording.ended_by)}、"
                           f"{recording.duration_s:.1f} 秒）", markup=False)

    def resumed(self) -> None:
        """The candidate went on after the interviewer had taken the turn: it stopped to listen."""
        self.console.print("（続きを聞いています）", markup=False)

    def no_voice(self, recording: Recording) -> str:
        """One line on why nothing was heard, then retry or skip (skip when no one can answer)."""
        cause = ("マイクから音がまったく届いていません（ミュートか、別の入力デバイスが選ばれています）"
                 if recording.no_input else "声が聞き取れませんでした（マイクが遠いか、入力音量が低すぎます）")
        self.console.print(f"[yellow]{cause}。mensetsu check で確認し、--input-device で指定できます。[/yellow]")
        if not self.console.is_terminal or not sys.stdin or not sys.stdin.isatty():
            self.console.print("この質問は飛ばします（録音は保存しました）。", markup=False)
            return "skip"
        answer = self.console.input("Enter でもう一度答える / s で飛ばす: ").strip().lower()
        return "skip" if answer.startswith("s") else "retry"

    def reaction(self, analysis: AnswerAnalysis) -> None:
        d, r = analysis.delivery, analysis.review
        if d is None:   # a typed answer: content only
            if r.advice:
                self.console.print(f"  → {escape(r.advice[0])}")
            return
        if d.level and d.level.silent:
            self.console.print(f"  [yellow]{label('level', 'silent')}[/yellow]")
            return
        fillers = f"フィラー {d.filler_count} 回" + (
            f"（{'、'.join(dict.fromkeys(f.text for f in d.fillers))}）" if d.fillers else "")
        self.console.print(f"  → {d.speech_s:.0f} 秒（目安 {d.target_s:.0f} 秒）・{fillers}・"
                           f"{d.mora_per_min:.0f} モーラ/分")
        if analysis.voice:
            self.console.print(f"  → 声: {escape(voice_remark(analysis.voice, bank.load('voice')))}")
        if r.advice:
            self.console.print(f"  → {escape(r.advice[0])}")

    def recovered(self, audio: str, analysis: AnswerAnalysis | None) -> None:
        if analysis is None:
            self.console.print(f"前回の録音 {audio} には音声がありませんでした。", markup=False)
            return
        self.console.print(f"前回の録音 {audio} を分析しました（{analysis.question_text or ''}）", markup=False)
        self.reaction(analysis)

    def close_live(self) -> None:
        """Stop the spinner and the level meter, so nothing redraws under what follows (Ctrl-C)."""
        self._stop_status()
        if self._live:
            self._live.stop()
            self._live = None

    def summary(self, answers: list[SavedAnswer], verdict: Assessment | None = None) -> None:
        self.close_live()
        table = Table(title="今回のセッション", show_lines=False)
        for col in ("#", "質問", "長さ", "フィラー", "速さ", "結論", "指摘"):
            table.add_column(col)
        for a in answers:
            if a.unheard:
                table.add_row(str(a.idx), escape(a.question)[:24], "—", "—", "—", "—", "声が届かず")
                continue
            d, c = (a.analysis.delivery, a.analysis.content) if a.analysis else (None, None)
            table.add_row(str(a.idx), escape(a.question)[:24],
                          f"{d.speech_s:.0f} 秒" if d else "—", str(d.filler_count) if d else "—",
                          f"{d.mora_per_min:.0f}" if d else "—",
                          ("○" if c.conclusion_first else "×") if c else "—",
                          "、".join(label("issues", i) for i in c.issue_ids) or "なし" if c else "—")
        self.console.print(table)
        for main, depth in topic_depths(answers):
            if depth.asked:
                self.console.print(f"  {escape(main.question)[:24]} — {depth.label()}", markup=False)
        if verdict is not None and verdict.judged:
            self.console.print("[bold]面接官の見立て[/bold]")
            for axis in verdict.axes:
                self.console.print(f"  {axis.label}: {axis.verdict_label}", markup=False)
                # the first against (what to work on) and the first for (what to keep)
                for e in [next((e for e in axis.evidence if e.good is side), None) for side in (False, True)]:
                    if e is not None:
                        self.console.print(f"    {'○' if e.good else '×'} {e.says}", markup=False)
            for e in verdict.red_flags:
                self.console.print(f"  [red]レッドフラグ[/red]: {escape(e.says)}")
