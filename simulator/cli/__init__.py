"""Command line: argument parsing, Japanese messages and exit codes — no logic.

Each command is a module here that adds its parser (which names the function that runs
it) over the library; this file is the table of them and the one place errors become a
Japanese line and an exit code.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

from simulator import __version__
from simulator.cli import analyze, check, company, notes, practice, questions, sessions, web
from simulator.cli.common import EXIT_FAIL, EXIT_INTERRUPT, EXIT_USAGE, japanese_argparse
from simulator.errors import MensetsuError
from simulator.rules.bank import check_all

# Every command's parser, in the order `mensetsu -h` lists them.
PARSERS = (analyze.add_parser, practice.add_parser, web.add_parser, sessions.add_report, sessions.add_history,
           sessions.add_reindex, sessions.add_export, sessions.add_delete, company.add_company, notes.add_parser,
           company.add_prep, questions.add_parser, check.add_parser)


def build_parser() -> argparse.ArgumentParser:
    japanese_argparse()
    parser = argparse.ArgumentParser(
        prog="mensetsu",
        description="二次面接の練習シミュレーター。回答の録音を手元の Whisper で文字起こしし、"
                    "話す速さ・フィラー・間・長さを測ります。音声はこのコンピューターから出ません。"
                    "コマンドを付けずに mensetsu とだけ打つと、ブラウザで練習のページが開きます（mensetsu web と同じ）。")
    parser.add_argument("--version", action="version", version=f"mensetsu {__version__}",
                        help="バージョンを表示して終了する")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="コマンド")
    for add in PARSERS:
        add(sub)
    return parser


def _show_notices() -> None:
    """The library's notices (GPU fallback, download, no Japanese voice) as plain lines on stderr."""
    import logging

    logger = logging.getLogger("simulator")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    _show_notices()
    parser = build_parser()
    # `mensetsu` alone opens the practice page in the browser, where most users practise;
    # the terminal's loop is `mensetsu practice`
    args = parser.parse_args(["web"] if argv == [] or (argv is None and len(sys.argv) == 1) else argv)
    try:
        check_all()  # a mistake in prompts/ stops here, with its file and line, not mid-interview
        return args.run(args)
    except KeyboardInterrupt:
        print("中断しました。", file=sys.stderr)
        return EXIT_INTERRUPT
    except MensetsuError as e:   # every library error meant for the user
        print(f"エラー: {e}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # the last line of defence: one line, never a traceback
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            print("エラー: ディスクの空きがありません。録音済みの音声はセッションのフォルダに残っています。"
                  "空きを作ってから mensetsu practice --resume で続けられます", file=sys.stderr)
            return EXIT_FAIL
        if isinstance(e, OSError):
            print(f"エラー: ファイルを読み書きできません（{e.strerror or e}: {e.filename or ''}）", file=sys.stderr)
            return EXIT_FAIL
        if os.environ.get("MENSETSU_DEBUG"):
            raise
        print(f"内部エラー: {type(e).__name__}: {e}（MENSETSU_DEBUG=1 で詳細を表示）", file=sys.stderr)
        return EXIT_FAIL
