"""XSD generation from the same plans and leaf facets the validator uses (one XSD per message type)."""

from __future__ import annotations

from enum import StrEnum
from xml.sax.saxutils import quoteattr

from schemas.base import Element
from schemas.leaf import Leaf
from schemas.plan import Slot, plan_of
from schemas.registry import MessageSpec


def _simple_leaf(leaf: Leaf) -> list[str]:
    out = [f'  <xs:simpleType name="{leaf.name}">']
    out.append(f"    <xs:annotation><xs:documentation>{_text(leaf.doc)}</xs:documentation></xs:annotation>")
    out.append(f'    <xs:restriction base="{leaf.base}">')
    facets: list[tuple[str, object]] = [
        ("pattern", leaf.pattern),
        ("minLength", leaf.min_length),
        ("maxLength", leaf.max_length),
        ("minInclusive", leaf.min_inclusive),
        ("maxInclusive", leaf.max_inclusive),
        ("totalDigits", leaf.total_digits),
        ("fractionDigits", leaf.fraction_digits),
    ]
    if leaf.base == "xs:decimal" and leaf.total_digits is not None and leaf.fraction_digits is not None:
        whole = leaf.total_digits - leaf.fraction_digits
        facets.append(("maxInclusive", "9" * whole + "." + "9" * leaf.fraction_digits))
    for facet, value in facets:
        if value is not None:
            out.append(f"      <xs:{facet} value={quoteattr(str(value))}/>")
    out += ["    </xs:restriction>", "  </xs:simpleType>"]
    return out


def _simple_enum(enum: type[StrEnum], restrict_to: str | None = None) -> list[str]:
    doc = (enum.__doc__ or enum.__name__).strip().splitlines()[0]
    out = [f'  <xs:simpleType name="{enum.__name__}Type">']
    out.append(f"    <xs:annotation><xs:documentation>{_text(doc)}</xs:documentation></xs:annotation>")
    out.append('    <xs:restriction base="xs:string">')
    for member in enum:
        if restrict_to is None or member.value == restrict_to:
            out.append(f"      <xs:enumeration value={quoteattr(member.value)}/>")
    out += ["    </xs:restriction>", "  </xs:simpleType>"]
    return out


def _text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def type_name(parent: type[Element], slot: Slot) -> str:
    """The (local) name of the XSD type of ``slot``'s element in ``parent`` (the XML decoder's xsi:type check)."""
    if slot.model is not None:
        return f"{slot.model.__name__}Type"
    if parent.__name__ == "Head" and slot.name == "MessageType":
        return "ThisMessageTypeType"
    if slot.enum is not None:
        return f"{slot.enum.__name__}Type"
    assert slot.leaf is not None
    return slot.leaf.name


def generate_xsd(spec: MessageSpec) -> str:
    """The XSD for one message type. ``Head/MessageType`` is restricted to this type's code."""
    models: list[type[Element]] = []
    enums: dict[str, type[StrEnum]] = {}
    leaves: dict[str, Leaf] = {}
    stack: list[type[Element]] = [spec.model]
    while stack:
        m = stack.pop(0)
        if m in models:
            continue
        models.append(m)
        for slot in plan_of(m).ordered:
            if slot.model is not None:
                stack.append(slot.model)
            elif slot.enum is not None:
                enums[slot.enum.__name__] = slot.enum
            elif slot.leaf is not None:
                leaves[slot.leaf.name] = slot.leaf
    ns = spec.namespace
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- swsim {spec.code}: {_text(spec.info.title)}. Code status: {spec.info.status}. -->",
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"',
        f'           xmlns:tns="{ns}" targetNamespace="{ns}"',
        '           elementFormDefault="qualified" attributeFormDefault="unqualified">',
        f'  <xs:element name="{spec.root}" type="tns:{spec.model.__name__}Type"/>',
    ]
    for m in models:
        out.append(f'  <xs:complexType name="{m.__name__}Type">')
        out.append("    <xs:sequence>")
        for slot in plan_of(m).ordered:
            type_ref = f"tns:{type_name(m, slot)}"
            occurs = ""
            if slot.many:
                occurs = f' minOccurs="{slot.min_items}" maxOccurs="{slot.max_items or "unbounded"}"'
            elif not slot.required:
                occurs = ' minOccurs="0"'
            out.append(f'      <xs:element name="{slot.name}" type="{type_ref}"{occurs}/>')
        out.append("    </xs:sequence>")
        out.append("  </xs:complexType>")
    for enum in enums.values():
        out += _simple_enum(enum)
    from schemas.message_types import MessageType

    out += [line.replace("MessageTypeType", "ThisMessageTypeType") for line in _simple_enum(MessageType, spec.code)]
    for leaf in leaves.values():
        out += _simple_leaf(leaf)
    out.append("</xs:schema>")
    return "\n".join(out) + "\n"
