"""The published warehouse, without Dagster: write-audit-publish (`publish`), the build
database's lock (`build_db`) and the analysts' read-only SQL shell (`sql_shell`).

It sits below both the orchestration (whose assets call it) and the reports (which read
only what it published): neither of those imports the other.
"""
