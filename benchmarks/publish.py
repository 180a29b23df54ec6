"""Run a benchmark and put what it printed into docs/benchmarks.md.

    python benchmarks/publish.py [--as NAME] bench_interviewer.py [ARGS ...]

The docs show measurements only in the sections this script writes, each with the
command, the date and the machine it ran on, so that no sentence carries a figure that
nobody can reproduce. The summary (what follows the last blank line of the output) is
shown; the whole output is folded below it. The benchmark's output is shown as it runs; its section (between
`<!-- begin NAME -->` and `<!-- end NAME -->`, added at the end when new) is replaced
only when the benchmark succeeds. `--as NAME` names the section otherwise than the script
(one script run on two sets: the fitted answers and those kept out).
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores, {cpu}, {platform.system()}, Python {platform.python_version()}"


def section(name: str, command: str, output: str) -> str:
    """The summary (what follows the output's last blank line) in view, the whole output folded."""
    output = output.rstrip()
    summary = output.rsplit("\n\n", 1)[-1]
    return (f"<!-- begin {name} -->\n### {name}\n\n`{command}` on {date.today().isoformat()}, {machine()}:\n\n"
            f"```\n{summary}\n```\n\n<details><summary>everything it printed</summary>\n\n"
            f"```\n{output}\n```\n</details>\n<!-- end {name} -->")


def replace_section(doc: str, name: str, new: str) -> str:
    pattern = re.compile(rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->", re.S)
    if pattern.search(doc):
        return pattern.sub(lambda _: new, doc)
    return doc.rstrip() + "\n\n" + new + "\n"


def main() -> int:
    argv = sys.argv[1:]
    name = None
    if argv[:1] == ["--as"] and len(argv) >= 2:
        name, argv = argv[1], argv[2:]
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    script = HERE / Path(argv[0]).name
    args = argv[1:]
    name = name or script.stem
    proc = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE, text=True,
                            cwd=HERE.parent)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    if proc.wait() != 0:
        print(f"{script.name} failed ({proc.returncode}); {DOC} left as it was", file=sys.stderr)
        return proc.returncode
    command = " ".join(["python", f"benchmarks/{script.name}", *args])
    DOC.write_text(replace_section(DOC.read_text(encoding="utf-8"), name,
                                   section(name, command, "".join(lines))), encoding="utf-8")
    print(f"written to {DOC.relative_to(HERE.parent)} § {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
