"""`mensetsu analyze`: a recorded answer (or its text) analysed and shown or written as JSON."""

from __future__ import annotations

import json
import re
import sys

from simulator.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    UserError,
    company_profile,
    data_option,
    load_analyzer,
    model_options,
    read_text,
)
from simulator.rules.bank import TRACKS


def add_parser(sub) -> None:
    an = sub.add_parser("analyze", help="録音した回答（または回答の原稿）を分析する",
                        description="回答の音声ファイル（WAV, FLAC, MP3, M4A/AAC, OGG/Opus）を分析します。"
                                    "--text / --transcript なら原稿の内容だけを分析します（モデル不要）。")
    an.add_argument("files", nargs="*", metavar="FILE", help="回答の音声ファイル（複数可）")
    src = an.add_mutually_exclusive_group()
    src.add_argument("--text", help="音声の代わりに、回答の文章を分析する")
    src.add_argument("--transcript", metavar="FILE", help="音声の代わりに、回答の文章ファイル（UTF-8）を分析する")
    an.add_argument("--question", metavar="ID|TEXT",
                    help="答えた質問の ID（mensetsu questions で一覧）か文面（認識の手がかりと長さの目安に使います）")
    an.add_argument("--track", choices=TRACKS, metavar="TRACK",
                    help="応募区分（" + " / ".join(TRACKS) + "）。助言と判定をその区分に合わせます（既定: 区分を問わない）")
    an.add_argument("--company", metavar="NAME|FILE",
                    help="会社のプロフィール（mensetsu company add で作成）の名前か TOML ファイル。"
                         "志望動機・逆質問・募集要項のスキルをその会社に照らして判定します")
    an.add_argument("--json", action="store_true",
                    help="結果を JSON で標準出力へ（ファイルごとに 1 行）")
    data_option(an)
    model_options(an)
    an.set_defaults(run=run)


def run(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from simulator.analysis.analyze import analyze_text
    from simulator.present import summary
    from simulator.speech.audio import AudioError, check_path, load_audio

    out = Console(highlight=False, soft_wrap=True)
    _check_question_id(args.question)
    company = company_profile(args)
    if args.text is not None or args.transcript:
        if args.files:
            raise UserError("音声ファイルと --text / --transcript は同時に指定できません")
        draft = _read_draft(args)
        if not draft.strip():
            raise UserError("分析する文章が空です")
        _emit(analyze_text(draft, args.question, args.track, company), args.json, out)
        return EXIT_OK
    if not args.files:
        raise UserError("音声ファイルを指定するか、--text / --transcript で文章を指定してください")

    # Check every input before the model loads: a typo should not cost a model load.
    files, failed = [], 0
    for f in args.files:
        try:
            files.append(check_path(f))
        except AudioError as e:
            print(f"エラー: {e}", file=sys.stderr)
            failed += 1
    if not files:
        return EXIT_USAGE
    analyzer = load_analyzer(args)
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=len(files) == 1) as progress:
        task = progress.add_task("分析中", total=len(files))
        for f in files:
            progress.update(task, description=f"分析中 {f.name}")
            try:
                result = analyzer.analyze_samples(load_audio(f), args.question, file=str(f), track=args.track,
                                                  company=company)
            except AudioError as e:
                print(f"エラー: {e}", file=sys.stderr)
                failed += 1
                continue
            finally:
                progress.advance(task)
            if result.delivery.level.silent:
                print(f"エラー: {summary.label('level', 'silent')}: {f}", file=sys.stderr)
                failed += 1
                continue
            _emit(result, args.json, out)
    return EXIT_FAIL if failed else EXIT_OK


def _check_question_id(question: str | None) -> None:
    """An id-shaped --question must name a bank question; Japanese text is taken as the question asked."""
    from simulator.rules.bank import questions

    if question and re.fullmatch(r"[A-Za-z0-9_\-]+", question) and question not in questions():
        raise UserError(f"質問 ID が見つかりません: {question}（mensetsu questions で一覧できます。"
                        "質問の文面をそのまま渡すこともできます）")


def _read_draft(args) -> str:
    return args.text if args.text is not None else read_text(args.transcript)


def _emit(result, as_json: bool, console) -> None:
    from simulator.present import summary

    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        console.print(summary.render(result))
