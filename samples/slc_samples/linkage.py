"""How well the warehouse links EJOM beneficiaries to IOM returnee cases, measured against
the truth the sample generator writes (`truth/ejom_iom_links.csv`, never landed).

Precision: of the links the warehouse made (int_beneficiary_links, published in
dim_beneficiary), the share that are true. Recall: of the true links whose two records both
reached the warehouse, the share it found. `slc-samples linkage` prints both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class LinkageQuality:
    links: int
    true_links: int
    reachable_truth: int
    found_truth: int
    by_rule: dict[str, tuple[int, int]]  # rule -> (links, true links)

    @property
    def precision(self) -> float:
        return self.true_links / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        return self.found_truth / self.reachable_truth if self.reachable_truth else 1.0


def measure_linkage(database: Path, truth_csv: Path) -> LinkageQuality:
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute(
            "create temp table truth as select ejom_identifier, iom_case_id "
            "from read_csv(?, header = true, all_varchar = true)",
            [str(truth_csv)],
        )
        # dim_beneficiary carries each link: the IOM case's row with its EJOM registration.
        links = (
            "(select ejom_beneficiary_id as beneficiary_id, "
            "substr(beneficiary_key, 5) as iom_case_id, ejom_link_rule as match_rule "
            "from marts.dim_beneficiary where ejom_link_rule is not null)"
        )
        by_rule = {
            rule: (n, true)
            for rule, n, true in con.execute(
                f"select l.match_rule, count(*), count(t.ejom_identifier) from {links} as l "
                "left join truth as t on t.ejom_identifier = l.beneficiary_id "
                "and t.iom_case_id = l.iom_case_id group by 1 order by 1"
            ).fetchall()
        }
        [(reachable, found)] = con.execute(
            "select count(*), count(l.beneficiary_id) from truth as t "
            "inner join marts.dim_beneficiary as e on e.ejom_beneficiary_id = t.ejom_identifier "
            "inner join marts.dim_beneficiary as i on i.beneficiary_key = 'MLI:' || t.iom_case_id "
            f"left join {links} as l on l.beneficiary_id = t.ejom_identifier "
            "and l.iom_case_id = t.iom_case_id"
        ).fetchall()
    finally:
        con.close()
    return LinkageQuality(
        links=sum(n for n, _ in by_rule.values()),
        true_links=sum(t for _, t in by_rule.values()),
        reachable_truth=reachable,
        found_truth=found,
        by_rule=by_rule,
    )
