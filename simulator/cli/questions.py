"""`mensetsu questions`: the question bank's ids, kinds and wording."""

from __future__ import annotations

from simulator.cli.common import EXIT_OK
from simulator.rules.bank import TRACKS


def add_parser(sub) -> None:
    qu = sub.add_parser("questions", help="質問の ID・種類・文面の一覧",
                        description="--ids と --question に使える質問 ID を、種類と文面とともに一覧します。")
    qu.add_argument("--track", choices=TRACKS, metavar="TRACK",
                    help="この応募区分で出る質問だけ（" + " / ".join(TRACKS) + "）")
    qu.add_argument("--followups", action="store_true", help="深掘り質問も含める")
    qu.set_defaults(run=run)


def run(args) -> int:
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
