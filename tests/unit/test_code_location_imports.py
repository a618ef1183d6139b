"""The code location is imported by every run process (one per delivery) and by the
daemon's sensors: it reads the code and dbt's manifest, and leaves dbt, GX, the drawing
libraries and the XLSForm compiler to the steps that use them."""

from __future__ import annotations

import json
import subprocess
import sys

#: Imported only by the steps that need them: dbt runs as a child process (the dbt step),
#: GX in the gates, pyxform where questionnaires are read, Altair, vl-convert and
#: WeasyPrint when a report is drawn.
STEP_ONLY = ("dbt", "dagster_dbt", "great_expectations", "pyxform", "altair", "vl_convert")
STEP_ONLY += ("weasyprint",)


def test_importing_the_code_location_leaves_step_libraries_unloaded():
    probe = "import json, sys, orchestration.definitions; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    loaded = {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}
    assert "dagster" in loaded  # the probe did import the code location
    assert not loaded & set(STEP_ONLY)
