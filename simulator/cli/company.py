"""Company profiles (`mensetsu company`) and the preparation sheet made from one (`mensetsu prep`)."""

from __future__ import annotations

from pathlib import Path

from simulator.cli.common import EXIT_OK, UserError, data_option
from simulator.errors import MensetsuError


def add_company(sub) -> None:
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
        data_option(p)
    co.set_defaults(run=company)


def add_prep(sub) -> None:
    pp = sub.add_parser("prep", help="会社ごとの準備シート（HTML、A4 で印刷できます）を作る",
                        description="その会社向けに練習した質問ごとに、これまでで一番良い回答・残っている弱点・"
                                    "聞かれそうな深掘りを 1 枚にまとめます。")
    pp.add_argument("company", metavar="COMPANY", help="会社のプロフィールの名前か TOML ファイル")
    pp.add_argument("--out", metavar="FILE", help="書き出す HTML ファイル（既定: データフォルダの prep/ の中）")
    pp.add_argument("--open", action="store_true", help="作ったシートをブラウザで開く")
    data_option(pp)
    pp.set_defaults(run=prep)


def company(args) -> int:
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


def prep(args) -> int:
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
