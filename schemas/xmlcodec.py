"""XML encoding: safe parsing of untrusted input, plan-driven decoding, and string-built encoding.

Decoding never resolves entities, loads DTDs or touches the network; a DOCTYPE is refused outright; the body is
size-capped before parsing. Every structural problem is collected (not only the first) and merged with pydantic's
value errors, each located by XPath and line.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from lxml import etree
from pydantic import ValidationError

from schemas.envelope import Message
from schemas.errors import Issue, MessageError
from schemas.locate import Loc, issues_from
from schemas.plan import Plan, plan_of
from schemas.registry import BY_NAMESPACE, MessageSpec
from schemas.xsd import type_name
from schemas.xsi import CHECKED, attribute_problem

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32


def _line(el: etree._Element) -> int | None:
    line: int | None = el.sourceline  # type: ignore[assignment]  # lxml-stubs declare it loosely
    return line


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=False,
        collect_ids=False,
        recover=False,
    )


_PARSER = _parser()
_DECLARED_ENCODING = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)["']""").match


def parse_untrusted(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse bytes into an element tree, refusing anything unsafe. Raises :class:`MessageError`."""
    if not data or data.isspace():
        raise MessageError([Issue("EMPTY_BODY", "send a message: the body is empty", "/")])
    if len(data) > max_bytes:
        raise MessageError(
            [Issue("PAYLOAD_TOO_LARGE", f"the message has {len(data)} bytes; the limit is {max_bytes}", "/")]
        )
    starts = [i for i in (data.find(b"<!DOCTYPE"), data.find(b"<!ENTITY")) if i >= 0]
    if starts:
        text = "remove the DOCTYPE: DTDs and entity declarations are not allowed"
        raise MessageError([Issue("XML_DOCTYPE_FORBIDDEN", text, "/", data.count(b"\n", 0, min(starts)) + 1)])
    declared = _DECLARED_ENCODING(data)
    if declared is not None and declared.group(1).upper().replace(b"-", b"") != b"UTF8":
        name = declared.group(1).decode("ascii", "replace")
        raise MessageError([Issue("ENCODING_INVALID", f"the XML declares encoding {name}: use UTF-8", "/", 1)])
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        text = str(e.msg or e)
        code = "XML_MALFORMED"
        if "Entity" in text or "entity" in text:
            code = "XML_ENTITY_FORBIDDEN"
            text += ": only &lt; &gt; &amp; &quot; &apos; and character references are allowed"
        elif "depth" in text.lower():
            code = "XML_TOO_DEEP"
            text = f"elements are nested deeper than the parser allows: nest at most {MAX_DEPTH} levels"
        elif "encoding" in text.lower() or "UTF-8" in text:
            code = "ENCODING_INVALID"
            text += ": send UTF-8"
        raise MessageError([Issue(code, text, "/", e.lineno or None)]) from None
    info = root.getroottree().docinfo
    if info.encoding and info.encoding.upper().replace("-", "") != "UTF8":
        raise MessageError([Issue("ENCODING_INVALID", f"the XML declares encoding {info.encoding}: use UTF-8", "/", 1)])
    for where, siblings in (("before", root.itersiblings(preceding=True)), ("after", root.itersiblings())):
        for sibling in siblings:
            if isinstance(sibling, etree._ProcessingInstruction):
                text = f"remove the processing instruction {where} the root element"
                raise MessageError([Issue("XML_PI_FORBIDDEN", text, "/", _line(sibling) or 1)])
    return root


class _Walker:
    """Turns an element tree into the dict pydantic validates, noting structural issues as it goes."""

    __slots__ = ("issues", "ns", "nsp", "root")

    def __init__(self, root: etree._Element, ns: str) -> None:
        self.root = root
        self.ns = ns
        self.nsp = "{" + ns + "}"
        self.issues: list[tuple[str, str, etree._Element]] = []

    def walk(self, el: etree._Element, plan: Plan, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if depth > MAX_DEPTH:
            self.issues.append(("XML_TOO_DEEP", f"elements are nested deeper than {MAX_DEPTH} levels", el))
            return out
        if el.attrib:
            self._attrib(el, f"{plan.model.__name__}Type")
        text = el.text
        if text is not None and not text.isspace():
            self.issues.append(("UNEXPECTED_TEXT", "remove the text: this element only holds child elements", el))
        nsp = self.nsp
        cut = len(nsp)
        by_name = plan.by_name
        last = -1
        for child in el:
            if isinstance(child, etree._ProcessingInstruction):
                self.issues.append(("XML_PI_FORBIDDEN", "remove the processing instruction", el))
                continue
            tag = child.tag
            tail = child.tail
            if tail is not None and not tail.isspace():
                self.issues.append(("UNEXPECTED_TEXT", "remove the text between elements", el))
            if not tag.startswith(nsp):
                ns, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
                self.issues.append(
                    (
                        "WRONG_NAMESPACE",
                        f"element {local} is in namespace {ns or '(none)'!r}: put it in {self.ns!r} "
                        "(declare xmlns on the root element)",
                        child,
                    )
                )
                continue
            local = tag[cut:]
            slot = by_name.get(local)
            if slot is None:
                allowed = ", ".join(s.name for s in plan.ordered)
                self.issues.append(("UNKNOWN_ELEMENT", f"remove {local}: allowed here are {allowed}", child))
                continue
            if slot.index < last:
                self.issues.append(
                    ("ELEMENT_OUT_OF_ORDER", f"move {local}: the schema's order is {_order(plan)}", child)
                )
            elif slot.index == last and not slot.many:
                self.issues.append(("DUPLICATE_ELEMENT", f"{local} may occur only once: remove the repeat", child))
                continue
            else:
                last = slot.index
            if slot.model is not None:
                value: Any = self.walk(child, slot.plan, depth + 1)
            else:
                if len(child):
                    self.issues.append(("UNKNOWN_ELEMENT", f"{local} holds a value, not child elements", child))
                if child.attrib:
                    self._attrib(child, type_name(plan.model, slot))
                value = child.text if child.text is not None else ""
            if slot.many:
                lst = out.get(local)
                if lst is None:
                    out[local] = [value]
                else:
                    lst.append(value)
            else:
                out[local] = value
        return out

    def _attrib(self, el: etree._Element, type_name: str) -> None:
        problem = attribute_problem(el, self.ns, type_name)
        if problem is not None:
            self.issues.append(("UNEXPECTED_ATTRIBUTE", problem, el))


class _Bail(Exception):
    """The fast path met something unusual: let the diagnostic walker describe it."""


# one C-level scan for what the fast walk does not look at: attributes (but the xsi: location hints, which are
# allowed anywhere and ignored) and processing instructions
_ANOMALIES = etree.XPath(f"boolean({CHECKED} | //processing-instruction())")
_COUNT = etree.XPath("count(//*)")


# per (plan, namespace): qualified tag -> (index, many, child table or None, element name)
_Table = dict[str, tuple[int, bool, Any, str]]
_TABLES: dict[tuple[int, str], _Table] = {}


def _table(plan: Plan, nsp: str) -> _Table:
    key = (id(plan), nsp)
    found = _TABLES.get(key)
    if found is None:
        found = _TABLES[key] = {
            nsp + s.name: (s.index, s.many, _table(s.child, nsp) if s.child is not None else None, s.name)
            for s in plan.ordered
        }
    return found


def _fast_walk(el: etree._Element, tags: _Table, seen: list[int], depth: int) -> dict[str, Any]:
    """The optimistic walk: raises :class:`_Bail` at the first thing that is not plainly valid."""
    if depth > MAX_DEPTH:
        raise _Bail
    out: dict[str, Any] = {}
    last = -1
    n = 0
    for child in el:
        entry = tags.get(child.tag)
        if entry is None:
            raise _Bail
        idx, many, sub, name = entry
        if idx <= last and (idx < last or not many):
            raise _Bail
        last = idx
        n += 1
        tail = child.tail
        if tail is not None and not tail.isspace():
            raise _Bail
        if sub is not None:
            text = child.text
            if text is not None and not text.isspace():
                raise _Bail
            value: Any = _fast_walk(child, sub, seen, depth + 1)
        else:
            value = child.text
            if value is None:
                value = ""
        if many:
            lst = out.get(name)
            if lst is None:
                out[name] = [value]
            else:
                lst.append(value)
        else:
            out[name] = value
    seen[0] += n
    return out


def _order(plan: Plan) -> str:
    return ", ".join(s.name for s in plan.ordered)


def _xpath(root: etree._Element, el: etree._Element, root_plan: Plan) -> str:
    chain = []
    node: etree._Element | None = el
    while node is not None:
        chain.append(node)
        node = node.getparent()
    chain.reverse()
    parts = ["/" + etree.QName(root).localname]
    plan: Plan | None = root_plan
    for parent, child in pairwise(chain):
        local = etree.QName(child).localname
        slot = plan.by_name.get(local) if plan is not None else None
        if slot is not None and slot.many:
            same = [c for c in parent if c.tag == child.tag]
            parts.append(f"/{local}[{same.index(child) + 1}]")
        else:
            parts.append("/" + local)
        plan = slot.plan if slot is not None and slot.model is not None else None
    return "".join(parts)


def locate_xml(root: etree._Element, ns: str, loc: Loc) -> tuple[str, int | None]:
    """XPath and line of the element a pydantic ``loc`` points at (or of its nearest existing ancestor)."""
    nsp = "{" + ns + "}"
    el = root
    path = "/" + etree.QName(root).localname
    found = True
    i = 0
    while i < len(loc):
        part = loc[i]
        index = loc[i + 1] if i + 1 < len(loc) and isinstance(loc[i + 1], int) else None
        i += 2 if index is not None else 1
        if isinstance(part, int):
            continue
        path += f"/{part}[{int(index) + 1}]" if index is not None else f"/{part}"
        if found:
            children = [c for c in el if c.tag == nsp + part]
            pos = int(index) if index is not None else 0
            if pos < len(children):
                el = children[pos]
            else:
                found = False
    return path, _line(el)


def decode_xml(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, rules: bool = True) -> tuple[Message, MessageSpec]:
    root = parse_untrusted(data, max_bytes)
    tag = root.tag
    ns, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
    spec = BY_NAMESPACE.get(ns)
    if spec is None:
        raise MessageError(
            [
                Issue(
                    "UNKNOWN_MESSAGE_TYPE",
                    f"namespace {ns or '(none)'!r} names no message type: use "
                    "urn:Declaration:datamodel:standard:CN:<MessageType>:1 for customs manifests "
                    "(e.g. MT2101) or urn:swsim:datamodel:<MessageType>:1 for the others",
                    "/" + local,
                    _line(root),
                )
            ]
        )
    if local != spec.root:
        raise MessageError(
            [
                Issue(
                    "WRONG_ROOT_ELEMENT",
                    f"{spec.code} messages have root element {spec.root}, not {local}",
                    "/" + local,
                    _line(root),
                )
            ]
        )
    plan = plan_of(spec.model)
    issues: list[Issue] = []
    tree: dict[str, Any] | None = None
    try:
        seen = [1]
        if root.text is not None and not root.text.isspace():
            raise _Bail
        tree = _fast_walk(root, _table(plan, "{" + ns + "}"), seen, 1)
        if _ANOMALIES(root) or _COUNT(root) != seen[0]:
            tree = None
    except _Bail:
        tree = None
    if tree is None:
        walker = _Walker(root, ns)
        tree = walker.walk(root, plan, 1)
        issues = [Issue(code, msg, _xpath(root, el, plan), _line(el)) for code, msg, el in walker.issues]
    model: Message | None = None
    try:
        model = spec.model.model_validate(tree, by_alias=True, by_name=False)
    except ValidationError as exc:
        issues.extend(issues_from(exc, plan, lambda loc: locate_xml(root, ns, loc)))
    if model is not None:
        mt = model.head.message_type
        if mt != spec.code:
            where, line = locate_xml(root, ns, ("Head", "MessageType"))
            issues.append(
                Issue(
                    "MESSAGE_TYPE_MISMATCH",
                    f"Head/MessageType is {mt} but the namespace is that of {spec.code}: make them agree",
                    where,
                    line,
                )
            )
        from schemas.rules import check_rules

        if rules:
            issues.extend(Issue(code, msg, *locate_xml(root, ns, loc)) for code, msg, loc in check_rules(model))
    if issues:
        raise MessageError(_dedupe(issues), spec.code.value)
    assert model is not None
    return model, spec


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[str, str]] = set()
    out = []
    for i in issues:
        key = (i.code, i.location)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def _esc(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _scalar(v: Any) -> str:
    if isinstance(v, str):
        return _esc(v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _emit(out: list[str], data: dict[str, Any], plan: Plan, indent: str | None, level: int) -> None:
    pad = "" if indent is None else "\n" + indent * level
    for slot in plan.ordered:
        value = data.get(slot.name)
        if value is None:
            continue
        values = value if slot.many else (value,)
        name = slot.name
        for v in values:
            if slot.model is not None:
                out.append(f"{pad}<{name}>")
                _emit(out, v, slot.plan, indent, level + 1)
                out.append(f"{pad}</{name}>")
            else:
                out.append(f"{pad}<{name}>{_scalar(v)}</{name}>")


def encode_xml(message: Message, spec: MessageSpec, pretty: bool = False) -> bytes:
    data = message.model_dump(mode="json", by_alias=True, exclude_none=True)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<{spec.root} xmlns="{spec.namespace}">']
    _emit(out, data, plan_of(spec.model), "  " if pretty else None, 1)
    out.append(("\n" if pretty else "") + f"</{spec.root}>\n")
    return "".join(out).encode("utf-8")
