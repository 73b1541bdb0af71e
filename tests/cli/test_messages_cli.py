"""``swsim samples``, ``swsim schemas``, ``swsim validate``: files written, exit codes, machine output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kafka import KafkaConsumer
from typer.testing import CliRunner

from schemas.registry import SPECS
from swsim.broker import EmbeddedBroker
from swsim.cli import app

runner = CliRunner()


def test_samples_then_validate_all_valid(tmp_path: Path) -> None:
    result = runner.invoke(app, ["samples", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    xml = sorted((tmp_path / "xml").glob("*.xml"))
    js = sorted((tmp_path / "json").glob("*.json"))
    assert len(xml) == len(js) == len(SPECS)
    assert f"to {tmp_path / 'xml'} and {tmp_path / 'json'}" in result.output
    result = runner.invoke(app, ["validate", str(tmp_path / "xml"), str(tmp_path / "json")])
    assert result.exit_code == 0, result.output
    assert f"{2 * len(SPECS)} valid, 0 invalid" in result.output


def test_validate_invalid_exits_1_and_points_at_the_element(tmp_path: Path) -> None:
    runner.invoke(app, ["samples", "--out", str(tmp_path)])
    good = tmp_path / "xml" / "MT2101.xml"
    bad = tmp_path / "bad.xml"
    bad.write_text(good.read_text().replace("<ID>CNCTU</ID>", "<ID>CNXXX</ID>", 1))
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert "UNKNOWN_LOCODE at /Manifest/Declaration/Consignment[1]/LoadingLocation/ID line" in result.output
    assert "1 valid, 1 invalid" in result.output


def test_validate_writes_each_error_on_one_line_into_a_pipe(tmp_path: Path) -> None:
    """Into a pipe (a script, grep) rich would wrap at 80 columns: each error stays on one line, however long."""
    exe = shutil.which("swsim", path=str(Path(sys.executable).parent))
    assert exe is not None
    subprocess.run([exe, "samples", "--out", str(tmp_path)], check=True, capture_output=True)
    bad = tmp_path / ("a-file-name-long-enough-to-push-the-lines-past-eighty-columns" * 2 + ".xml")
    bad.write_text((tmp_path / "xml" / "MT2101.xml").read_text().replace("<ID>CNCTU</ID>", "<ID>CNXXX</ID>", 1))
    done = subprocess.run(
        [exe, "validate", str(bad)], capture_output=True, text=True, env={"COLUMNS": "80", "PATH": ""}
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("invalid ")
    assert lines[0].endswith("(1 error(s))")
    [error] = [line for line in lines if "UNKNOWN_LOCODE" in line]
    assert "/LoadingLocation/ID line " in error
    assert "'CNXXX' is not in the Locode code list: use one of" in error
    assert lines[-1] == "0 valid, 1 invalid"


def test_validate_json_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Head": {"MessageType": "MT2101"}}')
    result = runner.invoke(app, ["validate", "--json", str(bad)])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["invalid"] == 1
    entry = doc["files"][0]
    assert entry["valid"] is False
    assert entry["format"] == "json"
    codes = {(e["code"], e["location"]) for e in entry["errors"]}
    assert ("REQUIRED_MISSING", "/Head/MessageID") in codes
    assert ("REQUIRED_MISSING", "/Declaration") in codes


def test_validate_json_names_the_type_of_an_invalid_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    runner.invoke(app, ["samples", "--out", str(tmp_path)])
    bad.write_text((tmp_path / "xml" / "MT2101.xml").read_text().replace("<ID>CNCTU</ID>", "<ID>CNXXX</ID>", 1))
    doc = json.loads(runner.invoke(app, ["validate", "--json", str(bad)]).output)
    assert doc["files"][0]["message_type"] == "MT2101"
    assert [e["code"] for e in doc["files"][0]["errors"]] == ["UNKNOWN_LOCODE"]


def test_validate_keeps_an_error_on_one_line_when_the_value_holds_a_line_break(tmp_path: Path) -> None:
    runner.invoke(app, ["samples", "--out", str(tmp_path)])
    bad = tmp_path / "bad.xml"
    bad.write_text((tmp_path / "xml" / "MT2101.xml").read_text().replace("<ReceiverID>", "<ReceiverID>\n", 1))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1, result.output
    [error] = [line for line in result.output.splitlines() if "FORMAT_INVALID" in line]
    assert "/Head/ReceiverID" in error
    assert "'\\n" in error  # the quoted value's line break, written as an escape


def test_validate_reports_an_unreadable_file_and_goes_on(tmp_path: Path) -> None:
    """A pipe (which would block), a file over the limit (not read at all) and a valid file, in one run."""
    runner.invoke(app, ["samples", "--out", str(tmp_path)])
    good = tmp_path / "xml" / "MT2101.xml"
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    big = tmp_path / "big.json"
    limit = good.stat().st_size
    big.write_bytes(b"a" * (limit + 1))  # over the limit: refused as too large, not sniffed as FORMAT_UNKNOWN
    result = runner.invoke(app, ["validate", "--json", "--max-bytes", str(limit), str(good), str(fifo), str(big)])
    assert result.exit_code == 2, result.output
    doc = json.loads(result.output)
    assert (doc["valid"], doc["invalid"], doc["unreadable"]) == (1, 1, 1)
    codes = [[e["code"] for e in f["errors"]] for f in doc["files"]]
    assert codes == [[], ["FILE_UNREADABLE"], ["PAYLOAD_TOO_LARGE"]]
    text = runner.invoke(app, ["validate", str(good), str(fifo)])
    assert text.exit_code == 2
    assert f"unreadable {fifo}: not a regular file" in " ".join(text.output.split())
    assert text.exception is None or isinstance(text.exception, SystemExit)


def test_validate_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.xml")])
    assert result.exit_code == 2


def test_validate_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2


def test_schemas_written_and_indexed(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schemas", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    index = json.loads((tmp_path / "index.json").read_text())
    assert {e["message_type"] for e in index} == {c.value for c in SPECS}
    for entry in index:
        assert (tmp_path / entry["xsd"]).read_text().startswith("<?xml")
        assert json.loads((tmp_path / entry["json_schema"]).read_text())["title"].startswith(entry["message_type"])


def test_bench_schemas_json_keys() -> None:
    result = runner.invoke(app, ["bench", "schemas", "--json", "--seconds", "0.3", "--rounds", "1"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    for key in ("xml_msgs_per_s", "json_msgs_per_s", "pydantic_xml_msgs_per_s", "xml_vs_pydantic_xml"):
        assert doc[key] > 0
    assert 4096 <= doc["xml_bytes"] <= 5120
    # the ratio is computed from unrounded rates: compare with the rounding of the printed rates in mind
    assert doc["xml_vs_pydantic_xml"] == pytest.approx(doc["xml_msgs_per_s"] / doc["pydantic_xml_msgs_per_s"], abs=0.01)


def test_installed_entry_point_runs_the_readme_main_job(tmp_path: Path) -> None:
    """The README's main job (until the demo exists): `swsim samples` then `swsim validate` on them."""
    exe = shutil.which("swsim", path=str(Path(sys.executable).parent))
    assert exe is not None, "the swsim entry point is installed with the package"
    subprocess.run([exe, "samples", "--out", str(tmp_path)], check=True, capture_output=True)
    done = subprocess.run(
        [exe, "validate", str(tmp_path / "xml"), str(tmp_path / "json")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_bench_gateway_json_keys() -> None:
    """`swsim bench gateway --quick --json` runs end to end (gateway processes) and reports its keys. It swaps every
    client from its default (the gateway's to librdkafka, the load generator's to kafka-python), gives the gateway a
    prepare worker process and measures on a broker given with --bootstrap: the default clients are those of every
    other gateway test, and the embedded broker the bench otherwise starts is the one every broker test starts (one
    run of the bench per variant cost about 27 s of the suite)."""
    exe = shutil.which("swsim", path=str(Path(sys.executable).parent))
    assert exe is not None
    clients = ["--producer", "confluent", "--consumer", "confluent", "--load-client", "kafka-python"]
    with EmbeddedBroker() as broker:  # given with --bootstrap, as a Kafka of the user's would be
        given = ["--bootstrap", broker.bootstrap]
        done = subprocess.run(
            [exe, "bench", "gateway", "--quick", "--json", *clients, "--prepare-workers", "1", *given],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        reader = KafkaConsumer(bootstrap_servers=broker.bootstrap)
        topics = reader.topics()
        reader.close()
    doc = json.loads(done.stdout)
    assert doc["broker"] == "external"
    assert any(t.startswith("benchh") and t.endswith(".ingress") for t in topics)  # the served gateways' topics
    assert (doc["gateway_producer"], doc["gateway_consumer"]) == ("confluent", "confluent")
    assert doc["e2e_load_client"] == "kafka-python"
    assert doc["prepare_workers"] == 1
    assert doc["http_connections"] == 16
    for key in ("router_msgs_per_s", "passthrough_msgs_per_s", "router_vs_passthrough", "http_single_per_s",
                "http_bare_per_s", "http_vs_bare", "http_batch_vs_single", "e2e_p50_ms", "e2e_p99_ms"):  # fmt: skip
        assert doc[key] > 0, key
    assert doc["e2e_receipted"] == doc["e2e_sent"]
    thirds = doc["e2e_thirds"]  # the same latencies, split by send time: the whole median lies within theirs
    assert len(thirds) == 3
    assert sum(t["n"] for t in thirds) == doc["e2e_receipted"]
    assert max(t["n"] for t in thirds) - min(t["n"] for t in thirds) <= 1  # cut by send order into equal parts
    assert all(0 < t["p50_ms"] <= t["p99_ms"] for t in thirds)
    assert min(t["p50_ms"] for t in thirds) * 0.99 <= doc["e2e_p50_ms"] <= max(t["p50_ms"] for t in thirds) * 1.01
    assert doc["router_vs_passthrough"] == pytest.approx(
        doc["router_msgs_per_s"] / doc["passthrough_msgs_per_s"], abs=0.002
    )
    assert 0 <= doc["steal_pct"] <= 100  # this machine has /proc/stat
    assert 0 <= doc["e2e_steal_pct"] <= 100
    assert doc["rounds"] == 1  # --quick: one round unless --rounds says otherwise
    [only] = doc["rounds_detail"]
    assert only["http_vs_bare"] == pytest.approx(doc["http_vs_bare"], abs=0.002)


def test_bench_gateway_refuses_an_unknown_client() -> None:
    exe = shutil.which("swsim", path=str(Path(sys.executable).parent))
    assert exe is not None
    for option in ("--consumer", "--load-client"):
        done = subprocess.run([exe, "bench", "gateway", option, "nope"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert f"{option} is confluent or kafka-python" in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["samples", "schemas"])
def test_writing_into_a_file_instead_of_a_folder_is_a_clear_error(tmp_path: Path, command: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out in (afile, afile / "sub"):
        result = runner.invoke(app, [command, "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert "cannot write to" in result.output
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert afile.read_text() == "x"


@pytest.mark.parametrize("limit", ["-5", "0"])
def test_validate_refuses_a_max_bytes_that_is_not_positive(tmp_path: Path, limit: str) -> None:
    runner.invoke(app, ["samples", "--out", str(tmp_path)])
    result = runner.invoke(app, ["validate", "--max-bytes", limit, str(tmp_path / "json" / "MT9999.json")])
    assert result.exit_code == 2, result.output
    assert "--max-bytes" in result.output
    assert "invalid" not in result.output.lower().replace("invalid value", "")
