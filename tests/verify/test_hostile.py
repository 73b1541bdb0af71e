"""Hostile input against a gateway process: the corpus covers every category and endpoint, every input is refused
with an error code, and the canary proves nothing was fetched or read (its detectors are shown to work first)."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections import Counter
from pathlib import Path

from lxml import etree

from swsim.broker import EmbeddedBroker
from swsim.verify.canary import Canary
from swsim.verify.hostile import MEMORY_GROWTH_BOUND_MB, HostileResult, run_hostile
from swsim.verify.hostile_corpus import KAFKA_INGRESS, REQUIRED_KINDS, corpus, kinds
from swsim.verify.suite import hostile_problems
from swsim.verify.target import gateway_target

ENDPOINTS = (
    "POST /v1/messages", "POST /v1/messages/batch", "POST /v1/validate", "GET /v1/messages/", "GET /v1/trace/",
    "GET /v1/deadletters", "POST /v1/deadletters/", "POST /health", "PUT /metrics", "DELETE /openapi.json",
    "POST /asyncapi.json", "GET /dashboard/api/overview", "GET /dashboard/api/search", "GET /dashboard/api/messages/",
    "GET /dashboard/api/stream", "GET /dashboard/static/", KAFKA_INGRESS,
)  # fmt: skip
"""Every endpoint that takes input (body, path or query), each of which must get hostile inputs."""


def test_corpus_covers_every_category_and_endpoint(tmp_path: Path) -> None:
    with Canary(tmp_path) as canary:
        inputs = corpus(canary.refs)
        secret = canary.secret.encode()
    assert len(inputs) >= 200
    assert not REQUIRED_KINDS - set(kinds(inputs))
    assert all(count >= 3 for kind, count in kinds(inputs).items() if kind in REQUIRED_KINDS), kinds(inputs)
    missing = [e for e in ENDPOINTS if not any(i.endpoint.startswith(e) for i in inputs)]
    assert not missing
    assert [n for n, c in Counter(i.name for i in inputs).items() if c > 1] == []
    assert not any(secret in i.body or any(secret in v for _, v in i.headers) for i in inputs)
    records = [i for i in inputs if i.channel == "kafka"]
    assert len({i.message_id for i in records}) == len(records)  # each rejection can be matched to its record
    assert sum(len(i.body) > 10 * 1024 * 1024 for i in inputs) >= 5  # 10 MB+ bodies, on every channel
    assert any(len(i.body) > 10 * 1024 * 1024 for i in records)


def test_canary_detects_file_reads_and_connections(tmp_path: Path) -> None:
    """The zero figures can fail: an unsafe parser fed the corpus's XXE input reads the canary file and gets the
    secret, and a fetch of the canary URL is a counted connection."""
    with Canary(tmp_path) as canary:
        inputs = {i.name: i for i in corpus(canary.refs)}
        assert canary.file_touches() == 0
        unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
        parsed = etree.tostring(etree.fromstring(inputs["submit/xxe-file"].body, unsafe))
        assert canary.secret.encode() in parsed
        assert canary.file_touches() >= 1
        before = canary.file_touches()
        canary.file.read_bytes()
        assert canary.file_touches() > before
        assert canary.connections == 0
        with urllib.request.urlopen(canary.refs.http_url + "/x", timeout=5) as r:
            assert canary.secret.encode() in r.read()
        socket.create_connection(("127.0.0.1", canary.server.port), timeout=5).close()
        deadline = time.monotonic() + 5
        while canary.connections < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert canary.connections == 2


def test_every_hostile_input_refused(broker: EmbeddedBroker, tmp_path: Path) -> None:
    with gateway_target(tmp_path, broker.bootstrap) as target:
        result = run_hostile(target)
    report = _report(result)
    assert result.inputs >= 600  # the corpus, three times
    assert result.server_errors == 0, report
    assert result.refused == result.inputs, report
    assert result.outbound_connections == 0, report
    assert result.files_read == 0, report
    assert result.memory_growth_mb < MEMORY_GROWTH_BOUND_MB, report
    assert result.to_dict()["memory_growth_bound_mb"] == MEMORY_GROWTH_BOUND_MB  # stated with the figure
    assert hostile_problems(result.to_dict()) == [], report  # and so judged by swsim verify


def _report(result: HostileResult) -> str:
    """The figures, then each input not refused (unanswered Kafka records last: one stalled ingress explains many)."""
    figures = {k: v for k, v in result.to_dict().items() if k != "failures"}
    failures = sorted(result.failures, key=lambda f: "no receipt" in f["got"])
    lines = [f"{f['name']} [{f['endpoint'][:60]}]: {f['got'][:160]}" for f in failures[:80]]
    more = [f"... and {len(failures) - 80} more"] if len(failures) > 80 else []
    return "\n".join([json.dumps(figures), *lines, *more])
