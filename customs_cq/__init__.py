"""Chongqing customs node, 关区 8000: the shared customs engine configured for this office."""

from __future__ import annotations

from swsim.customs.engine import CustomsHandler

OFFICE = "8000"
NAME = "Chongqing Customs (simulated)"


def handler() -> CustomsHandler:
    return CustomsHandler(OFFICE, NAME, peers=["7900"])
