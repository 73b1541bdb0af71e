"""The one settings object. Read once from the environment (prefix ``SWSIM_``) and passed down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_HOST_PORT = r"(?:\[[0-9A-Fa-f:.]+\]|[^,\s:\[\]]+):[0-9]{1,5}"
"""One bootstrap address: a host name, an IPv4 address or a bracketed IPv6 address, then a port."""


_LISTEN = r"^[^:\s]+:(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5]?[0-9]{1,4})$"
"""HOST:PORT to listen on, the port 0 to 65535."""

PATTERN_HINTS = {
    "tax_line_cq": "expected HOST:PORT to listen on, the port 0 (a free one) to 65535",
    "tax_line_sc": "expected HOST:PORT to listen on, the port 0 (a free one) to 65535",
    "kafka_bootstrap": "expected HOST:PORT, or several separated by commas (an IPv6 host in brackets)",
    "topic_prefix": "1 to 41 letters, digits, '.', '_' or '-', the first a letter or digit",
    "ledger_url": "expected a postgresql://user:password@host:port/db URL",
    "store_url": "expected a postgresql://user:password@host:port/db URL",
    "tax_line_peer_url": "expected an http:// or https:// URL, e.g. http://127.0.0.1:8482",
}
"""What a setting that does not match its pattern should look like, said instead of the pattern itself."""


class Settings(BaseSettings):
    """Every setting the services read. Environment variable = ``SWSIM_`` + the upper-case name."""

    model_config = SettingsConfigDict(env_prefix="SWSIM_", extra="ignore", frozen=True, env_ignore_empty=True)

    kafka_bootstrap: str | None = Field(
        default=None,
        description="HOST:PORT of an external Kafka (several: comma-separated); unset = start the embedded broker.",
        pattern=f"^{_HOST_PORT}(?:,{_HOST_PORT})*$",
    )
    topic_prefix: str = Field(default="sw", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$")
    kafka_producer: Literal["kafka-python", "confluent"] = Field(
        default="kafka-python", description="Producer client: kafka-python, or librdkafka via confluent-kafka."
    )
    kafka_consumer: Literal["kafka-python", "confluent"] = Field(
        default="kafka-python",
        description="The gateway routers' consumer client: kafka-python, or librdkafka via confluent-kafka.",
    )
    ingress_partitions: int = Field(default=6, ge=1, le=128)
    replication_factor: int = Field(default=1, ge=1, le=5)
    data_dir: Path = Field(default=Path(".swsim"), description="Where ledgers and node stores live.")
    ledger_path: Path | None = Field(default=None, description="SQLite ledger file; default DATA_DIR/ledger.db.")
    ledger_url: str | None = Field(
        default=None,
        pattern=r"^postgres(ql)?://",
        description="PostgreSQL ledger (postgresql://user:password@host:port/db) shared by gateways on several hosts; "
        "unset = the SQLite file.",
    )
    store_url: str | None = Field(
        default=None,
        pattern=r"^postgres(ql)?://",
        description="PostgreSQL database for the node stores (one schema per node), for nodes running as services; "
        "unset = one SQLite file per node under DATA_DIR/nodes.",
    )
    redeliver_window_s: float = Field(
        default=3600.0,
        ge=0,
        allow_inf_nan=False,
        description="After the broker lost its state (the embedded broker restarted), messages delivered this many "
        "seconds back are routed again from the ledger (receivers de-duplicate).",
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8470, ge=1, le=65535)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    prepare_workers: int = Field(
        default=0,
        ge=0,
        le=16,
        description="Processes that authenticate, decode and validate messages for the gateway process (its HTTP "
        "path and router threads), off its interpreter lock; 0 = in the gateway process itself.",
    )
    max_batch_messages: int = Field(default=500, ge=1, le=10_000)
    network_seed: str = Field(
        default="swsim-demo-network",
        description="Seed from which the simulated parties' keys are derived (simulation only).",
    )
    registry_file: Path | None = Field(default=None, description="JSON file adding or replacing parties.")
    operator_api_key: str | None = Field(default=None, description="Operator key; default derived from the seed.")
    signature_window_s: int = Field(default=300, ge=1)
    gateway_group: str | None = Field(
        default=None, description="Consumer group of the gateway routers; default <topic_prefix>-gateway."
    )
    session_timeout_ms: int = Field(default=6000, ge=1000)
    tax_line_cq: str = Field(
        default="127.0.0.1:0",
        pattern=_LISTEN,
        description="HOST:PORT where Chongqing tax's dedicated-line endpoint (channel B) listens; port 0 = a free one.",
    )
    tax_line_sc: str = Field(
        default="127.0.0.1:0",
        pattern=_LISTEN,
        description="HOST:PORT where Sichuan tax's dedicated-line endpoint (channel B) listens; port 0 = a free one.",
    )
    tax_line_peer_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+",
        description="A tax node run alone: the other bureau's line endpoint, e.g. http://127.0.0.1:8482.",
    )
    tax_reconcile_threshold_s: float = Field(
        default=30.0,
        gt=0,
        allow_inf_nan=False,
        description="Dual-channel reconciliation: later than this is late, or missing.",
    )
    poll_max_records: int = Field(default=500, ge=1)
    heartbeat_file: Path | None = Field(
        default=None,
        description="`swsim node` touches this file at least every few seconds while its loop runs (container "
        "healthchecks look at its age).",
    )

    @field_validator("data_dir")
    @classmethod
    def _a_folder(cls, value: Path) -> Path:
        # (os.path's checks say False where Path.exists() would raise: a folder that cannot be looked into is said
        # where it is used, with the operating system's reason)
        if os.path.lexists(value) and not os.path.isdir(value):
            raise ValueError(f"{value} is a file, not a folder")
        return value

    @property
    def router_group(self) -> str:
        """One consumer group per deployment (topic prefix), so separate exchanges on one broker never mix."""
        return self.gateway_group or f"{self.topic_prefix}-gateway"

    @property
    def ledger_file(self) -> Path:
        return self.ledger_path or self.data_dir / "ledger.db"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def invalid_setting_message(e: ValidationError) -> str:
    """A settings error in one line: each setting by its name and variable, and what it expects."""
    said = []
    for err in e.errors(include_url=False):
        name = "_".join(map(str, err["loc"]))
        why = err["msg"].removeprefix("Value error, ")  # (a validator's own message)
        if err["type"] == "string_pattern_mismatch":
            why = PATTERN_HINTS.get(name, why)
        said.append(f"{name} (SWSIM_{name.upper()} or its option): {why}")
    return f"invalid setting {'; '.join(said)}"
