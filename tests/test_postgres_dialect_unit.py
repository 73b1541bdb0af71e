"""The SQLite -> PostgreSQL translation the stores run through (swsim/postgres.py)."""

from __future__ import annotations

from swsim.postgres import schema_name, translate, translate_schema


def test_statements() -> None:
    assert translate("INSERT OR IGNORE INTO nonces (a) VALUES (?)") == (
        "INSERT INTO nonces (a) VALUES (%s) ON CONFLICT DO NOTHING", None)  # fmt: skip
    returning = "INSERT INTO deadletters (a) VALUES (%s) RETURNING id"
    assert translate("INSERT INTO deadletters (a) VALUES (?)", {"deadletters": "id"}) == (returning, "id")
    assert translate("INSERT INTO deadletters (a) VALUES (?)") == ("INSERT INTO deadletters (a) VALUES (%s)", None)
    upsert = "INSERT INTO docs VALUES (?,?) ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data"
    assert translate(upsert) == (upsert.replace("?", "%s"), None)
    assert translate("BEGIN IMMEDIATE") == ("BEGIN", None)


def test_schema_types() -> None:
    sqlite = "CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL, at REAL, body BLOB, s TEXT)"
    assert translate_schema(sqlite) == (
        "CREATE TABLE t (seq BIGSERIAL PRIMARY KEY, n BIGINT NOT NULL, at DOUBLE PRECISION, body BYTEA, s TEXT)"
    )
    assert translate_schema("CREATE TABLE realm (integers TEXT)") == "CREATE TABLE realm (integers TEXT)"


def test_schema_names_are_safe() -> None:
    assert schema_name("8000") == "node_8000"
    assert schema_name("TAX-CQ; DROP") == "node_tax_cq__drop"
