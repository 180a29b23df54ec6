"""Command line: argument parsing, Japanese messages and exit codes — no logic."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPT = 0, 1, 2, 130


class UserError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""


def _model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("モデル")
    g.add_argument("--model", default="base",
                   help="Whisper モデル名かフォルダ（既定: 同梱の base。small, large-v3, "
                        "large-v3-turbo, kotoba-tech/kotoba-whisper-v2.0-faster など。未取得ならダウンロード）")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="auto は使える GPU があれば CUDA、なければ CPU（既定: auto）")
    g.add_argument("--compute-type", default="default",
                   help="CTranslate2 の計算型（既定: CPU は int8、CUDA は float16）")
    g.add_argument("--threads", type=int, default=0, help="CPU スレッド数（既定: 0 = 自動）")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mensetsu",
        description="二次面接の練習シミュレーター。回答の録音を手元の Whisper で文字起こしし、"
                    "話す速さ・フィラー・間・長さを測ります。音声はこのコンピューターから出ません。")
    parser.add_argument("--version", action="version", version=f"mensetsu {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    an = sub.add_parser("analyze", help="録音した回答（または回答の原稿）を分析する",
                        description="回答の音声ファイル（WAV, FLAC, MP3, M4A/AAC, OGG/Opus）を分析します。"
                                    "--text / --transcript なら原稿の内容だけを分析します（モデル不要）。")
    an.add_argument("files", nargs="*", metavar="FILE", help="回答の音声ファイル（複数可）")
    src = an.add_mutually_exclusive_group()
    src.add_argument("--text", help="音声の代わりに、回答の文章を分析する")
    src.add_argument("--transcript", metavar="FILE", help="音声の代わりに、回答の文章ファイル（UTF-8）を分析する")
    an.add_argument("--question", metavar="ID|TEXT",
                    help="答えた質問の ID か文面（認識の手がかりと長さの目安に使います）")
    an.add_argument("--json", action="store_true",
                    help="結果を JSON で標準出力へ（ファイルごとに 1 行）")
    _model_options(an)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("中断しました。", file=sys.stderr)
        return EXIT_INTERRUPT
    except UserError as e:
        print(f"エラー: {e}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # the last line of defence: one line, never a traceback
        from .audio import AudioError
        from .bank import PromptsError
        from .models import ModelError

        if isinstance(e, (AudioError, ModelError, PromptsError)):
            print(f"エラー: {e}", file=sys.stderr)
            return EXIT_USAGE
        if os.environ.get("MENSETSU_DEBUG"):
            raise
        print(f"内部エラー: {type(e).__name__}: {e}（MENSETSU_DEBUG=1 で詳細を表示）", file=sys.stderr)
        return EXIT_FAIL


def _load_analyzer(args):
    from .analyze import Analyzer
    from .asr import Transcriber
    from .models import load_model

    model, info = load_model(args.model, args.device, args.compute_type, args.threads)
    return Analyzer(Transcriber(model), info)


def _read_draft(args) -> str:
    if args.text is not None:
        return args.text
    try:
        return Path(args.transcript).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"ファイルが見つかりません: {args.transcript}") from None
    except IsADirectoryError:
        raise UserError(f"フォルダではなく文章ファイルを指定してください: {args.transcript}") from None
    except UnicodeDecodeError:
        raise UserError(f"UTF-8 の文章ファイルではありません: {args.transcript}") from None


def _emit(result, as_json: bool, console) -> None:
    from . import summary

    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        console.print(summary.render(result))


def cmd_analyze(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from . import summary
    from .analyze import analyze_text
    from .audio import AudioError, check_path, load_audio

    out = Console(highlight=False, soft_wrap=True)
    if args.text is not None or args.transcript:
        if args.files:
            raise UserError("音声ファイルと --text / --transcript は同時に指定できません")
        draft = _read_draft(args)
        if not draft.strip():
            raise UserError("分析する文章が空です")
        _emit(analyze_text(draft, args.question), args.json, out)
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
    analyzer = _load_analyzer(args)
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=len(files) == 1) as progress:
        task = progress.add_task("分析中", total=len(files))
        for f in files:
            progress.update(task, description=f"分析中 {f.name}")
            try:
                result = analyzer.analyze_samples(load_audio(f), args.question, file=str(f))
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


COMMANDS = {"analyze": cmd_analyze}
