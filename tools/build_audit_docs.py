#!/usr/bin/env python3
"""Write the list of audit checks into docs/audit.md from the registry.

The checks' docstrings are the one place each rule is documented (``synsetdb
audit --explain CODE`` prints them); this copies them, with each check's
family, level and options, between the markers in docs/audit.md. A test fails
when the file is out of date.

Usage:
    python tools/build_audit_docs.py          # rewrite docs/audit.md
    python tools/build_audit_docs.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "audit.md"
START, END = "<!-- checks:start (tools/build_audit_docs.py) -->", "<!-- checks:end -->"


def checks_markdown() -> str:
    """The generated part: a table of every check, then a section per family and check."""
    from synsetdb.audit import FAMILIES, registry
    from synsetdb.audit.registry import toml_value

    checks = list(registry().values())
    lines = ["| code | name | family | level | finds |", "|---|---|---|---|---|"]
    lines += [
        f"| [{c.code}](#{c.code.lower()}) | `{c.name}` | {c.family} | {c.level} | {c.summary} |"
        for c in checks
    ]
    for family, about in FAMILIES.items():
        members = [c for c in checks if c.family == family]
        if not members:
            continue
        lines += ["", f"### {family.capitalize()}: {about}"]
        for c in members:
            lines += ["", f"#### {c.code}", "", f"`{c.name}` · {c.level} · {c.summary}", ""]
            lines += [inspect.cleandoc(c.function.__doc__ or "")]
            if c.options:
                lines += ["", f"Options (`[audit.{c.code}]`):", ""]
                lines += [f"- `{name} = {toml_value(value)}`" for name, value in c.options.items()]
            if c.scope == "release":
                lines += ["", "Runs on a release (`--release`) only."]
    return "\n".join(lines)


def rebuilt(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{checks_markdown()}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/audit.md is stale")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"{DOC}: the markers {START} / {END} are missing", file=sys.stderr)
        return 1
    new = rebuilt(text)
    if args.check:
        if new != text:
            print(f"{DOC} is out of date: run python tools/build_audit_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
