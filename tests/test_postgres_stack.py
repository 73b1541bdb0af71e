"""The whole exchange with every store on PostgreSQL (SWSIM_LEDGER_URL and SWSIM_STORE_URL, as in
docker-compose.yml): the gateway's ledger and each node's store in one database, over the real embedded broker."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from gateway.postgres_ledger import PostgresLedger
from swsim.broker import EmbeddedBroker
from swsim.demo.driver import Driver
from swsim.demo.scenarios import SCENARIOS
from swsim.network import TAX_CQ, TAX_SC
from swsim.node.clock import SimClock
from swsim.node.store import PostgresNodeStore
from swsim.postgres import schema_name
from swsim.settings import Settings
from swsim.stack import Stack
from tests.pgserver import fresh_database
from tests.tax.test_dual_channel import applied_once, findings, publish, wait_for

SEED = "swsim-demo-network"


def test_every_scenario_and_the_dual_channel_on_postgres(
    postgres_server: str, broker: EmbeddedBroker, tmp_path: Path
) -> None:
    url = fresh_database(postgres_server)
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix="pgs" + str(time.time_ns())[-8:],
                        data_dir=tmp_path, network_seed=SEED, ledger_url=url, store_url=url)  # fmt: skip
    stack = Stack.start(settings, SimClock(speed=0))
    try:
        assert isinstance(stack.gateway.ledger, PostgresLedger)
        assert all(isinstance(n.store, PostgresNodeStore) for n in stack.nodes.values())
        driver = Driver(stack, lambda _s: None, timeout_s=60)
        for name, scenario in SCENARIOS.items():
            outcome = scenario.run(driver)
            assert outcome.ok, f"{name}: {outcome.summary}"
        ids = publish(stack, TAX_SC, 8, "pg")
        wait_for("both channels", lambda: applied_once_or_none(stack, ids))
        applied_once(stack, TAX_CQ, ids)
        assert findings(stack, ids) == []  # reconciliation reads the other bureau's schema
    finally:
        stack.stop()
    assert not list(tmp_path.glob("nodes/*.db"))  # nothing went to SQLite files
    with psycopg.connect(url) as conn:
        schemas = {r[0] for r in conn.execute("SELECT schema_name FROM information_schema.schemata")}
    assert {schema_name(p) for p in ("8000", "7900", TAX_CQ, TAX_SC)} <= schemas


def applied_once_or_none(stack: Stack, ids: list[str]) -> bool:
    apps = stack.tax(TAX_CQ).books.applications()
    return all((rid, 1) in apps for rid in ids)
