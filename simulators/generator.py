"""Deterministic traffic: coherent consignment chains on the real Sichuan–Chongqing corridors (synthetic parties).

For a given seed, rate and duration the generator yields the same messages at the same offsets. Flows:

- ``rail-export``: China-Europe Railway Express from Chengdu (7900) or Chongqing (8000): rail pre-manifest,
  export declaration, arrival (运抵), through-transport to the Alashankou border exit (9402), arrival there;
- ``corridor-import``: land-sea corridor import Qinzhou (7200) -> Chongqing (8000): sea manifest, tally,
  through-transport, arrival, import declaration;
- ``barge-export``: Yangtze barges from Guoyuan (8000), Luzhou or Yibin (7900) to Shanghai under a multimodal
  waybill: waybill, export declaration, leg hand-over and arrival;
- ``air-export``: air cargo from Chengdu (7900): air pre-manifest, export declaration, arrival;
- ``tax-record``: a tax registration record from one bureau to the other (channel A only: through the gateway).

Outcomes are mixed by document-number prefixes (the customs magic values, README): by default 90% plain.
Messages are spread at exactly ``rate`` per second; several consignments are in flight at once, each in order.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from schemas import codes as c
from schemas.codes import FunctionCode
from schemas.envelope import Head, Message
from schemas.message_types import MessageType
from schemas.samples import BASE_TIME
from simulators.recording import Entry
from swsim.demo.scenarios import declaration, leg_event, manifest, registration, transit, waybill
from swsim.network import TAX_CQ, TAX_SC, Role, default_parties
from swsim.node.runtime import Context

DEFAULT_MIX: dict[str, float] = {"": 0.90, "REJ": 0.02, "HOLD": 0.02, "INSP": 0.03, "RISK": 0.01, "SEAL": 0.01,
                                 "DLY": 0.01}  # fmt: skip
"""Share of consignments per document-number prefix ('' = no magic value: the plain path)."""
FLOW_WEIGHTS: dict[str, float] = {"rail-export": 0.35, "corridor-import": 0.25, "barge-export": 0.2,
                                  "air-export": 0.15, "tax-record": 0.05}  # fmt: skip
IN_FLIGHT = 8
"""Consignments interleaved at any moment."""


@dataclass(frozen=True, slots=True)
class Planned:
    offset_s: float
    sender: str
    message: Message

    @property
    def key(self) -> str:
        return str(self.message.head.correlation_id or self.message.head.message_id)


class _Ctx:
    """What the scenario builders need from a node context: a clock reading and message heads."""

    def __init__(self, sender: str, numbers: dict[str, int], now: datetime) -> None:
        self.sender, self.numbers, self.now = sender, numbers, now

    @property
    def party_id(self) -> str:
        return self.sender

    def head(
        self, mt: MessageType, receiver: str, correlation: str | None = None, causation: str | None = None
    ) -> Head:
        n = self.numbers[self.sender] = self.numbers.get(self.sender, 0) + 1
        return Head(message_id=f"{self.sender}-G{n:09d}", function_code=FunctionCode.ORIGINAL, message_type=mt,
                    sender_id=self.sender, receiver_id=receiver, send_time=self.now, correlation_id=correlation,
                    causation_id=causation)  # fmt: skip


Step = tuple[str, Callable[[Context], Message]]


class Generator:
    def __init__(self, seed: int = 1, network_seed: str = "swsim-demo-network", mix: dict[str, float] | None = None):
        self.seed = seed
        self.rng = random.Random(seed)
        self.mix = mix or DEFAULT_MIX
        parties = default_parties(network_seed)
        self.traders = [p.id for p in parties if p.role == Role.TRADER]
        self.carriers = [p.id for p in parties if p.role == Role.CARRIER]
        self.numbers: dict[str, int] = {}
        self._bills = 0

    def _bill(self, flow: str) -> str:
        self._bills += 1
        prefixes, weights = zip(*self.mix.items(), strict=True)
        magic = self.rng.choices(prefixes, weights)[0]
        return f"{magic}SW{flow[:2].upper()}{self.seed % 1000:03d}{self._bills:08d}"

    def _chain(self, flow: str) -> list[Step]:
        r = self.rng
        trader, carrier = r.choice(self.traders), r.choice(self.carriers)
        bill = self._bill(flow)
        n = self._bills  # declaration and transit serials follow the consignment number: deterministic
        if flow == "rail-export":
            office = r.choice(("7900", "8000"))
            here = c.Locode.CNCTU if office == "7900" else c.Locode.CNCKG
            return [
                (carrier, lambda x: manifest(x, MessageType.MT2301, office, bill, c.Locode.PLMAA)),
                (trader, lambda x: declaration(x, office, bill, importing=False, serial=n)),
                (carrier, lambda x: manifest(x, MessageType.MT3301, office, bill, here)),
                (trader, lambda x: transit(x, office, "9402", bill, days=10, serial=n)),
                (carrier, lambda x: manifest(x, MessageType.MT3301, "9402", bill, c.Locode.CNAKL)),
            ]
        if flow == "corridor-import":
            return [
                (carrier, lambda x: manifest(x, MessageType.MT1101, "7200", bill, c.Locode.CNQZH)),
                (carrier, lambda x: manifest(x, MessageType.MT5101, "7200", bill, c.Locode.CNQZH)),
                (trader, lambda x: transit(x, "7200", "8000", bill, serial=n)),
                (carrier, lambda x: manifest(x, MessageType.MT3301, "8000", bill, c.Locode.CNCKG)),
                (trader, lambda x: declaration(x, "8000", bill, importing=True, serial=n)),
            ]
        if flow == "barge-export":
            office = r.choice(("8000", "7900", "7900"))  # Guoyuan; Luzhou or Yibin
            barge = self.carriers[-1]
            return [
                (trader, lambda x: waybill(x, office, bill)),
                (trader, lambda x: declaration(x, office, bill, importing=False, serial=n)),
                (carrier, lambda x: leg_event(x, office, bill, 1, c.LegStatus.HANDED_OVER, c.Locode.CNCKG)),
                (barge, lambda x: leg_event(x, office, bill, 2, c.LegStatus.ARRIVED, c.Locode.CNSHA)),
            ]
        if flow == "air-export":
            return [
                (carrier, lambda x: manifest(x, MessageType.MT2201, "7900", bill, c.Locode.PLLOD)),
                (trader, lambda x: declaration(x, "7900", bill, importing=False, serial=n)),
                (carrier, lambda x: manifest(x, MessageType.MT3201, "7900", bill, c.Locode.CNCTU)),
            ]
        bureau = r.choice((TAX_CQ, TAX_SC))
        peer = TAX_SC if bureau == TAX_CQ else TAX_CQ
        uscc = _uscc(r, "500000" if bureau == TAX_CQ else "510100")

        def record(x: Context) -> Message:
            from schemas.tax import RegistrationMessage

            body = registration(x, bureau, uscc, c.RefundClass.CLASS_1)
            return RegistrationMessage(head=x.head(MessageType.TX101, peer, body.record.record_id), declaration=body)

        return [(bureau, record)]

    def plan(self, rate: float, duration_s: float) -> Iterator[Planned]:
        """``rate`` messages per second for ``duration_s`` seconds, in send order."""
        if rate <= 0 or duration_s <= 0:
            raise ValueError("rate and duration must be positive")
        total = int(rate * duration_s)
        flows, weights = zip(*FLOW_WEIGHTS.items(), strict=True)
        active: list[list[Step]] = []
        for i in range(total):
            while len(active) < IN_FLIGHT:
                active.append(self._chain(self.rng.choices(flows, weights)[0]))
            chain = active[self.rng.randrange(len(active))]
            sender, build = chain.pop(0)
            if not chain:
                active.remove(chain)
            offset = i / rate
            ctx = _Ctx(sender, self.numbers, BASE_TIME + timedelta(seconds=offset))
            yield Planned(offset, sender, build(cast(Context, ctx)))


def _uscc(r: random.Random, region: str) -> str:
    from schemas.synthetic import make_uscc

    return make_uscc(r, region)


def entries(gen: Generator, rate: float, duration_s: float, ingress: str, t0: float = 0.0) -> Iterator[Entry]:
    """The planned traffic as recording entries (JSON bodies; ``t`` = ``t0`` + offset), ready to write or send."""
    from schemas.codec import encode

    for p in gen.plan(rate, duration_s):
        headers = [("sw-sender", p.sender.encode()), ("sw-message-id", p.message.head.message_id.encode())]
        yield Entry(t0 + p.offset_s, ingress, p.key.encode(), headers, encode(p.message, "json"))
