"""A report's prose: our generated sentences and the editors' commentary, with every number
a reference to a figure (`{{ fig("key") }}`) rendered from the published marts.

Commentary is Markdown that analysts write per report and month
(`reports/commentary/<YYYY-MM>/<report>.<lang>.md`; a month without its own file uses the
latest earlier one). Each `## <section id>` heading puts the text under it into that
section of the report. A digit outside a reference, a reference to a figure that does not
exist, or a heading that names no section is an error naming the file and line: the check
runs before a report is written, so a report never prints a number no one computed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from reports.facts import Fact

COMMENTARY_DIR = Path(__file__).parent / "commentary"
REFERENCE = re.compile(r"\{\{\s*fig\(\s*[\"']([^\"']+)[\"']\s*\)\s*\}\}")
#: Anything that looks like the start of a reference, well formed or not.
OPENING = re.compile(r"\{\{|\}\}")
HEADING = re.compile(r"^##\s+(\S+)\s*$")
#: Digits that name something rather than state a value: a figure, a survey cycle, the
#: disease. They may be typed.
LABELS = re.compile(
    r"\b(?:figures?|cycles?)\s+\d+(?:\s*(?:à|et|and|to|-|–)\s*\d+)?\b|\bCOVID-19\b",
    re.IGNORECASE,
)
MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")


class CommentaryError(ValueError):
    """Commentary that cannot be printed: each problem names its file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Commentary:
    """The editors' text of one report, by section id, as Markdown with references."""

    path: Path | None
    month: str | None
    sections: dict[str, str]


def references(text: str) -> list[str]:
    """The figure keys `text` cites, in order."""
    return REFERENCE.findall(text)


def problems_in(text: str, facts: dict[str, Fact], where: str, first_line: int = 1) -> list[str]:
    """What is wrong with `text`: bare numbers, unknown figures, malformed references."""
    found = []
    for offset, line in enumerate(text.splitlines()):
        number = first_line + offset
        for key in REFERENCE.findall(line):
            if key not in facts:
                found.append(f"{where}:{number}: no figure {key!r}")
        rest = LABELS.sub("", REFERENCE.sub("", line))
        if OPENING.search(rest):
            found.append(f'{where}:{number}: a malformed reference (write {{{{ fig("key") }}}})')
        digit = re.search(r"\d+", rest)
        if digit:
            found.append(
                f"{where}:{number}: the bare number {digit.group()!r}: cite a figure "
                f'({{{{ fig("key") }}}}) instead of typing its value'
            )
    return found


def cited(text: str, facts: dict[str, Fact], lang: str) -> str | None:
    """`text` with each reference replaced by its figure's value in `lang`; None when a
    cited figure has no value (the sentence is left out rather than printed with a gap)."""
    values = []
    for key in references(text):
        fact = facts[key]
        if fact.value is None:
            return None
        values.append(fact.text(lang))
    parts = iter(values)
    return REFERENCE.sub(lambda _: next(parts), text)


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})


def to_html(markdown: str) -> str:
    """Markdown as HTML; raw HTML in the source is escaped, never passed through."""
    return _MARKDOWN.render(markdown)


def commentary_file(report: str, lang: str, month: str, root: Path = COMMENTARY_DIR) -> Path | None:
    """The commentary a report of `month` prints: that month's file, else the latest
    earlier month's, else none."""
    name = f"{report}.{lang}.md"
    months = (
        sorted(
            (d.name for d in root.iterdir() if d.is_dir() and MONTH_DIR.match(d.name)),
            reverse=True,
        )
        if root.is_dir()
        else []
    )
    for candidate in months:
        if candidate <= month and (root / candidate / name).is_file():
            return root / candidate / name
    return None


def read_commentary(
    report: str,
    lang: str,
    month: str,
    sections: set[str],
    facts: dict[str, Fact],
    root: Path = COMMENTARY_DIR,
) -> Commentary:
    """The commentary of a report, checked against its sections and figures."""
    path = commentary_file(report, lang, month, root)
    if path is None:
        return Commentary(None, None, {})
    where = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
    found: list[str] = []
    by_section: dict[str, list[str]] = {}
    current: str | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        heading = HEADING.match(line)
        if heading:
            name = heading.group(1)
            if name not in sections:
                found.append(f"{where}:{number}: no section {name!r} in the {report} report")
            by_section.setdefault(name, [])
            current = name
            continue
        if current is None:
            if line.strip():
                found.append(f"{where}:{number}: text before the first '## <section>' heading")
            continue
        found.extend(problems_in(line, facts, where, number))
        by_section[current].append(line)
    if found:
        raise CommentaryError(found)
    return Commentary(
        path,
        path.parent.name,
        {k: "\n".join(v).strip() for k, v in by_section.items() if "\n".join(v).strip()},
    )


def rendered_commentary(
    commentary: Commentary, facts: dict[str, Fact], lang: str
) -> dict[str, str]:
    """Each section's commentary as HTML, figures filled in."""
    out = {}
    for section, text in commentary.sections.items():
        filled = REFERENCE.sub(lambda m: facts[m.group(1)].text(lang), text)
        out[section] = to_html(filled)
    return out
