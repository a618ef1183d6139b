"""A Dagster logger that prints a run as a person follows it: one line per step.

`slc refresh` (and so `make demo`) runs the refresh job with this logger instead of
Dagster's console logger, whose DEBUG events (every step output's type check) are hundreds
of lines; `slc refresh --verbose` brings the console logger back. Each line says how long
the run has been going, the step, what it made and how long it took; warnings and errors
of the steps are printed as they come, one line each.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter

import dagster as dg

from ingest.settings import FEEDS
from orchestration import keys

#: Steps by their op name, as a person calls them.
STEP_NAMES = {
    "slc_dbt_models": "dbt build: seeds, staging, facts, marts and their tests",
    "mart_gates": "quality gates on the marts",
    keys.step(keys.PUBLISHED_WAREHOUSE): "publish the audited warehouse",
    keys.step(keys.DBT_DOCS): "dbt docs",
    keys.step(keys.MALI_REPORT): "Mali report (HTML, PDF)",
    keys.step(keys.REGIONAL_REPORT): "regional report (HTML, PDF, en and fr)",
}


#: Warnings and errors printed per step; the others are counted (a sample's refused
#: deliveries are dozens, and `slc status` lists every one).
SHOWN_PER_STEP = 3


def _name(step: str) -> str:
    if step in STEP_NAMES:
        return STEP_NAMES[step]
    if step.startswith(f"{keys.BRONZE}__"):
        asset = step.removeprefix(f"{keys.BRONZE}__")
        feed = next((f for f in FEEDS if asset.startswith(f"{f}_")), asset)
        return f"load {feed} deliveries"
    return step


class ProgressHandler(logging.Handler):
    """Turns Dagster's events into one line per finished step."""

    def __init__(self, stream=None) -> None:
        super().__init__(logging.DEBUG)  # Dagster logs its step events at DEBUG
        self.stream = stream or sys.stdout
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}
        self.made: Counter[str] = Counter()
        self.checks: Counter[str] = Counter()
        self.failed_checks: Counter[str] = Counter()
        self.warned_checks: Counter[str] = Counter()
        self.said: Counter[str] = Counter()

    def _say(self, text: str) -> None:
        elapsed = int(time.monotonic() - self.started)
        self.stream.write(f"{elapsed // 60:>3}:{elapsed % 60:02d}  {text}\n")
        self.stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.WARNING and step:
                self.said[step] += 1
                if self.said[step] > SHOWN_PER_STEP:
                    return  # counted, and said at the step's end
                message = str(meta.get("orig_message") or record.getMessage())
                line = " ".join(message.split())
                self._say(f"{'!' if record.levelno >= logging.ERROR else '~'} {line[:160]}")
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            self.step_started[step] = time.monotonic()
        elif kind == "ASSET_MATERIALIZATION":
            self.made[step] += 1
        elif kind == "ASSET_CHECK_EVALUATION":
            self.checks[step] += 1
            data = event.event_specific_data
            if data is not None and not getattr(data, "passed", True):
                warned = getattr(data, "severity", None) == dg.AssetCheckSeverity.WARN
                (self.warned_checks if warned else self.failed_checks)[step] += 1
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            took = time.monotonic() - self.step_started.get(step, time.monotonic())
            parts = []
            if self.made[step]:
                parts.append(f"{self.made[step]} asset(s)")
            if self.checks[step]:
                failed, warned = self.failed_checks[step], self.warned_checks[step]
                parts.append(
                    f"{self.checks[step]} check(s)"
                    + (f", {failed} failed" if failed else "")
                    + (f", {warned} warned" if warned else "")
                )
            detail = f" ({', '.join(parts)})" if parts else ""
            if self.said[step] > SHOWN_PER_STEP:
                hidden = self.said[step] - SHOWN_PER_STEP
                self._say(f"  and {hidden} more warning(s) or error(s): `slc status` lists them")
            mark = {"STEP_SUCCESS": "ok", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}
            self._say(f"{mark[kind]:<7} {_name(step)}{detail}, {took:.1f} s")


@dg.logger(None, description="One line per step with what it made and its time (slc refresh).")
def slc_progress(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("slc_progress")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    # A handler per run: its clock and counts start with the run.
    for old in [h for h in logger.handlers if isinstance(h, ProgressHandler)]:
        logger.removeHandler(old)
    logger.addHandler(ProgressHandler())
    return logger


#: Run config that selects this logger (and so drops the console logger).
RUN_CONFIG = {"loggers": {"slc_progress": {}}}
