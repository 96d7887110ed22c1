#!/usr/bin/env python3
"""Summarise a kosoku (Autobahn TestSuite) report directory.

    summary.py REPORT_DIR [--markdown FILE]

Reads REPORT_DIR/index.json, prints counts per section and every case that
is not OK, and exits 1 if any case FAILED (or errored, or closed wrongly).
With --markdown, also writes the per-case result table as Markdown.
Standard library only: it runs on the system Python, outside the venv.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

PASSING = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED")
PASSING_CLOSE = ("OK", "INFORMATIONAL")
COLUMNS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")

SECTIONS = {
    "1": "Framing",
    "2": "Pings/Pongs",
    "3": "Reserved Bits",
    "4": "Opcodes",
    "5": "Fragmentation",
    "6": "UTF-8 Handling",
    "7": "Close Handling",
    "9": "Limits/Performance",
    "10": "Misc",
}


def key(case_id: str) -> list[int]:
    return [int(p) for p in case_id.split(".")]


def verdict(entry: dict) -> str:
    """One word per case: the message verdict, or FAILED if either part failed."""
    if entry["behavior"] in PASSING and entry["behaviorClose"] in PASSING_CLOSE:
        return entry["behavior"]
    return "FAILED"


def load(report_dir: Path) -> dict[str, dict]:
    index = json.loads((report_dir / "index.json").read_text())
    cases: dict[str, dict] = {}
    for per_agent in index.values():
        cases.update(per_agent)
    return dict(sorted(cases.items(), key=lambda kv: key(kv[0])))


def by_section(cases: dict[str, dict]) -> dict[str, Counter]:
    sections: dict[str, Counter] = {}
    for case_id, entry in cases.items():
        sections.setdefault(case_id.split(".")[0], Counter())[verdict(entry)] += 1
    return sections


def counts_row(name: str, c: Counter) -> list[str]:
    return [name, *(str(c.get(col, 0)) for col in COLUMNS), str(sum(c.values()))]


def print_summary(cases: dict[str, dict]) -> None:
    sections = by_section(cases)
    total = Counter()
    header = ["section", *COLUMNS, "total"]
    rows = []
    for sec, c in sections.items():
        total.update(c)
        rows.append(counts_row(f"{sec} {SECTIONS.get(sec, '')}".strip(), c))
    rows.append(counts_row("all", total))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))))
    others = [(cid, e) for cid, e in cases.items() if verdict(e) != "OK"]
    if others:
        print()
        print("not OK:")
        for cid, e in others:
            print(
                f"  {cid:<8} {verdict(e):<14} behavior={e['behavior']} close={e['behaviorClose']}"
                f" code={e['remoteCloseCode']} {e['duration']} ms"
            )


def markdown(cases: dict[str, dict]) -> str:
    sections = by_section(cases)
    out = ["| section | " + " | ".join(COLUMNS) + " | total |", "|---|" + "---:|" * (len(COLUMNS) + 1)]
    total = Counter()
    for sec, c in sections.items():
        total.update(c)
        out.append("| " + " | ".join(counts_row(f"{sec} {SECTIONS.get(sec, '')}".strip(), c)) + " |")
    out.append("| " + " | ".join(f"**{x}**" for x in counts_row("all", total)) + " |")
    for sec in sections:
        c = sections[sec]
        counts = ", ".join(f"{c[col]} {col}" for col in COLUMNS if c.get(col))
        out += ["", f"### {sec} {SECTIONS.get(sec, '')} ({counts})".rstrip(), ""]
        out += ["| case | result | close | emcee's close code |", "|---|---|---|---:|"]
        for cid, e in cases.items():
            if cid.split(".")[0] != sec:
                continue
            code = "" if e["remoteCloseCode"] is None else str(e["remoteCloseCode"])
            out.append(f"| {cid} | {verdict(e)} | {e['behaviorClose']} | {code} |")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--markdown", type=Path, help="write the per-case table here")
    args = parser.parse_args()
    cases = load(args.report_dir)
    if not cases:
        print("no cases in the report", file=sys.stderr)
        return 1
    print_summary(cases)
    if args.markdown:
        args.markdown.write_text(markdown(cases))
    failed = [cid for cid, e in cases.items() if verdict(e) == "FAILED"]
    print()
    if failed:
        print(f"FAILED cases: {' '.join(failed)}")
    # The plain closing line CI reads: non-strict and informational pass.
    print(f"autobahn: {len(cases) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
