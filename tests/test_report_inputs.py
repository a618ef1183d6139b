"""Reports re-render only when their inputs change (reports/inputs.py): the marts they read
are the marts the report package names, and a published version whose read marts hash the
same as at the last render renders nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg

from reports.inputs import marts_named
from tests.conftest import temporary_home


def _copy_published(source: Path, home: Path, only: set[str] | None = None) -> None:
    """The published versions of `source` under `home`; with `only`, the current version
    keeps just those marts."""
    shutil.copytree(source / "published", home / "published", symlinks=True, dirs_exist_ok=True)
    if only is not None:
        for path in (home / "published" / "marts").resolve().glob("*.parquet"):
            if path.stem not in only:
                path.unlink()


def test_both_reports_render_from_the_marts_their_package_names(tmp_path: Path, partner_warehouse):
    """A mart a report reads but its package does not name would make it miss a change:
    both reports render with every other mart absent."""
    from reports.calendar import last_month_with_data
    from reports.mali import render_mali_report
    from reports.regional import render_regional_reports

    settings = partner_warehouse[0]
    published = {p.stem for p in settings.published_marts.glob("*.parquet")}
    unread = published - marts_named()
    assert unread, "some published marts are read by no report (the test would prove nothing)"
    month = last_month_with_data(settings.published_marts)
    assert month is not None
    with temporary_home(tmp_path / "subset") as subset:
        _copy_published(settings.home, subset.home, only=published & marts_named())
        assert not any((subset.published_marts / f"{m}.parquet").exists() for m in unread)
        mali = render_mali_report(subset, month)
        regional = render_regional_reports(subset, month)
    assert mali.pdf_path.is_file() and all(pdf.is_file() for _, pdf in regional.values())


def _render(instance: dg.DagsterInstance) -> dict:
    from orchestration.assets.reports import mali_report

    result = dg.materialize([mali_report], instance=instance)
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_a_report_whose_read_marts_did_not_change_is_not_rendered_again(
    tmp_path: Path, partner_warehouse
):
    settings = partner_warehouse[0]
    instance = dg.DagsterInstance.ephemeral()
    with temporary_home(tmp_path / "home") as home:
        _copy_published(settings.home, home.home)
        first = _render(instance)
        assert first["rendered"] is True
        pdf = Path(first["path"]).with_suffix(".pdf")
        drawn = pdf.stat().st_mtime_ns
        manifest_path = home.published / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        # A new published version where only marts the report does not read changed.
        unread = sorted(set(manifest["mart_hashes"]) - marts_named())
        assert unread
        for mart in unread:
            manifest["mart_hashes"][mart] = "changed"
        manifest_path.unlink()  # a symlink into the version: replaced, not written through
        manifest_path.write_text(json.dumps(manifest))
        again = _render(instance)
        assert again["rendered"] is False and pdf.stat().st_mtime_ns == drawn
        assert again["figures"] == first["figures"] and again["path"] == first["path"]
        # A mart it reads changed: drawn again.
        manifest["mart_hashes"]["fct_returns"] = "changed"
        manifest_path.write_text(json.dumps(manifest))
        assert _render(instance)["rendered"] is True
        assert pdf.stat().st_mtime_ns != drawn
        # Its files removed: drawn again, although nothing changed.
        pdf.unlink()
        assert _render(instance)["rendered"] is True and pdf.is_file()
