"""`mensetsu web` (and `mensetsu` alone): the practice page, served on this computer only."""

from __future__ import annotations

from simulator.cli.common import (
    EXIT_OK,
    UserError,
    data_option,
    followups_option,
    interviewer_options,
    llm_client,
    load_analyzer,
    model_options,
    tts_option,
)


def add_parser(sub) -> None:
    we = sub.add_parser("web", help="ブラウザで練習・振り返りをする（このパソコンの中だけで動きます）",
                        description="このパソコンの中だけで動くページを開き、ブラウザで模擬面接・結果の確認・"
                                    "文字起こしの修正・同じ質問へのやり直しと比較ができます。声と録音は外へ送られません。"
                                    "開いたページのアドレス（合言葉つき）を表示します。Ctrl-C で終了します。")
    we.add_argument("--port", type=int, default=0, metavar="P", help="使うポート番号（既定: 空いている番号）")
    we.add_argument("--no-browser", action="store_true", help="ブラウザを自動で開かない（表示したアドレスを自分で開く）")
    tts_option(we, "面接官の声（既定: auto）")
    followups_option(we)
    data_option(we)
    model_options(we)
    interviewer_options(we)
    we.set_defaults(run=run)


def run(args) -> int:
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

    client = llm_client(args, lambda m: print(m, flush=True))
    try:
        serve(store, args.port, lambda: load_analyzer(args), engine, not args.no_browser, ready, args.followups,
              client)
    except KeyboardInterrupt:
        pass
    print("終了しました。", flush=True)
    return EXIT_OK
