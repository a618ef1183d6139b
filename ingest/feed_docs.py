"""The column tables of docs/feeds/*.md, generated from the contracts (`slc docs`).

Prose (naming, rhythm, quirks) is written by hand; the tables between the markers
`<!-- generated:<name> -->` and `<!-- end:<name> -->` come from the contract YAML and the
KoBo questionnaires (XLSForm), so the docs and the readers cannot drift apart (a test checks it).
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.contracts import Column, load_contract
from ingest.kobo import cycle_of, questionnaires
from ingest.settings import REPO_ROOT
from ingest.xlsform import label_in

DOCS = REPO_ROOT / "docs" / "feeds"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def columns_table(
    columns: tuple[Column, ...] | list[Column], templates: list[str] | None = None
) -> str:
    templates = templates or []
    head = ["column", *(f"header ({t})" for t in templates)] if templates else ["column", "header"]
    head += ["type", "required", "codes / rule", "personal data", "meaning"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in columns:
        headers = [c.header_for(t) for t in templates] if templates else [" / ".join(c.aliases)]
        rule = ", ".join(
            f"`{code}`" + (f" ({' / '.join(labels)})" if labels else "")
            for code, labels in c.codes.items()
        )
        if c.min is not None or c.max is not None:
            low = "" if c.min is None else f">= {c.min:g}"
            high = "" if c.max is None else f"<= {c.max:g}"
            bounds = f"{low} {high}".strip()
            rule = f"{rule}; {bounds}" if rule else bounds
        row = [
            f"`{c.name}`",
            *(_cell(h) for h in headers),
            c.type,
            "yes" if c.required else "",
            _cell(rule),
            c.pii or "",
            _cell(c.description),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def xlsform_tables(survey_name: str) -> str:
    """A questionnaire as its XLSForm workbooks define it: the union of the versions'
    questions (with the cycles that ask each), then the choice lists."""
    form = questionnaires()[survey_name]
    versions = ", ".join(
        f"cycle {cycle_of(v)}: `{v.version}` (`{v.source}`)" for v in form.versions
    )
    lines = [
        f"Form `{form.form_id}` — {form.title}; versions: {versions}",
        "",
        "**survey**",
        "",
        "| type | name | group | label (fr) | label (en) | relevant | calculation | cycles |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for repeat in (None, *form.repeats()):
        for q in form.questions(repeat):
            cycles = ", ".join(cycle_of(v) for v in form.versions_asking(q.name))
            kind = f"{q.type} {q.list_name}" if q.list_name else q.type
            pii = " *(personal data)*" if q.pii else ""
            lines.append(
                f"| {kind} | `{q.name}` | {'/'.join(q.groups)} | {_cell(q.label('fr'))}{pii} | "
                f"{_cell(q.label('en'))} | {_cell(q.relevant)} | {_cell(q.calculation)} | "
                f"{cycles} |"
            )
    lists = dict.fromkeys(
        q.list_name for r in (None, *form.repeats()) for q in form.questions(r) if q.list_name
    )
    lines += [
        "",
        "**choices**",
        "",
        "| list_name | name | label::Français (fr) | label::English (en) |",
        "|---|---|---|---|",
    ]
    for list_name in lists:
        for c in form.choices(str(list_name)):
            lines.append(
                f"| {list_name} | `{c.name}` | {_cell(label_in(c.labels, 'fr'))} | "
                f"{_cell(label_in(c.labels, 'en'))} |"
            )
    return "\n".join(lines)


def generated_sections() -> dict[str, dict[str, str]]:
    """{doc file: {section name: markdown}} for every generated table."""
    kobo = load_contract("kobo")
    sections = {
        "iom.md": {
            "iom-columns": columns_table(load_contract("iom").columns, ["en", "fr", "fr_v2"])
        },
        "ejom.md": {
            f"ejom-{form}": columns_table(load_contract(f"ejom_{form}").columns)
            for form in ("registration", "training", "kits", "smes")
        },
        "aecid.md": {
            "aecid-columns": columns_table(load_contract("aecid").columns),
            "aecid-participants": columns_table(
                load_contract("aecid")
                .with_columns(load_contract("aecid").raw["participant_columns"])
                .columns
            ),
        },
        "kobo.md": {
            "kobo-metadata": columns_table(kobo.columns),
            "kobo-returnee": xlsform_tables("returnee"),
            "kobo-sensitisation": xlsform_tables("sensitisation"),
        },
    }
    rsr = load_contract("eutf_rsr").raw["tables"]
    sections["eutf_rsr.md"] = {
        f"eutf-{key}": f"`{table}.csv`\n\n"
        + columns_table(load_contract("eutf_rsr").with_columns(rsr[table]).columns)
        for key, table in (
            ("results", "EUTF_akvo_results"),
            ("projects", "EUTF_projects_akvo"),
            ("recipients", "EUTF_akvo_recipients"),
            ("orgs", "EUTF_akvo_orgs"),
        )
    }
    sections["ejom.md"]["ejom-training-attendance"] = columns_table(
        load_contract("ejom_training")
        .with_columns(load_contract("ejom_training").raw["repeat_columns"])
        .columns
    )
    return sections


def render(text: str, sections: dict[str, str]) -> str:
    for name, body in sections.items():
        pattern = re.compile(
            rf"(<!-- generated:{re.escape(name)} -->\n)(?:.*?\n)?(<!-- end:{re.escape(name)} -->)",
            re.S,
        )
        if not pattern.search(text):
            raise ValueError(f"markers for {name!r} are missing")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def write(docs: Path = DOCS) -> list[Path]:
    changed = []
    for file_name, sections in generated_sections().items():
        path = docs / file_name
        old = path.read_text(encoding="utf-8")
        new = render(old, sections)
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def stale(docs: Path = DOCS) -> list[str]:
    """Docs whose generated tables differ from the contracts."""
    out = []
    for file_name, sections in generated_sections().items():
        text = (docs / file_name).read_text(encoding="utf-8")
        if render(text, sections) != text:
            out.append(file_name)
    return out
