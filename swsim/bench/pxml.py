"""The library baseline for ``swsim bench schemas``: pydantic-xml models equivalent to ours.

Generated from the same plans as the real codec (same element names, order, cardinality and the very same
Annotated leaf types with their validators), so the comparison measures the XML binding, not different rules.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, Any

import pydantic_xml
from pydantic import BeforeValidator, PlainSerializer
from pydantic_xml.element.element import SearchMode

from schemas.base import Element
from schemas.plan import _unwrap, plan_of
from schemas.types import _date_validator, _datetime_validator, format_datetime

# pydantic-xml cannot bind a plain-validator type; these run the same parsing functions as a before-validator
_PX_DATETIME = Annotated[datetime, BeforeValidator(_datetime_validator), PlainSerializer(format_datetime)]
_PX_DATE = Annotated[date, BeforeValidator(_date_validator), PlainSerializer(lambda d: d.strftime("%Y%m%d"))]


@cache
def equivalent(model: type[Element], ns: str) -> Any:
    import typing

    hints = typing.get_type_hints(model, include_extras=True)
    fields: dict[str, Any] = {}
    for slot in plan_of(model).ordered:
        if slot.model is not None:
            inner: Any = equivalent(slot.model, ns)
        else:
            inner, _ = _unwrap(hints[slot.attr])
            if slot.many:
                inner = typing.get_args(inner)[0]
            else:
                inner = hints[slot.attr]
                inner, _ = _unwrap(inner) if slot.enum else (inner, None)
            if slot.leaf is not None and slot.leaf.name == "DateTimeType":
                inner = _PX_DATETIME
            elif slot.leaf is not None and slot.leaf.name == "DateType":
                inner = _PX_DATE
        tp: Any = list[inner] if slot.many else inner
        if not slot.required and not slot.many:
            tp = tp | None
        default: Any = ... if slot.required else ([] if slot.many else None)
        fields[slot.attr] = (tp, pydantic_xml.element(tag=slot.name, default=default))
    return pydantic_xml.create_model(
        "PX" + model.__name__,
        __base__=pydantic_xml.BaseXmlModel,
        __tag__=getattr(model, "ROOT", model.__name__) if hasattr(model, "ROOT") else model.__name__,
        __ns__="",
        __nsmap__={"": ns},
        __search_mode__=SearchMode.STRICT,
        **fields,
    )
