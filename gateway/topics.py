"""Topic names of the exchange (one prefix per deployment or test)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    prefix: str = "sw"

    @property
    def ingress(self) -> str:
        """Parties publish here; key = consignment/document reference so one consignment stays ordered."""
        return f"{self.prefix}.ingress"

    def inbox(self, party: str) -> str:
        """Where the gateway delivers messages and receipts addressed to ``party``."""
        return f"{self.prefix}.inbox.{party}"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}.deadletter"

    @property
    def generation(self) -> str:
        """One record: the broker's generation (see swsim/transport/generation.py)."""
        return f"{self.prefix}.generation"

    @property
    def events(self) -> str:
        """Everything the gateway did, for the dashboard, the recorder and tracing."""
        return f"{self.prefix}.events"

    @property
    def tasks(self) -> str:
        """Work orders for nodes that file on their own initiative (the carrier under the conformance kit)."""
        return f"{self.prefix}.conformance.tasks"

    @property
    def conformance_role(self) -> str:
        """The role the conformance kit tests on this prefix (its first record; see swsim/conformance/runner.py)."""
        return f"{self.prefix}.conformance.role"
