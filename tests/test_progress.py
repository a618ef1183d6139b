"""`slc refresh`'s log: one line per step with what it made, warnings as they come, none of
Dagster's DEBUG events (orchestration/progress.py)."""

from __future__ import annotations

import io
import logging

import dagster as dg

from orchestration.progress import ProgressHandler, slc_progress


def test_a_run_prints_one_line_per_step_and_its_warnings(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(ProgressHandler, "__init__", _handler_on(out))

    @dg.asset(check_specs=[dg.AssetCheckSpec("fine", asset="made")])
    def made(context):
        context.log.info("a detail nobody needs on the console")
        context.log.warning("a partner's file\nwas refused")
        for n in range(5):
            context.log.error(f"file {n} refused")
        yield dg.MaterializeResult(
            check_results=[
                dg.AssetCheckResult(
                    check_name="fine", passed=False, severity=dg.AssetCheckSeverity.WARN
                )
            ]
        )

    job = dg.Definitions(
        assets=[made], loggers={"slc_progress": slc_progress}
    ).resolve_implicit_global_asset_job_def()
    job.execute_in_process(run_config={"loggers": {"slc_progress": {}}})
    lines = out.getvalue().splitlines()
    assert len(lines) == 5, lines
    assert lines[0].endswith("~ a partner's file was refused")
    assert lines[2].endswith("! file 1 refused")
    assert lines[3].endswith("and 3 more warning(s) or error(s): `slc status` lists them")
    assert "ok      made (1 asset(s), 1 check(s), 1 warned)" in lines[4]
    assert all(line[:6].strip().count(":") == 1 for line in lines)  # m:ss elapsed


def _handler_on(stream):
    real = ProgressHandler.__init__

    def init(self, stream_=None):
        real(self, stream)

    return init


def test_the_logger_keeps_nothing_from_an_earlier_run():
    first = slc_progress.logger_fn(dg.build_init_logger_context())
    second = slc_progress.logger_fn(dg.build_init_logger_context())
    assert first is second is logging.getLogger("slc_progress")
    assert sum(isinstance(h, ProgressHandler) for h in second.handlers) == 1
