"""Chengdu customs node, 关区 7900: the shared customs engine configured for this office."""

from __future__ import annotations

from swsim.customs.engine import CustomsHandler

OFFICE = "7900"
NAME = "Chengdu Customs (simulated)"


def handler() -> CustomsHandler:
    return CustomsHandler(OFFICE, NAME, peers=["8000"])
