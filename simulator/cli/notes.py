"""`mensetsu notes`: entry-sheet and round-one notes that practice answers are checked against."""

from __future__ import annotations

from pathlib import Path

from simulator.cli.common import EXIT_OK, data_option, read_text


def add_parser(sub) -> None:
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
        data_option(p)
    no.set_defaults(run=run)


def run(args) -> int:
    from simulator.judge.consistency import extract_facts, fact_words
    from simulator.rules.bank import load
    from simulator.store.notes import find_note, load_notes, new_note
    from simulator.store.storage import Store

    store = Store(args.data_dir)
    if args.action == "add":
        text = read_text(args.file) if args.file else args.text
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
