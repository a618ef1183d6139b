"""The dbt project's shape, read from its files (no dbt run): every model and seed is declared
and has a primary-key test, layers read only what they may, and no staging view is left
unread. dbt-project-evaluator's rules, for the ones this project keeps.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.settings import REPO_ROOT

PROJECT = REPO_ROOT / "dbt_project"
#: layer -> the layers its models may read (besides sources and seeds).
READS = {
    "staging": {"staging"},
    "intermediate": {"staging", "intermediate"},
    "marts": {"staging", "intermediate", "marts"},
}
REF = re.compile(r"""ref\(\s*['"]([a-z0-9_]+)['"]\s*\)""")
#: A feed's staging reads its registry model through macro current_deliveries('<feed>'),
#: or current_rows(<relation>, '<feed>'...).
FEED_REGISTRY = re.compile(
    r"""current_deliveries\(\s*['"]([a-z0-9_]+)['"]"""
    r"""|current_rows\((?:[^(),]|\([^()]*\))*,\s*['"]([a-z0-9_]+)['"]"""
)


def model_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted((PROJECT / "models").rglob("*.sql"))}


def layer_of(path: Path) -> str:
    return path.relative_to(PROJECT / "models").parts[0]


def properties() -> dict[str, dict]:
    """Model or seed name -> its entry in the project's property files."""
    out: dict[str, dict] = {}
    for path in [*(PROJECT / "models").rglob("*.yml"), *(PROJECT / "seeds").rglob("*.yml")]:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind in ("models", "seeds"):
            for entry in doc.get(kind) or []:
                out[entry["name"]] = entry
    return out


def _test_name(test: str | dict) -> str:
    return test if isinstance(test, str) else next(iter(test))


def has_primary_key(entry: dict) -> bool:
    """A model-level `unique_combination`, or a column both unique and not null (by test or
    by an enforced constraint)."""
    if any(_test_name(t) == "unique_combination" for t in entry.get("data_tests") or []):
        return True
    for column in entry.get("columns") or []:
        tests = {_test_name(t) for t in column.get("data_tests") or []}
        constraints = {c["type"] for c in column.get("constraints") or []}
        if "unique" in tests and ("not_null" in tests or constraints & {"not_null", "primary_key"}):
            return True
    return False


def test_every_model_and_seed_has_a_primary_key_test():
    declared = properties()
    names = [*model_files(), *(p.stem for p in (PROJECT / "seeds").glob("*.csv"))]
    undeclared = [n for n in names if n not in declared]
    assert not undeclared, f"no property file entry: {undeclared}"
    missing = [n for n in names if not has_primary_key(declared[n])]
    assert not missing, f"no primary-key test: {missing}"


def test_layers_read_only_what_they_may():
    files = model_files()
    wrong = []
    for name, path in files.items():
        for target in REF.findall(path.read_text(encoding="utf-8")):
            source, read = layer_of(path), layer_of(files[target]) if target in files else None
            if read is not None and read not in READS[source]:
                wrong.append(f"{name} ({source}) reads {target} ({read})")
    assert not wrong, wrong


def test_every_staging_model_is_read():
    files = model_files()
    readers = [*files.values(), *(PROJECT / "macros").rglob("*.sql")]
    texts = [path.read_text(encoding="utf-8") for path in readers]
    read = {t for text in texts for t in REF.findall(text)}
    feeds = {f for text in texts for pair in FEED_REGISTRY.findall(text) for f in pair if f}
    read |= {f"stg_registry__{feed}_deliveries" for feed in feeds}
    orphans = [n for n, p in files.items() if layer_of(p) == "staging" and n not in read]
    assert not orphans, f"staging models nothing reads (use them, or make them analyses): {orphans}"
