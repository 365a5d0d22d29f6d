"""A tiny document model for the datasheet, rendered to Markdown and to HTML.

The datasheet is built once as sections of blocks (paragraphs, tables, lists,
code, figures) and rendered twice, so the two files always say the same. Every
piece of text is plain text: the renderers escape it (class names, spec values
and source names come from users and must not become markup in either file).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Block",
    "Bullets",
    "Code",
    "Figure",
    "Para",
    "Section",
    "Table",
    "few",
    "generic",
    "md_text",
    "to_html",
    "to_markdown",
]

LISTED = 20  # the longest list shown inline; the rest is counted


@dataclass(frozen=True, slots=True)
class Para:
    """A paragraph of plain text; ``strong`` renders it in bold."""

    text: str
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A table of plain-text cells; columns listed in ``numeric`` are right-aligned."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Bullets:
    """A list; an item is text, or text with a nested list under it."""

    items: tuple[str | tuple[str, Bullets], ...]


@dataclass(frozen=True, slots=True)
class Code:
    """Preformatted text (the spec as JSON)."""

    text: str
    language: str = ""


@dataclass(frozen=True, slots=True)
class Figure:
    """An image beside the datasheet, by relative path."""

    path: str
    alt: str


Block = Para | Table | Bullets | Code | Figure


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


# ----------------------------------------------------------------- JSON values


def generic(value: Mapping[str, Any]) -> Bullets:
    """Any JSON-like mapping as nested bullets, keys sorted, long lists shortened."""
    return Bullets(tuple(_entry(str(k), value[k]) for k in sorted(value, key=str)))


def _entry(label: str, value: Any) -> str | tuple[str, Bullets]:
    label = label.replace("_", " ")
    if isinstance(value, Mapping):
        return (label, generic(value)) if value else f"{label}: none"
    if isinstance(value, list | tuple):
        if all(not isinstance(v, Mapping | list | tuple) for v in value):
            return f"{label}: {few([_scalar(v) for v in value]) or 'none'}"
        shown = [_entry(str(i + 1), v) for i, v in enumerate(value[:LISTED])]
        if len(value) > LISTED:
            shown.append(f"… ({len(value) - LISTED:,} more)")
        return (label, Bullets(tuple(shown)))
    return f"{label}: {_scalar(value)}"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def few(values: Sequence[str], limit: int = LISTED) -> str:
    """The first ``limit`` values, comma-separated, and how many more there are."""
    shown = ", ".join(values[:limit])
    return shown + (f", … ({len(values) - limit:,} more)" if len(values) > limit else "")


# ----------------------------------------------------------------- Markdown

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the
# characters that could start markup inline (emphasis, links, HTML, tables).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!&~])")


def md_text(text: str) -> str:
    """Plain text as Markdown that shows exactly that text (no markup, one line)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(title: str, sections: Sequence[Section]) -> str:
    """The whole document as Markdown."""
    parts = [f"# {md_text(title)}"]
    for section in sections:
        parts.append(f"## {md_text(section.title)}")
        parts.extend(_md_block(block) for block in section.blocks)
    return "\n\n".join(parts) + "\n"


def _md_block(block: Block) -> str:
    if isinstance(block, Para):
        text = md_text(block.text)
        return f"**{text}**" if block.strong else text
    if isinstance(block, Table):
        return _md_table(block)
    if isinstance(block, Bullets):
        return "\n".join(_md_bullets(block, 0))
    if isinstance(block, Code):
        fence = "`" * max(3, _longest_run(block.text, "`") + 1)
        return f"{fence}{block.language}\n{block.text}\n{fence}"
    return f"![{md_text(block.alt)}]({block.path})"


def _md_table(table: Table) -> str:
    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(md_text(c) for c in cells) + " |"

    rule = ["---:" if i in table.numeric else "---" for i in range(len(table.header))]
    lines = [row(table.header), "| " + " | ".join(rule) + " |"]
    lines.extend(row(r) for r in table.rows)
    return "\n".join(lines)


def _md_bullets(bullets: Bullets, depth: int) -> list[str]:
    indent = "  " * depth
    lines = []
    for item in bullets.items:
        text, nested = (item, None) if isinstance(item, str) else item
        lines.append(f"{indent}- {md_text(text)}")
        if nested is not None:
            lines.extend(_md_bullets(nested, depth + 1))
    return lines


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(r) for r in runs), default=0)


# ----------------------------------------------------------------- HTML

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }
h1, h2 { line-height: 1.2; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .2rem .6rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
img { max-width: 100%; }
""".strip()


def to_html(title: str, sections: Sequence[Section]) -> str:
    """The whole document as one self-contained HTML page (figures by relative path)."""
    esc = html.escape
    body = [f"<h1>{esc(title)}</h1>"]
    for section in sections:
        body.append(f"<h2>{esc(section.title)}</h2>")
        body.extend(_html_block(block) for block in section.blocks)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _html_block(block: Block) -> str:
    esc = html.escape
    if isinstance(block, Para):
        text = esc(block.text)
        return f"<p><strong>{text}</strong></p>" if block.strong else f"<p>{text}</p>"
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, Bullets):
        return _html_bullets(block)
    if isinstance(block, Code):
        return f"<pre><code>{esc(block.text)}</code></pre>"
    return f'<figure><img src="{esc(block.path)}" alt="{esc(block.alt)}"></figure>'


def _html_table(table: Table) -> str:
    def cells(tag: str, values: Sequence[str]) -> str:
        out = []
        for i, value in enumerate(values):
            cls = ' class="n"' if i in table.numeric else ""
            out.append(f"<{tag}{cls}>{html.escape(value)}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    rows = [cells("th", table.header)] + [cells("td", r) for r in table.rows]
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def _html_bullets(bullets: Bullets) -> str:
    items = []
    for item in bullets.items:
        text, nested = (item, None) if isinstance(item, str) else item
        inner = _html_bullets(nested) if nested is not None else ""
        items.append(f"<li>{html.escape(text)}{inner}</li>")
    return "<ul>" + "".join(items) + "</ul>"
