"""Base classes for message elements and whole messages."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

_ACRONYMS = {"id": "ID", "hs": "HS", "uscc": "USCC", "aeo": "AEO"}


def element_name(field_name: str) -> str:
    """Python field name -> XML element / JSON key: ``journey_id`` -> ``JourneyID``."""
    return "".join(_ACRONYMS.get(part, part.capitalize()) for part in field_name.split("_"))


class Element(BaseModel):
    """An XML element with child elements. Field order is the schema's element order."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=element_name,
        validate_by_name=True,  # Python code may use field names; decoders pass by_name=False
        validate_by_alias=True,
        serialize_by_alias=True,
        use_enum_values=False,
    )
