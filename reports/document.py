"""A report as a document: the sections of reports/outline.yml, each with our generated
sentences, its figures and tables, the editors' commentary, or the line that says what our
data does not reach. The report modules (mali, regional) supply the blocks; this module
puts them in order and checks that every section says something."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from reports.facts import Fact
from reports.text import Commentary, cited, problems_in, read_commentary, rendered_commentary

OUTLINE_FILE = Path(__file__).parent / "outline.yml"
METHODOLOGY_FILE = Path(__file__).parent / "methodology.yml"


@cache
def outline() -> dict[str, Any]:
    return yaml.safe_load(OUTLINE_FILE.read_text(encoding="utf-8"))["reports"]


@cache
def methodology() -> dict[str, Any]:
    return yaml.safe_load(METHODOLOGY_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Block:
    """Something a section shows: kind is figure, survey_figure, table, notes or profiles
    (the regional report's country profiles)."""

    kind: str
    content: Any


@dataclass
class Section:
    id: str
    number: str
    title: str
    sentences: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    commentary: str | None = None
    beyond: str | None = None
    editorial: bool = False

    @property
    def level(self) -> int:
        return self.number.count(".") + 1

    @property
    def says_something(self) -> bool:
        """A heading with content: text, a block, commentary, or why there is none."""
        return bool(self.sentences or self.blocks or self.commentary or self.beyond)


def section_ids(report: str) -> set[str]:
    return {s["id"] for s in outline()[report]["sections"]}


def outline_problems(facts: dict[str, Fact]) -> list[str]:
    """Bare numbers and unknown figures in our own generated sentences."""
    found = []
    for report, spec in outline().items():
        for section in spec["sections"]:
            for i, sentence in enumerate(section.get("text", []), start=1):
                for lang, text in sentence.items():
                    where = f"{OUTLINE_FILE.name}:{report}.{section['id']}.text[{i}].{lang}"
                    found.extend(problems_in(text, facts, where))
            for lang, text in (section.get("beyond") or {}).items():
                where = f"{OUTLINE_FILE.name}:{report}.{section['id']}.beyond.{lang}"
                found.extend(problems_in(text, facts, where))
    return found


def commentary_of(
    report: str, lang: str, month: str, facts: dict[str, Fact], root: Path | None = None
) -> Commentary:
    """The report's checked commentary for `month` (the latest earlier one when the month
    has none); an error naming file and line when it cites what does not exist."""
    kwargs = {"root": root} if root is not None else {}
    return read_commentary(report, lang, month, section_ids(report), facts, **kwargs)


def sections(
    report: str,
    lang: str,
    facts: dict[str, Fact],
    commentary: Commentary,
    blocks: dict[str, Callable[[], Block | None]],
) -> list[Section]:
    """The report's sections in order, filled in. `blocks` maps each id a section shows
    to the function that draws it; an id the report cannot draw is an error."""
    written = rendered_commentary(commentary, facts, lang)
    out = []
    for spec in outline()[report]["sections"]:
        section = Section(
            id=spec["id"],
            number=spec["number"],
            title=spec["title"][lang],
            editorial=bool(spec.get("editorial")),
            commentary=written.get(spec["id"]),
            beyond=(spec.get("beyond") or {}).get(lang),
        )
        for sentence in spec.get("text", []):
            text = cited(" ".join(sentence[lang].split()), facts, lang)
            if text is not None:
                section.sentences.append(text)
        for shown in spec.get("show", []):
            key = str(shown)
            if key not in blocks:
                raise KeyError(f"{OUTLINE_FILE.name}: the {report} report cannot show {key!r}")
            block = blocks[key]()
            if block is not None:
                section.blocks.append(block)
        out.append(section)
    return out


@dataclass(frozen=True)
class Chart:
    """A figure the template draws: number, title, the SVG, its source line."""

    number: str
    title: str
    svg: str
    source: str
    respondents: int | None = None
    note: str = ""
    #: The mart the figure reads, kept in the HTML for analysts (`data-mart`).
    mart: str = ""
