"""Command line: argument parsing, Japanese messages and exit codes — no logic."""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Callable

from simulator import __version__
from simulator.errors import MensetsuError
from simulator.rules.bank import TRACKS, check_all

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPT = 0, 1, 2, 130


# argparse's own words (usage, section titles, its error messages) in Japanese: it looks
# them up through gettext, so the lookup is pointed at this table.
_ARGPARSE_JA = {
    "usage: ": "使い方: ",
    "positional arguments": "引数",
    "options": "オプション",
    "show this help message and exit": "このヘルプを表示して終了する",
    "show program's version number and exit": "バージョンを表示して終了する",
    "%(prog)s: error: %(message)s\n": "エラー: %(message)s（%(prog)s -h で使い方を表示します）\n",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "%(value)r は使えません（選べるもの: %(choices)s）",
    "invalid %(type)s value: %(value)r": "%(value)r は正しい値ではありません",
    "the following arguments are required: %s": "次の引数が必要です: %s",
    "unrecognized arguments: %s": "知らない引数です: %s",
    "expected one argument": "値を一つ指定してください",
    "expected at most one argument": "値は一つまでです",
    "expected at least one argument": "値を一つ以上指定してください",
    "not allowed with argument %s": "%s と同時には指定できません",
    "one of the arguments %s is required": "%s のどれかが必要です",
    "ambiguous option: %(option)s could match %(matches)s": "%(option)s は次のどれか分かりません: %(matches)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "%(parser_name)r というコマンドはありません（選べるもの: %(choices)s）",
}


def _japanese_argparse() -> None:
    argparse._ = lambda text: _ARGPARSE_JA.get(text, text)  # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: _ARGPARSE_JA.get(one if n == 1 else many,  # type: ignore
                                                             one if n == 1 else many)


class UserError(MensetsuError):
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


def _interviewer_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("面接官")
    g.add_argument("--interviewer", default="rules", choices=["rules", "llm"],
                   help="深掘りの質問を作るもの。rules は同梱のルール、llm は自分で動かしている言語モデル"
                        "（ルールが聞く段を決め、言語モデルが言葉を選びます。間に合わない・使えない返答のときはルールの質問。"
                        "送るのは文字起こしだけで、音声は送りません。既定: rules）")
    g.add_argument("--llm-url", metavar="URL",
                   help="OpenAI 互換のチャット API のアドレス（既定: Ollama の http://127.0.0.1:11434/v1。"
                        "llama.cpp は :8080/v1、LM Studio は :1234/v1）。このパソコン以外は --llm-allow-remote が必要")
    g.add_argument("--llm-model", metavar="NAME", help="使うモデル名（既定: サーバーが最初に示すもの）")
    g.add_argument("--llm-allow-remote", action="store_true",
                   help="このパソコン以外の --llm-url を許す（回答の文字起こしがそのサーバーへ送られます）")


def _llm_client(args, say: Callable[[str], None]):
    """The language-model client `args` ask for, checked before the first question; None
    for the rules' interviewer, or (with a warning) when the server does not answer."""
    if args.interviewer != "llm":
        return None
    from simulator.interviewer.llm import Client, EndpointError, rules

    try:
        client = Client(args.llm_url or rules().url, args.llm_model, args.llm_allow_remote)
    except EndpointError as e:
        raise UserError(str(e)) from None
    host = urllib.parse.urlsplit(client.url).hostname
    if args.llm_allow_remote:
        say(f"注意: 回答の文字起こしが {host} の言語モデルへ送られます（音声は送りません）。")
    try:
        client.connect(rules().connect_timeout_s)
    except EndpointError as e:
        say(f"{e}。ルールの面接官で続けます。")
        return None
    say(f"深掘りの質問は言語モデル {client.model} が言葉を選びます（間に合わないときはルールの質問）。")
    return client


def build_parser() -> argparse.ArgumentParser:
    _japanese_argparse()
    parser = argparse.ArgumentParser(
        prog="mensetsu",
        description="二次面接の練習シミュレーター。回答の録音を手元の Whisper で文字起こしし、"
                    "話す速さ・フィラー・間・長さを測ります。音声はこのコンピューターから出ません。"
                    "コマンドを付けずに mensetsu とだけ打つと、ブラウザで練習のページが開きます（mensetsu web と同じ）。")
    parser.add_argument("--version", action="version", version=f"mensetsu {__version__}",
                        help="バージョンを表示して終了する")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="コマンド")

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
    _data_option(an)
    _model_options(an)

    pr = sub.add_parser("practice", help="音声で模擬面接をする（質問を読み上げ、回答を録音・分析し、深掘りする）",
                        description="二次面接の模擬面接。質問を読み上げ、マイクで回答を録音し、分析して深掘り質問を続けます。"
                                    "話している間に文字起こしを進めるので、Enter で回答を終えるとすぐに結果が出ます。"
                                    "終わるとセッションを保存し、その ID とフォルダを表示します。Ctrl-C でいつでも終了・保存します。")
    pr.add_argument("--track", default="shinsotsu", choices=TRACKS,
                    help="新卒 / 転職 / 管理職 / 専門職・技術職 / 未経験（既定: shinsotsu）")
    pr.add_argument("--questions", type=int, default=5, metavar="N",
                    help="主質問の数（自己紹介と逆質問を含む。既定: 5）")
    pr.add_argument("--ids", metavar="ID,…", help="質問 ID をこの順で使う（prompts/questions.toml）")
    _tts_option(pr, "面接官の声（既定: auto = この環境で日本語を話せる最良のもの）")
    pr.add_argument("--input-device", metavar="NAME|INDEX", help="マイク（`mensetsu check` で一覧）")
    pr.add_argument("--answers-from", metavar="DIR",
                    help="マイクの代わりに DIR の音声ファイルか .txt（UTF-8 の文章。話し方は測らず内容と深掘りだけ）で"
                         "名前順に回答する。尽きたら終了・保存")
    pr.add_argument("--resume", nargs="?", const="latest", metavar="SESSION",
                    help="中断したセッションを続ける（既定: 直近）。未分析の録音を分析し、残りの質問を続けます")
    pr.add_argument("--silence", type=float, default=None, metavar="SEC",
                    help="話し終えてからこの秒数の沈黙で回答を終える固定のきまりにする"
                         "（既定: 話し方と内容から話し終わりを判断。言いよどみや考え中の間では待ちます）")
    pr.add_argument("--max-seconds", type=float, default=180.0, metavar="SEC",
                    help="1 回答の上限秒数（既定: 180）")
    _followups_option(pr)
    pr.add_argument("--time-limit", type=float, default=30.0, metavar="MIN",
                    help="面接の持ち時間（分）。残りが少なくなると深掘りを省く（既定: 30）")
    pr.add_argument("--company", metavar="NAME|FILE",
                    help="会社のプロフィール（mensetsu company add で作成）の名前か TOML ファイル。"
                         "志望動機の質問を必ず含め、その会社の言葉で質問し、回答をその会社に照らして判定します")
    _data_option(pr)
    _model_options(pr)
    _interviewer_options(pr)

    we = sub.add_parser("web", help="ブラウザで練習・振り返りをする（このパソコンの中だけで動きます）",
                        description="このパソコンの中だけで動くページを開き、ブラウザで模擬面接・結果の確認・"
                                    "文字起こしの修正・同じ質問へのやり直しと比較ができます。声と録音は外へ送られません。"
                                    "開いたページのアドレス（合言葉つき）を表示します。Ctrl-C で終了します。")
    we.add_argument("--port", type=int, default=0, metavar="P", help="使うポート番号（既定: 空いている番号）")
    we.add_argument("--no-browser", action="store_true", help="ブラウザを自動で開かない（表示したアドレスを自分で開く）")
    _tts_option(we, "面接官の声（既定: auto）")
    _followups_option(we)
    _data_option(we)
    _model_options(we)
    _interviewer_options(we)

    rp = sub.add_parser("report", help="セッションのレポート（HTML）を作る",
                        description="保存したセッションから、日本語の HTML レポートを作り、そのパスを表示します。")
    rp.add_argument("session", nargs="?", default="latest", metavar="SESSION|latest",
                    help="セッション ID（先頭の一部でも可）か latest（既定）")
    rp.add_argument("--open", action="store_true", help="作ったレポートをブラウザで開く")
    rp.add_argument("--out", metavar="FILE", help="保存先（既定: セッションのフォルダの report.html。"
                                                  "別の場所では音声を埋め込みます）")
    _data_option(rp)

    hi = sub.add_parser("history", help="これまでのセッションの一覧と推移",
                        description="保存したセッションを新しい順に一覧します。ID は先頭の数文字だけで"
                                    " report・export・delete に使えます。")
    hi.add_argument("--json", action="store_true", help="JSON で出力する")
    _data_option(hi)

    ri = sub.add_parser("reindex", help="セッションのフォルダからデータベースを作り直す",
                        description="データベースが壊れたときや手で消したときに、各セッションのフォルダ"
                                    "（session.json と録音）から一覧と推移のデータベースを作り直します。")
    _data_option(ri)

    ex = sub.add_parser("export", help="セッションを JSON か CSV で書き出す",
                        description="セッションの分析結果を JSON か CSV（Excel で開けます）で標準出力に書き出します。")
    ex.add_argument("session", metavar="SESSION|latest", help="セッション ID（先頭の一部でも可）か latest")
    ex.add_argument("--format", choices=["json", "csv"], default="json", help="形式（既定: json）")
    ex.add_argument("--out", metavar="FILE", help="書き出すファイル（既定: 標準出力）")
    _data_option(ex)

    de = sub.add_parser("delete", help="セッションの録音と記録を削除する",
                        description="セッションのフォルダ（録音・レポート）とデータベースの記録を削除します。元に戻せません。")
    de.add_argument("session", metavar="SESSION", help="セッション ID（先頭の一部でも可）")
    _data_option(de)

    co = sub.add_parser("company", help="会社のプロフィール（企業研究）を作る・一覧する・確かめる・削除する",
                        description="志望する会社の事業・製品・理念・ニュース・募集要項・公開情報を TOML ファイルに書いておくと、"
                                    "practice / analyze --company がそれに照らして判定し、prep で準備シートを作ります。")
    co_sub = co.add_subparsers(dest="action", metavar="ACTION", title="操作", required=True)
    c_add = co_sub.add_parser("add", help="ひな形からプロフィールを作り、そのファイルの場所を表示する")
    c_add.add_argument("name", metavar="NAME", help="会社名（例: 株式会社ハコブ）")
    co_sub.add_parser("list", help="プロフィールの一覧")
    c_show = co_sub.add_parser("show", help="プロフィールを読み込んで中身を確かめる（書き間違いは行番号つきで表示）")
    c_show.add_argument("name", metavar="NAME|FILE")
    c_del = co_sub.add_parser("delete", help="プロフィールと、その会社のメモを削除する")
    c_del.add_argument("name", metavar="NAME")
    for p in co_sub.choices.values():
        _data_option(p)

    no = sub.add_parser("notes", help="エントリーシートや一次面接のメモを登録する（練習での発言と食い違いがないか確かめます）",
                        description="エントリーシート（ES）や一次面接で話したことを登録すると、練習で話した数字・期間・強み・"
                                    "役割・退職理由がそれと食い違っていないかをレポートで確かめます。")
    no_sub = no.add_subparsers(dest="action", metavar="ACTION", title="操作", required=True)
    n_add = no_sub.add_parser("add", help="メモを登録する（文章か、--file で UTF-8 のテキストファイル）")
    n_src = n_add.add_mutually_exclusive_group(required=True)
    n_src.add_argument("text", nargs="?", metavar="TEXT", help="メモの本文")
    n_src.add_argument("--file", metavar="FILE", help="本文のファイル（UTF-8）")
    n_add.add_argument("--kind", choices=["es", "round1", "other"], default="es",
                       help="es = エントリーシート、round1 = 一次面接、other = その他（既定: es）")
    n_add.add_argument("--company", metavar="NAME", help="どの会社に出したものか（任意）")
    no_sub.add_parser("list", help="登録したメモの一覧")
    n_del = no_sub.add_parser("delete", help="メモを削除する")
    n_del.add_argument("note", metavar="ID", help="メモの ID（先頭の一部でも可）")
    for p in no_sub.choices.values():
        _data_option(p)

    pp = sub.add_parser("prep", help="会社ごとの準備シート（HTML、A4 で印刷できます）を作る",
                        description="その会社向けに練習した質問ごとに、これまでで一番良い回答・残っている弱点・"
                                    "聞かれそうな深掘りを 1 枚にまとめます。")
    pp.add_argument("company", metavar="COMPANY", help="会社のプロフィールの名前か TOML ファイル")
    pp.add_argument("--out", metavar="FILE", help="書き出す HTML ファイル（既定: データフォルダの prep/ の中）")
    pp.add_argument("--open", action="store_true", help="作ったシートをブラウザで開く")
    _data_option(pp)

    qu = sub.add_parser("questions", help="質問の ID・種類・文面の一覧",
                        description="--ids と --question に使える質問 ID を、種類と文面とともに一覧します。")
    qu.add_argument("--track", choices=TRACKS, metavar="TRACK",
                    help="この応募区分で出る質問だけ（" + " / ".join(TRACKS) + "）")
    qu.add_argument("--followups", action="store_true", help="深掘り質問も含める")

    ck = sub.add_parser("check", help="マイク・スピーカー・音声合成を確認する",
                        description="デバイスを一覧し、テスト音声を再生し、3 秒録音して音量を確かめます。")
    ck.add_argument("--input-device", metavar="NAME|INDEX", help="確認するマイク")
    _tts_option(ck, "確認する面接官の声（既定: auto）")
    return parser


def _tts_option(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--tts", default="auto", choices=["auto", "pyttsx3", "openjtalk", "kokoro", "none"], help=help)


def _followups_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--followups", type=int, default=3, choices=[0, 1, 2, 3, 4],
                   help="主質問ごとの深掘りの最大数（0〜4、既定: 3。話が出そろえば早めに終わります）")


def _data_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="保存先フォルダ（既定: 環境変数 MENSETSU_DATA_DIR、なければユーザーのデータフォルダ）")


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
        return COMMANDS[args.command](args)
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


def _load_analyzer(args):
    from simulator.analysis.analyze import Analyzer
    from simulator.speech.asr import Transcriber
    from simulator.speech.models import load_model

    model, info = load_model(args.model, args.device, args.compute_type, args.threads)
    return Analyzer(Transcriber(model), info)


def _check_question_id(question: str | None) -> None:
    """An id-shaped --question must name a bank question; Japanese text is taken as the question asked."""
    from simulator.rules.bank import questions

    if question and re.fullmatch(r"[A-Za-z0-9_\-]+", question) and question not in questions():
        raise UserError(f"質問 ID が見つかりません: {question}（mensetsu questions で一覧できます。"
                        "質問の文面をそのまま渡すこともできます）")


def _company(args):
    """The profile named by --company (a name in the data folder, or a TOML file), or None."""
    if not args.company:
        return None
    from simulator.judge.company import find_profile
    from simulator.store.storage import data_dir

    return find_profile(data_dir(args.data_dir), args.company)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"ファイルが見つかりません: {path}") from None
    except IsADirectoryError:
        raise UserError(f"フォルダではなく文章ファイルを指定してください: {path}") from None
    except UnicodeDecodeError:
        raise UserError(f"UTF-8 の文章ファイルではありません: {path}") from None


def _read_draft(args) -> str:
    return args.text if args.text is not None else _read_text(args.transcript)


def _emit(result, as_json: bool, console) -> None:
    from simulator.present import summary

    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        console.print(summary.render(result))


def cmd_analyze(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from simulator.analysis.analyze import analyze_text
    from simulator.present import summary
    from simulator.speech.audio import AudioError, check_path, load_audio

    out = Console(highlight=False, soft_wrap=True)
    _check_question_id(args.question)
    company = _company(args)
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
    analyzer = _load_analyzer(args)
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


def _speaker(engine_name: str, console):
    """The default output device, or None (questions shown only) when there is none."""
    from simulator.speech.capture import CaptureError, portaudio
    from simulator.speech.tts import SoundDeviceSpeaker

    if engine_name == "none":
        return None
    try:
        portaudio().query_devices(kind="output")
    except CaptureError as e:
        console.print(f"[yellow]{e}[/yellow]")
        return None
    except Exception:
        console.print("[yellow]スピーカーが見つからないため、質問は画面に表示だけします。[/yellow]")
        return None
    return SoundDeviceSpeaker()


def cmd_practice(args) -> int:
    from simulator.interviewer.llm import Interviewer
    from simulator.practice.session import Practice, opening
    from simulator.practice.terminal import TerminalUI
    from simulator.speech.capture import FileSource, MicrophoneSource
    from simulator.speech.models import check_model
    from simulator.speech.tts import Voice, make_engine
    from simulator.store.storage import Store

    ui = TerminalUI()
    # Everything that can fail is checked before the first question is asked.
    if args.silence is not None and not 0.3 <= args.silence <= 30:
        raise UserError(f"--silence は 0.3〜30 秒で指定してください（指定: {args.silence}）")
    check_model(args.model, args.device)
    try:
        store = Store(args.data_dir)
        with tempfile.TemporaryFile(dir=store.sessions_dir):
            pass
    except OSError as e:
        raise UserError(f"保存先フォルダに書き込めません: {e.filename or args.data_dir}（{e.strerror}）。"
                        "--data-dir で別の場所を指定してください") from None
    from rich.markup import escape

    resume = None
    if args.resume:
        from simulator.present.report import find_session

        resume = store.reopen(find_session(store, args.resume))
        ui.say(f"セッション {resume.id} を再開します。")
    ids = [i.strip() for i in args.ids.split(",") if i.strip()] if args.ids else None
    start = opening(store, resume, args.track, args.questions, ids, _company(args))
    plan, company = start.plan, start.company
    if start.notice:
        ui.say(f"[yellow]{escape(start.notice)}[/yellow]")
    source = (FileSource(args.answers_from) if args.answers_from
              else MicrophoneSource(args.input_device, args.silence, args.max_seconds))
    engine = make_engine(args.tts)
    voice = Voice(engine, _speaker(engine.name, ui.console))
    plan_words = f"質問 {len(plan)} 問" + ("と、答えに応じた深掘り" if args.followups else "")
    for_whom = f"{company.name} 向け、" if company else ""
    ui.say(f"模擬面接を始めます（{for_whom}{plan_words}。声: {engine.name}）。Ctrl-C でいつでも終了・保存します。")
    client = _llm_client(args, lambda m: ui.say(escape(m)))
    practice = Practice(store, voice, source, lambda: _load_analyzer(args), ui,
                        max_followups=args.followups, time_limit_s=args.time_limit * 60, company=company,
                        interviewer=Interviewer(client) if client else None)
    meta = {"track": args.track, "tts": engine.name, "input": args.answers_from or args.input_device or "default",
            "model": {"name": args.model, "device": args.device, "compute_type": args.compute_type},
            **({"company": company.name, "company_file": company.path} if company else {})}
    result = practice.run(plan, meta, resume)
    from simulator.present.report import conclusion

    ui.summary(result.answers, conclusion(store, result.session.meta))
    if client is not None:
        ui.say(_llm_tally(result.session.meta.get("interviewer", {})))
    if result.interrupted:
        ui.say("中断しました。ここまでの回答は保存しました。")
    elif result.ended_early:
        ui.say("回答ファイルがなくなったため、ここで終了しました。")
    ui.say(f"セッション ID: {result.session.id}")
    ui.say(f"保存先: {result.session.path}")
    ui.say(f"レポートを開く: mensetsu report {result.session.id} --open")
    if result.interrupted:
        ui.say(f"続きから練習する: mensetsu practice --resume {result.session.id}")
    return EXIT_OK


def _llm_tally(t: dict) -> str:
    fell = [f"{label} {t[k]}" for k, label in (("late", "間に合わず"), ("invalid", "使えない返答"), ("error", "接続エラー"))
            if t.get(k)]
    return (f"言語モデルの言葉で聞いた深掘り: {t.get('llm', 0)} 問"
            + (f"（ルールの質問にした: {'、'.join(fell)}）" if fell else ""))


def cmd_web(args) -> int:
    from simulator.speech.models import check_model
    from simulator.speech.tts import make_engine
    from simulator.store.storage import Store
    from simulator.web.app import serve

    if not 0 <= args.port <= 65535:
        raise UserError(f"--port は 0〜65535 で指定してください（指定: {args.port}）")
    check_model(args.model, args.device)
    store = Store(args.data_dir)
    engine = make_engine(args.tts)

    def ready(url: str) -> None:
        print("mensetsu web を起動しました。次のアドレスをブラウザで開いてください（Ctrl-C で終了）:", flush=True)
        print(url, flush=True)

    client = _llm_client(args, lambda m: print(m, flush=True))
    try:
        serve(store, args.port, lambda: _load_analyzer(args), engine, not args.no_browser, ready, args.followups,
              client)
    except KeyboardInterrupt:
        pass
    print("終了しました。", flush=True)
    return EXIT_OK


def cmd_questions(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from simulator.rules.bank import load, questions

    types = load("labels")["question_types"]
    table = Table(box=None, pad_edge=False, show_edge=False)
    for col, kwargs in (("ID", {"no_wrap": True}), ("種類", {"no_wrap": True}), ("質問", {"overflow": "fold"})):
        table.add_column(col, **kwargs)
    for q in questions().values():
        if (q.type == "followup" and not args.followups) or (args.track and args.track not in q.tracks
                                                              and q.type != "followup"):
            continue
        table.add_row(q.id, types.get(q.type, q.type), q.text)
    Console(highlight=False).print(table)
    return EXIT_OK


def cmd_check(args) -> int:
    from simulator.practice.terminal import TerminalUI
    from simulator.present.summary import label
    from simulator.speech import audio
    from simulator.speech.capture import list_devices, record_seconds
    from simulator.speech.tts import finish, make_engine

    ui = TerminalUI()
    devices = list_devices()
    ui.say("[bold]オーディオデバイス[/bold]" + ("" if devices else "（見つかりません）"))
    for d in devices:
        kinds = "/".join(k for k, n in (("入力", d["max_input_channels"]), ("出力", d["max_output_channels"])) if n)
        ui.say(f"  {d['index']}: {d['name']}（{kinds}、{d['default_samplerate']:.0f} Hz）")
    if not any(d["max_input_channels"] for d in devices):
        raise UserError("マイク（入力デバイス）が見つかりません。接続を確認するか、"
                        "practice --answers-from DIR で録音済みの音声を使ってください")
    engine = make_engine(args.tts)
    samples, rate = engine.synthesize("面接練習を始めます。聞こえますか。")
    speaks = engine.name != "none" and samples.size > rate * 0.5
    ui.say(f"音声合成: {engine.name} — {'日本語を話せます' if speaks else '日本語の音声がありません（質問は表示のみ）'}")
    speaker = _speaker(engine.name, ui.console)
    if speaks and speaker:
        finish(speaker.start(samples, rate))
    ui.say("3 秒間、何か話してください…")
    recorded = record_seconds(args.input_device, 3.0)
    lvl = audio.level(recorded, audio.speech_regions(recorded))
    verdict = ("silent" if lvl.silent else "clipping" if lvl.clipping else "too_quiet" if lvl.too_quiet else None)
    if lvl.silent:  # no sound at all: a level in dBFS would only say "-200"
        ui.say("録音: 音が届いていません — " + label("level", "silent"))
    else:
        ui.say(f"録音: ピーク {lvl.peak_dbfs:.1f} dBFS、声の大きさ {lvl.speech_rms_dbfs:.1f} dBFS — "
               + (label("level", verdict) if verdict else "問題ありません"))
    return EXIT_OK if verdict is None else EXIT_FAIL


def cmd_report(args) -> int:
    from simulator.present.report import find_session, render
    from simulator.store.storage import Store

    store = Store(args.data_dir)
    path = render(store, find_session(store, args.session), Path(args.out).resolve() if args.out else None)
    print(path)
    if args.open:
        import webbrowser

        webbrowser.open(path.as_uri())
    return EXIT_OK


def cmd_history(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from simulator.store.storage import Store

    rows = Store(args.data_dir).history()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print("まだセッションがありません。mensetsu practice で練習を始めましょう。")
        return EXIT_OK
    from simulator.rules.bank import load
    from simulator.store.storage import short_ids

    tracks = load("labels")["tracks"]
    short = short_ids([r["id"] for r in rows])
    table = Table(title="これまでの練習", pad_edge=False,
                  caption="速さはモーラ/分、フィラーは 1 分あたりの回数。ID は report・export・delete にそのまま使えます")
    for col in ("ID", "日時", "区分", "回答", "長さ", "速さ", "フィラー", "内容"):
        table.add_column(col, no_wrap=True, justify="left" if col in ("ID", "日時", "区分") else "right")
    fmt = (lambda v, spec: "—" if v is None else format(v, spec))
    for r in rows:
        table.add_row(short[r["id"]], r["started_at"][2:16].replace("T", " ").replace("-", "/"),
                      tracks.get(r["track"], r["track"] or "—"), str(r["answers"]),
                      fmt(r["speech_s"], ".0f") + ("秒" if r["speech_s"] is not None else ""),
                      fmt(r["mora_per_min"], ".0f"), fmt(r["fillers_per_min"], ".1f"), fmt(r["content_score"], ".0f"))
    Console(highlight=False).print(table)
    return EXIT_OK


def cmd_reindex(args) -> int:
    from simulator.store.storage import Store

    store = Store(args.data_dir)
    print(f"{store.reindex()} 件のセッションからデータベースを作り直しました: {store.db_path}")
    return EXIT_OK


def cmd_export(args) -> int:
    from simulator.paths import open_private
    from simulator.present.report import export, find_session
    from simulator.store.storage import Store

    text = export(find_session(Store(args.data_dir), args.session), args.format)
    if not args.out:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        with open_private(Path(args.out), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    except IsADirectoryError:
        raise UserError(f"{args.out} はフォルダです。書き出すファイルの名前を指定してください") from None
    except OSError as e:
        raise UserError(f"{args.out} に書き込めません（{e.strerror}）") from None
    print(f"書き出しました: {args.out}")
    return EXIT_OK


def cmd_delete(args) -> int:
    from simulator.present.report import find_session
    from simulator.store.storage import Store

    if args.session == "latest":
        raise UserError("削除するセッションは ID で指定してください（mensetsu history で確認できます）")
    store = Store(args.data_dir)
    folder = find_session(store, args.session)
    store.delete(folder)
    print(f"セッション {folder.name} の録音と記録を削除しました。")
    return EXIT_OK


def cmd_company(args) -> int:
    from simulator.judge.company import find_profile, load_profile, profiles_dir
    from simulator.rules.bank import load
    from simulator.store.storage import Store

    store = Store(args.data_dir)
    if args.action == "add":
        if not args.name.strip():
            raise UserError("会社名を指定してください")
        path = store.create_profile(args.name)
        print(f"プロフィールを作りました。テキストエディタで開いて書き込んでください: {path}")
        print(f"書けたら確かめる: mensetsu company show {args.name}")
        return EXIT_OK
    if args.action == "list":
        paths = sorted(profiles_dir(store.root).glob("*.toml"))
        if not paths:
            print("まだプロフィールがありません。mensetsu company add 会社名 で作れます。")
        for path in paths:
            try:
                print(f"{load_profile(path).name}\t{path}")
            except MensetsuError as e:
                print(f"（読めません）\t{e}")
        return EXIT_OK
    profile = find_profile(store.root, args.name)
    if args.action == "show":
        labels = load("company")["labels"]
        print(f"{profile.name}（{profile.path}）")
        for key, label in labels.items():
            value = getattr(profile, key)
            shown = " ／ ".join(value) if isinstance(value, tuple) else value.replace("\n", " ")
            print(f"  {label}: {shown or '（未記入）'}")
        return EXIT_OK
    notes = store.delete_profile(profile)
    print(f"{profile.name} のプロフィール{f'とメモ {notes} 件' if notes else ''}を削除しました。")
    return EXIT_OK


def cmd_notes(args) -> int:
    from simulator.judge.consistency import extract_facts, fact_words
    from simulator.rules.bank import load
    from simulator.store.notes import find_note, load_notes, new_note
    from simulator.store.storage import Store

    store = Store(args.data_dir)
    if args.action == "add":
        text = _read_text(args.file) if args.file else args.text
        note = new_note(text, args.kind, args.company, Path(args.file).name if args.file else "")
        store.add_note(note)
        facts = extract_facts(note.text, load("consistency"))
        print(f"{note.label} を登録しました（ID {note.id}）。練習で話したことと照らし合わせます。")
        for f in facts:
            print(f"  {fact_words(f)}")
        if not facts:
            print("  （照らし合わせられる数字や強み・役割・退職理由は見つかりませんでした）")
        return EXIT_OK
    if args.action == "list":
        notes = load_notes(store.root)
        if not notes:
            print("まだメモがありません。mensetsu notes add で登録できます。")
        for n in notes:
            print(f"{n.id}\t{n.label}\t{n.text[:30].replace(chr(10), ' ')}…")
        return EXIT_OK
    path = find_note(store.root, args.note)
    store.delete_note(path.stem)
    print(f"メモ {path.stem} を削除しました。")
    return EXIT_OK


def cmd_prep(args) -> int:
    from simulator.judge.company import find_profile
    from simulator.present.prep import render_prep
    from simulator.store.storage import Store

    store = Store(args.data_dir)
    profile = find_profile(store.root, args.company)
    path = render_prep(store, profile, Path(args.out).resolve() if args.out else None)
    print(path)
    if args.open:
        import webbrowser

        webbrowser.open(path.as_uri())
    return EXIT_OK


COMMANDS = {"delete": cmd_delete, "analyze": cmd_analyze, "practice": cmd_practice, "check": cmd_check, "report": cmd_report,
            "history": cmd_history, "reindex": cmd_reindex, "export": cmd_export, "questions": cmd_questions,
            "web": cmd_web, "company": cmd_company, "notes": cmd_notes, "prep": cmd_prep}
