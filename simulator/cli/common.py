"""What the commands share: Japanese argparse, the options several take, loading the
model, the language-model client and the speaker, and the one-line user error."""

from __future__ import annotations

import argparse
import urllib.parse
from pathlib import Path
from typing import Callable

from simulator.errors import MensetsuError

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


def japanese_argparse() -> None:
    argparse._ = lambda text: _ARGPARSE_JA.get(text, text)  # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: _ARGPARSE_JA.get(one if n == 1 else many,  # type: ignore
                                                             one if n == 1 else many)


class UserError(MensetsuError):
    """A problem the user can fix; printed as one line, never as a traceback."""


def model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("モデル")
    g.add_argument("--model", default="base",
                   help="Whisper モデル名かフォルダ（既定: 同梱の base。small, large-v3, "
                        "large-v3-turbo, kotoba-tech/kotoba-whisper-v2.0-faster など。未取得ならダウンロード）")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="auto は使える GPU があれば CUDA、なければ CPU（既定: auto）")
    g.add_argument("--compute-type", default="default",
                   help="CTranslate2 の計算型（既定: CPU は int8、CUDA は float16）")
    g.add_argument("--threads", type=int, default=0, help="CPU スレッド数（既定: 0 = 自動）")


def interviewer_options(p: argparse.ArgumentParser) -> None:
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


def tts_option(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--tts", default="auto", choices=["auto", "pyttsx3", "openjtalk", "kokoro", "none"], help=help)


def followups_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--followups", type=int, default=3, choices=[0, 1, 2, 3, 4],
                   help="主質問ごとの深掘りの最大数（0〜4、既定: 3。話が出そろえば早めに終わります）")


def data_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="保存先フォルダ（既定: 環境変数 MENSETSU_DATA_DIR、なければユーザーのデータフォルダ）")


def load_analyzer(args):
    from simulator.analysis.analyze import Analyzer
    from simulator.speech.asr import Transcriber
    from simulator.speech.models import load_model

    model, info = load_model(args.model, args.device, args.compute_type, args.threads)
    return Analyzer(Transcriber(model), info)


def llm_client(args, say: Callable[[str], None]):
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


def find_speaker(engine_name: str, console):
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


def company_profile(args):
    """The profile named by --company (a name in the data folder, or a TOML file), or None."""
    if not args.company:
        return None
    from simulator.judge.company import find_profile
    from simulator.store.storage import data_dir

    return find_profile(data_dir(args.data_dir), args.company)


def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"ファイルが見つかりません: {path}") from None
    except IsADirectoryError:
        raise UserError(f"フォルダではなく文章ファイルを指定してください: {path}") from None
    except UnicodeDecodeError:
        raise UserError(f"UTF-8 の文章ファイルではありません: {path}") from None
