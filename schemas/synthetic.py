"""Synthetic identifiers with correct check characters (never real companies' codes; DOMAIN.md §3)."""

from __future__ import annotations

import random

from stdnum import iso6346
from stdnum.cn import uscc as stdnum_uscc

_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(rng: random.Random, region: str = "500000") -> str:
    """A synthetic USCC: '91' (market regulator, company) + 6-digit region + 9 random + check character."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError("region is a 6-digit administrative division code, e.g. 500000 Chongqing")
    body = "91" + region + "".join(rng.choice(_ORG_CHARS) for _ in range(9))
    return body + stdnum_uscc.calc_check_digit(body)


def make_container(rng: random.Random, owner: str = "SWS") -> str:
    """A synthetic ISO 6346 container number with its check digit (owner code 'SWS' + U)."""
    body = owner + "U" + "".join(rng.choice("0123456789") for _ in range(6))
    return body + iso6346.calc_check_digit(body)


def make_org_sender(rng: random.Random, customs: str = "8000") -> str:
    """A trader/carrier exchange ID: customs code + the 9-character organisation part of a synthetic USCC."""
    return customs + make_uscc(rng)[8:17]
