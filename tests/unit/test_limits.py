"""Limits and types, as an attacker or a careless partner would try them: every check runs
before the expensive step (parsing, unzipping, typing), names the row, column or byte
offset, and bounds the memory a hostile file can take (ingest/limits.py, ingest/typed.py).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from ingest import iom
from ingest.limits import BadFile, check_workbook, one_line
from ingest.tabular import read_csv
from tests.unit.test_feed_readers import _case
from tests.unit.test_feed_readers import _iom_csv as iom_export


def _iom_csv(rows: list[dict[str, str] | None], encoding: str = "utf-8") -> bytes:
    """An IOM export in the French v2 template, as Excel saves it."""
    return iom_export(rows, "fr_v2", ";", encoding)


def _xlsx_bomb(rows: int, declared: str | None = None) -> bytes:
    """A minimal workbook whose one sheet holds `rows` identical rows (it compresses about a
    thousand times), or declares the dimension `declared`."""
    row = "<row>" + '<c t="inlineStr"><is><t>x</t></is></c>' * 10 + "</row>"
    dimension = f'<dimension ref="{declared}"/>' if declared else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dimension}<sheetData>{row * rows}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr(
            "xl/workbook.xml", '<workbook><sheets><sheet name="Cases"/></sheets></workbook>'
        )
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def test_values_outside_their_type_are_quarantined_with_the_column():
    rows = [
        _case(1, arrival_allowance_xof="1e309"),
        _case(2, arrival_allowance_xof="NaN"),
        _case(3, arrival_allowance_xof="-inf"),
        _case(4, household_adults="1e30"),
        _case(5, date_of_birth="01/01/2099"),
        _case(6, date_of_birth="01/01/1850"),
        _case(7, movement_ref="x" * 5_000),
        _case(8),
    ]
    parsed = iom.parse(_iom_csv(rows), "OIM_ML_cases_2020-03.csv")
    assert parsed.rows_read == parsed.bronze.height + parsed.quarantine.height == len(rows)
    found = {
        (r["case_id"][-1], r["_reason"], r["_column"])
        for r in parsed.quarantine.select("case_id", "_reason", "_column").iter_rows(named=True)
    }
    assert found == {
        ("1", "not_finite", "arrival_allowance_xof"),
        ("2", "not_finite", "arrival_allowance_xof"),
        ("3", "not_finite", "arrival_allowance_xof"),
        ("4", "out_of_range", "household_adults"),
        ("5", "above_maximum", "date_of_birth"),
        ("6", "below_minimum", "date_of_birth"),
        ("7", "too_long", "movement_ref"),
    }
    assert parsed.bronze["case_id"].to_list() == ["ML-2020-000008"]


@pytest.mark.parametrize(
    "content,said",
    [
        ("a;b\n1;2\n".encode("utf-16"), "UTF-16"),
        (b"a;b\r1;2\r", "carriage return only"),
        (b"a;b\n\xc3\xa9t\xc3\xa9;\xc3\xa7a\n\xc3\xa0;x\n\xe9t\xe9;x\n", "row 4 (byte offset 19"),
        (b"a;b\n\x81;1\n", "row 2 (byte offset 4, byte 0x81) is neither UTF-8 nor Windows-1252"),
        (b"a;b\n1;2\n\x00\n", "row 3 (byte offset 8) holds a NUL byte"),
        (b"a;b\n1;" + b"x" * 1_500_000 + b"\n", "row 2 (byte offset 4) is 1.5 MB long"),
    ],
    ids=["utf-16", "cr-only", "mixed", "not-cp1252", "nul", "long-line"],
)
def test_layout_problems_name_the_row_and_byte(content: bytes, said: str):
    with pytest.raises(BadFile, match=None) as raised:
        read_csv(content)
    assert said in str(raised.value)


def test_a_windows_1252_file_is_not_taken_for_a_mixed_one():
    text = "Nom;Ville\nSékou Traoré;Ségou\nAïcha;Kayes\n"
    assert read_csv(text.encode("cp1252")).encoding == "cp1252"


def test_workbooks_are_judged_by_their_zip_directory():
    check_workbook(_xlsx_bomb(10))  # small and honest
    with pytest.raises(BadFile, match="unpacks"):
        check_workbook(_xlsx_bomb(200_000))
    with pytest.raises(BadFile, match="declares 1,048,576 rows x 100 columns"):
        check_workbook(_xlsx_bomb(1, "A1:CV1048576"))
    with pytest.raises(BadFile, match="damaged"):
        check_workbook(_xlsx_bomb(10)[:200])


def test_a_large_sheet_without_a_dimension_has_its_cells_counted(
    monkeypatch: pytest.MonkeyPatch,
):
    """A sheet that declares nothing and compresses like real data (random numbers) is
    counted as it unzips: past the cell limit it is refused before any reader sees it."""
    import random

    monkeypatch.setenv("SLC_MAX_SHEET_CELLS", "1000000")
    rng = random.Random(7)
    row = "".join(f"<c><v>{rng.randrange(10**9)}</v></c>" for _ in range(3_000))
    rows = "".join(f"<row>{row}</row>" for _ in range(1_000))  # 3 M cells, 60 MB of XML
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{rows}</sheetData>")
    with pytest.raises(BadFile, match="holds more than 1,000,000 cells"):
        check_workbook(buffer.getvalue())


def test_stored_errors_are_one_capped_line():
    line = one_line("first\nsecond\x07 line\n" + "x" * 5_000)
    assert "\n" not in line and "\x07" not in line and len(line) <= 1_000
    assert line.startswith("first; second line; xxx") and line.endswith("more characters)")


#: Parses each bomb with its feed's reader in a process of its own and prints the peak
#: resident memory (KiB) of that process: VmHWM, its own memory's high-water mark (Linux
#: keeps `ru_maxrss` across exec, so the child would report the parent's peak).
BOMBS = textwrap.dedent("""
    import sys
    from ingest import iom
    from ingest.contracts import DeliveryRejected
    from ingest.limits import BadFile, check_delivery
    from tests.unit.test_limits import _xlsx_bomb
    bombs = {
        "OIM_ML_cases_2020-06.csv": b"c;" * 22_000_000 + b"c\\n1\\n",  # 44 MB, 22 M columns
        "OIM_ML_cases_2020-07.csv": b"a;b\\n1;" + b"x" * 200_000_000 + b"\\n",  # one 200 MB line
        "IOM_NG_cases_2020-05.xlsx": _xlsx_bomb(1_000_000),  # a million rows, a few MB
    }
    for name, content in bombs.items():
        try:
            check_delivery(content, name)
            iom.parse(content, name)
        except (BadFile, DeliveryRejected) as exc:
            print("refused", name, str(exc)[:120], file=sys.stderr)
        else:
            raise SystemExit(f"{name} was not refused")
        del content
    bombs.clear()
    status = open("/proc/self/status", encoding="ascii").read()
    print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
""")


def test_bombs_are_refused_in_bounded_memory():
    """The bombs of the issue (a 44 MB header of 22 M columns, one 200 MB line, a workbook of
    a million rows) are refused from their first bytes or their zip directory: the process
    that read them stays under 1.5 GB, its bombs included (about 250 MB of them at once)."""
    done = subprocess.run(
        [sys.executable, "-c", BOMBS],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "SLC_PSEUDONYM_KEY": "k"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.count("refused") == 3, done.stderr
    assert int(done.stdout.split()[-1]) < 1_500_000, done.stdout


def test_utf8_sequences_are_counted_as_a_left_to_right_scan_finds_them():
    """The numpy count equals a regular expression's, across the parts it reads."""
    import itertools
    import random
    import re

    from ingest.limits import utf8_sequences

    scan = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
    rng = random.Random(7)
    alphabet = [0x41, 0x0A, 0xC3, 0xA9, 0xE2, 0x80, 0x99, 0xE9, 0xBF, 0xDF, 0xEF, 0xC2, 0xF0]
    for _ in range(500):
        content = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        for enough in (1, 3, 50):
            expected = len(list(itertools.islice(scan.finditer(content), enough)))
            for step in (1, 2, 3, 7, 1 << 24):
                assert utf8_sequences(content, enough, step) == expected, (content, step)
