"""Attributes in XML messages: only the XML Schema instance (xsi:) ones the published XSD allows.

The XSD declares no attributes, but XML Schema always allows the xsi: attributes, so the decoder accepts what
the XSD accepts and nothing more:

* ``xsi:schemaLocation`` and ``xsi:noNamespaceSchemaLocation``, on any element, with any value: hints for a
  validator. The decoder ignores them: it never fetches anything they name (the parser has no network access
  and loads nothing).
* ``xsi:type`` only where it names the element's own declared type (a no-op): no type in these schemas has a
  derived type that could replace it.
* ``xsi:nil`` never: no element is nillable (leave out an optional element instead).

Anything else is UNEXPECTED_ATTRIBUTE, as before.
"""

from __future__ import annotations

from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_HINTS = frozenset({f"{{{XSI}}}schemaLocation", f"{{{XSI}}}noNamespaceSchemaLocation"})
_TYPE = f"{{{XSI}}}type"

CHECKED = (
    f"//@*[not(namespace-uri() = '{XSI}' and "
    "(local-name() = 'schemaLocation' or local-name() = 'noNamespaceSchemaLocation'))]"
)
"""XPath of the attributes that need a look (all but the location hints): the fast decoding path bails on them."""


def _names_own_type(el: etree._Element, value: str, ns: str, type_name: str) -> bool:
    prefix, colon, local = value.partition(":")
    if not colon:
        prefix, local = "", value
    elif not prefix:
        return False
    return local == type_name and el.nsmap.get(prefix or None) == ns


def _shown(attr: str) -> str:
    q = etree.QName(attr)
    return f"xsi:{q.localname}" if q.namespace == XSI else q.localname


def attribute_problem(el: etree._Element, ns: str, type_name: str) -> str | None:
    """What to do about ``el``'s attributes (None if the XSD allows them all); ``type_name`` is the local name
    of the element's XSD type in namespace ``ns``."""
    bad = [
        str(a)
        for a, v in el.attrib.items()
        if a not in _HINTS and not (a == _TYPE and _names_own_type(el, str(v), ns, type_name))
    ]
    if not bad:
        return None
    names = ", ".join(_shown(a) for a in bad)
    why = "none are defined (xsi:schemaLocation and xsi:noNamespaceSchemaLocation are allowed, and ignored)"
    if f"{{{XSI}}}nil" in bad:
        why = "no element is nillable (leave out an optional element instead)"
    elif _TYPE in bad:
        why = f"xsi:type may only name this element's own type, {type_name}"
    return f"remove the attribute(s) {names}: {why}"
