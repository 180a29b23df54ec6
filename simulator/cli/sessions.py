"""The saved sessions: report, history, reindex, export, delete."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simulator.cli.common import EXIT_OK, UserError, data_option


def add_report(sub) -> None:
    rp = sub.add_parser("report", help="セッションのレポート（HTML）を作る",
                        description="保存したセッションから、日本語の HTML レポートを作り、そのパスを表示します。")
    rp.add_argument("session", nargs="?", default="latest", metavar="SESSION|latest",
                    help="セッション ID（先頭の一部でも可）か latest（既定）")
    rp.add_argument("--open", action="store_true", help="作ったレポートをブラウザで開く")
    rp.add_argument("--out", metavar="FILE", help="保存先（既定: セッションのフォルダの report.html。"
                                                  "別の場所では音声を埋め込みます）")
    data_option(rp)
    rp.set_defaults(run=report)


def add_history(sub) -> None:
    hi = sub.add_parser("history", help="これまでのセッションの一覧と推移",
                        description="保存したセッションを新しい順に一覧します。ID は先頭の数文字だけで"
                                    " report・export・delete に使えます。")
    hi.add_argument("--json", action="store_true", help="JSON で出力する")
    data_option(hi)
    hi.set_defaults(run=history)


def add_reindex(sub) -> None:
    ri = sub.add_parser("reindex", help="セッションのフォルダからデータベースを作り直す",
                        description="データベースが壊れたときや手で消したときに、各セッションのフォルダ"
                                    "（session.json と録音）から一覧と推移のデータベースを作り直します。")
    data_option(ri)
    ri.set_defaults(run=reindex)


def add_export(sub) -> None:
    ex = sub.add_parser("export", help="セッションを JSON か CSV で書き出す",
                        description="セッションの分析結果を JSON か CSV（Excel で開けます）で標準出力に書き出します。")
    ex.add_argument("session", metavar="SESSION|latest", help="セッション ID（先頭の一部でも可）か latest")
    ex.add_argument("--format", choices=["json", "csv"], default="json", help="形式（既定: json）")
    ex.add_argument("--out", metavar="FILE", help="書き出すファイル（既定: 標準出力）")
    data_option(ex)
    ex.set_defaults(run=export)


def add_delete(sub) -> None:
    de = sub.add_parser("delete", help="セッションの録音と記録を削除する",
                        description="セッションのフォルダ（録音・レポート）とデータベースの記録を削除します。元に戻せません。")
    de.add_argument("session", metavar="SESSION", help="セッション ID（先頭の一部でも可）")
    data_option(de)
    de.set_defaults(run=delete)


def report(args) -> int:
    from simulator.present.report import find_session, render
    from simulator.store.storage import Store

    store = Store(args.data_dir)
    path = render(store, find_session(store, args.session), Path(args.out).resolve() if args.out else None)
    print(path)
    if args.open:
        import webbrowser

        webbrowser.open(path.as_uri())
    return EXIT_OK


def history(args) -> int:
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


def reindex(args) -> int:
    from simulator.store.storage import Store

    store = Store(args.data_dir)
    print(f"{store.reindex()} 件のセッションからデータベースを作り直しました: {store.db_path}")
    return EXIT_OK


def export(args) -> int:
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


def delete(args) -> int:
    from simulator.present.report import find_session
    from simulator.store.storage import Store

    if args.session == "latest":
        raise UserError("削除するセッションは ID で指定してください（mensetsu history で確認できます）")
    store = Store(args.data_dir)
    folder = find_session(store, args.session)
    store.delete(folder)
    print(f"セッション {folder.name} の録音と記録を削除しました。")
    return EXIT_OK
