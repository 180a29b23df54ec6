"""`mensetsu practice`: the spoken mock interview in the terminal."""

from __future__ import annotations

import tempfile

from simulator.cli.common import (
    EXIT_OK,
    UserError,
    company_profile,
    data_option,
    find_speaker,
    followups_option,
    interviewer_options,
    llm_client,
    load_analyzer,
    model_options,
    tts_option,
)
from simulator.rules.bank import TRACKS


def add_parser(sub) -> None:
    pr = sub.add_parser("practice", help="音声で模擬面接をする（質問を読み上げ、回答を録音・分析し、深掘りする）",
                        description="二次面接の模擬面接。質問を読み上げ、マイクで回答を録音し、分析して深掘り質問を続けます。"
                                    "話している間に文字起こしを進めるので、Enter で回答を終えるとすぐに結果が出ます。"
                                    "終わるとセッションを保存し、その ID とフォルダを表示します。Ctrl-C でいつでも終了・保存します。")
    pr.add_argument("--track", default="shinsotsu", choices=TRACKS,
                    help="新卒 / 転職 / 管理職 / 専門職・技術職 / 未経験（既定: shinsotsu）")
    pr.add_argument("--questions", type=int, default=5, metavar="N",
                    help="主質問の数（自己紹介と逆質問を含む。既定: 5）")
    pr.add_argument("--ids", metavar="ID,…", help="質問 ID をこの順で使う（prompts/questions.toml）")
    tts_option(pr, "面接官の声（既定: auto = この環境で日本語を話せる最良のもの）")
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
    followups_option(pr)
    pr.add_argument("--time-limit", type=float, default=30.0, metavar="MIN",
                    help="面接の持ち時間（分）。残りが少なくなると深掘りを省く（既定: 30）")
    pr.add_argument("--company", metavar="NAME|FILE",
                    help="会社のプロフィール（mensetsu company add で作成）の名前か TOML ファイル。"
                         "志望動機の質問を必ず含め、その会社の言葉で質問し、回答をその会社に照らして判定します")
    data_option(pr)
    model_options(pr)
    interviewer_options(pr)
    pr.set_defaults(run=run)


def run(args) -> int:
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
    start = opening(store, resume, args.track, args.questions, ids, company_profile(args))
    plan, company = start.plan, start.company
    if start.notice:
        ui.say(f"[yellow]{escape(start.notice)}[/yellow]")
    source = (FileSource(args.answers_from) if args.answers_from
              else MicrophoneSource(args.input_device, args.silence, args.max_seconds))
    engine = make_engine(args.tts)
    voice = Voice(engine, find_speaker(engine.name, ui.console))
    plan_words = f"質問 {len(plan)} 問" + ("と、答えに応じた深掘り" if args.followups else "")
    for_whom = f"{company.name} 向け、" if company else ""
    ui.say(f"模擬面接を始めます（{for_whom}{plan_words}。声: {engine.name}）。Ctrl-C でいつでも終了・保存します。")
    client = llm_client(args, lambda m: ui.say(escape(m)))
    practice = Practice(store, voice, source, lambda: load_analyzer(args), ui,
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
