"""Compiled layout of each model: which child elements it has, in which order, of which type.

The XML codec, the XSD generator, the error locator and the test-data strategies all walk these plans, so they
share one reading of the models.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import MaxLen, MinLen

from schemas.base import Element
from schemas.leaf import Leaf
from schemas.types import leaf_of


@dataclass(eq=False)
class Slot:
    """One child element of a model."""

    name: str  # element name / JSON key
    attr: str  # Python field name
    index: int
    required: bool
    many: bool
    min_items: int
    max_items: int | None
    model: type[Element] | None = None
    enum: type[StrEnum] | None = None
    leaf: Leaf | None = None

    child: Plan | None = None  # the plan of ``model``

    @property
    def plan(self) -> Plan:
        assert self.child is not None
        return self.child


@dataclass(eq=False)
class Plan:
    model: type[Element]
    ordered: list[Slot] = field(default_factory=list)
    by_name: dict[str, Slot] = field(default_factory=dict)
    _by_tag: dict[str, dict[str, Slot]] = field(default_factory=dict)

    def by_tag(self, nsp: str) -> dict[str, Slot]:
        """Slots keyed by qualified tag ``{namespace}Name`` (the XML decoder's hot-path lookup)."""
        found = self._by_tag.get(nsp)
        if found is None:
            found = self._by_tag[nsp] = {nsp + name: slot for name, slot in self.by_name.items()}
        return found


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` and ``X | None``; return the bare type and collected metadata."""
    meta: list[Any] = []
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            base, *extra = get_args(tp)
            meta.extend(extra)
            tp = base
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                raise TypeError(f"unsupported union {tp!r}")
            tp = args[0]
        else:
            return tp, meta


@cache
def plan_of(model: type[Element]) -> Plan:
    plan = Plan(model)
    hints = typing.get_type_hints(model, include_extras=True)
    for index, (attr, info) in enumerate(model.model_fields.items()):
        tp, meta = _unwrap(hints[attr])
        meta = list(info.metadata) + meta
        many = get_origin(tp) is list
        min_items, max_items = 0, None
        if many:
            for m in meta:
                if isinstance(m, MinLen):
                    min_items = m.min_length
                if isinstance(m, MaxLen):
                    max_items = m.max_length
            tp, item_meta = _unwrap(get_args(tp)[0])
            meta = item_meta
        name = info.alias or attr
        slot = Slot(name, attr, index, info.is_required(), many, min_items, max_items)
        if isinstance(tp, type) and issubclass(tp, Element):
            slot.model = tp
            slot.child = plan_of(tp)
        elif isinstance(tp, type) and issubclass(tp, StrEnum):
            slot.enum = tp
        else:
            slot.leaf = leaf_of(meta)
            if slot.leaf is None:
                raise TypeError(f"{model.__name__}.{attr}: every leaf must use a named type from schemas.types")
        plan.ordered.append(slot)
        plan.by_name[name] = slot
    return plan


def walk_slots(model: type[Element]) -> list[tuple[type[Element], Slot]]:
    """Every (model, slot) pair reachable from ``model`` (each model once)."""
    seen: set[type[Element]] = set()
    out: list[tuple[type[Element], Slot]] = []
    stack = [model]
    while stack:
        m = stack.pop()
        if m in seen:
            continue
        seen.add(m)
        for s in plan_of(m).ordered:
            out.append((m, s))
            if s.model is not None:
                stack.append(s.model)
    return out
