"""The published marts' content hash (publishing/publish.py): rows as a multiset, with the
columns' names and types."""

from __future__ import annotations

import duckdb

from publishing.publish import content_hash


def test_the_content_hash_ignores_row_order_and_sees_every_change():
    con = duckdb.connect()
    con.execute("create table a as select range as id, range % 3 as n from range(100)")
    con.execute("create table b as select * from a order by id desc")
    con.execute("create table c as select id, n + (id = 7)::int as n from a")
    con.execute("create table d as select * from a union all select * from a where id = 7")
    con.execute("create table e as select id, n::double as n from a")
    con.execute("create table f as select id, n as m from a")
    hashes = {t: content_hash(con, t) for t in "abcdef"}
    assert hashes["a"] == hashes["b"]
    assert len({hashes[t] for t in "acdef"}) == 5
