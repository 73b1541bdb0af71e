"""Hypothesis strategies that build valid messages of any type by walking the same plans as the codecs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from stdnum import iso6346
from stdnum.cn import uscc

from schemas.envelope import Message
from schemas.leaf import Leaf
from schemas.message_types import MessageType
from schemas.plan import Plan, Slot, plan_of
from schemas.types import CST

_USCC_BODY = st.from_regex(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}", fullmatch=True)
USCCS = _USCC_BODY.map(lambda b: b + uscc.calc_check_digit(b))
CONTAINERS = st.from_regex(r"[A-Z]{3}[UJZ][0-9]{6}", fullmatch=True).map(lambda b: b + iso6346.calc_check_digit(b))
_XML_TEXT_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs",),
    exclude_characters="".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff",
)


def _datetimes() -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.replace(microsecond=d.microsecond - d.microsecond % 1000, tzinfo=CST)
    )


def leaf_strategy(leaf: Leaf) -> st.SearchStrategy[Any]:
    name = leaf.name
    if name == "USCCType":
        return USCCS
    if name == "PartyCodeType":
        return st.one_of(
            USCCS.map(lambda u: "USCI+" + u),
            st.from_regex(r"AEO\+[A-Z]{2}[0-9A-Z]{1,20}", fullmatch=True),
            st.just("9999"),
        )
    if name == "ContainerNumberType":
        return CONTAINERS
    if name == "DateTimeType":
        return _datetimes()
    if name == "DateType":
        return st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
    if leaf.base == "xs:decimal":
        assert leaf.total_digits is not None
        assert leaf.fraction_digits is not None
        whole = leaf.total_digits - leaf.fraction_digits
        top = Decimal(10**whole) - Decimal(1).scaleb(-leaf.fraction_digits)
        return st.decimals(min_value=0, max_value=top, places=leaf.fraction_digits, allow_nan=False)
    if leaf.base == "xs:int":
        return st.integers(leaf.min_inclusive, leaf.max_inclusive)
    if leaf.pattern is not None:
        return st.from_regex(f"(?:{leaf.pattern})", fullmatch=True)
    return st.text(_XML_TEXT_CHARS, min_size=leaf.min_length or 0, max_size=leaf.max_length)


def slot_strategy(slot: Slot) -> st.SearchStrategy[Any]:
    if slot.model is not None:
        one: st.SearchStrategy[Any] = plan_strategy(slot.plan)
    elif slot.enum is not None:
        one = st.sampled_from([e.value for e in slot.enum])
    else:
        assert slot.leaf is not None
        one = leaf_strategy(slot.leaf)
    if slot.many:
        return st.lists(one, min_size=slot.min_items, max_size=min(slot.max_items or 3, max(slot.min_items, 3)))
    return one


_CACHE: dict[int, st.SearchStrategy[dict[str, Any]]] = {}


def plan_strategy(plan: Plan) -> st.SearchStrategy[dict[str, Any]]:
    found = _CACHE.get(id(plan))
    if found is None:
        required = {s.name: slot_strategy(s) for s in plan.ordered if s.required}
        optional = {s.name: slot_strategy(s) for s in plan.ordered if not s.required}
        found = _CACHE[id(plan)] = st.fixed_dictionaries(required, optional=optional)
    return found


def messages(code: MessageType, model: type[Message]) -> st.SearchStrategy[Message]:
    def build(d: dict[str, Any]) -> Message:
        d["Head"]["MessageType"] = code.value
        return model.model_validate(d)

    return plan_strategy(plan_of(model)).map(build)
