"""The seed report's quantitative statements as a dbt seed, generated from the calibration
targets (`ingest/samples/sample_config.yml`), the one list of what the 2021 Mali report
states: its id, section, sentence, value, how a computed value is compared with it, and
where the report's statements cannot all hold, the note saying which one the sample keeps.

`mart_report_figures` joins it to say, for each figure, what the report stated and whether
the warehouse reproduces it (the reports' reproduction appendix). `slc docs` writes the
seed and a test fails when it differs from the targets. The EUTF results export's actuals
are left out: they are the RSR's statements, reconciled in `mart_indicator_reconciliation`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.samples.config import config, targets
from ingest.settings import REPO_ROOT, Settings

SEED = REPO_ROOT / "dbt_project" / "seeds" / "report_statements.csv"
FIELDS = [
    "figure_key", "section", "statement", "stated_value", "comparison", "tolerance",
    "is_programme_volume", "note_en", "note_fr",
]  # fmt: skip


def rendered() -> str:
    notes = config().get("conflicts", {})
    rows = [
        {
            "figure_key": t.id,
            "section": t.section,
            "statement": t.statement,
            "stated_value": f"{t.target:g}",
            "comparison": t.compare,
            "tolerance": f"{t.tolerance:g}",
            "is_programme_volume": str(t.scaled).lower(),
            "note_en": " ".join(notes.get(t.id, {}).get("en", "").split()),
            "note_fr": " ".join(notes.get(t.id, {}).get("fr", "").split()),
        }
        for t in targets(Settings.from_env().reference_dir)
        if t.section != "RSR"
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: r["figure_key"]))
    return buffer.getvalue()


def write() -> list[Path]:
    SEED.write_text(rendered(), encoding="utf-8")
    return [SEED]


def stale() -> list[Path]:
    current = SEED.read_text(encoding="utf-8") if SEED.exists() else None
    return [] if current == rendered() else [SEED]
