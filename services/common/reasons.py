"""pydantic's reasons in the language of the moment, and the lists graphql-core and pydantic write ("'a', 'b'",
"'a' or 'b'") with the language's separators; apart from services.common.i18n so that the settings, which that
module reads, can give their own refusals so too."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kaohe.i18n import N_, Text, listed, localize
from services.common.patterns import PATTERN_REASONS

# pydantic's reasons by their type, so that a refused payload reads in Chinese too; the English stays
# pydantic's own sentence (docs/api.md quotes them). A type not here keeps pydantic's English in both.
PYDANTIC_REASONS: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a whole number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number"),
    "decimal_type": N_("Input should be a valid decimal"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "decimal_max_digits": N_("Decimal input should have no more than %(max_digits)s digits in total"),
    "decimal_max_places": N_("Decimal input should have no more than %(decimal_places)s decimal places"),
    "string_too_short": N_("String should have at least %(min_length)s characters"),
    "string_too_long": N_("String should have at most %(max_length)s characters"),
    "too_short": N_("Should have at least %(min_length)s items"),
    "too_long": N_("Should have at most %(max_length)s items"),
    "greater_than": N_("Input should be greater than %(gt)s"),
    "greater_than_equal": N_("Input should be greater than or equal to %(ge)s"),
    "less_than": N_("Input should be less than %(lt)s"),
    "less_than_equal": N_("Input should be less than or equal to %(le)s"),
    "literal_error": N_("Input should be %(expected)s"),
    "enum": N_("Input should be %(expected)s"),
    "string_pattern_mismatch": N_("String should match pattern '%(pattern)s'"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be an object"),
    "model_attributes_type": N_("Input should be an object"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date"),
    "date_from_datetime_parsing": N_("Input should be a valid date"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime"),
    "timezone_aware": N_("Input should have timezone info"),
    "timezone_naive": N_("Input should not have timezone info"),
    "date_from_datetime_inexact": N_("Datetimes provided to dates should have zero time - e.g. be exact dates"),
    "date_past": N_("Date should be in the past"),
    "date_future": N_("Date should be in the future"),
    "datetime_past": N_("Input should be in the past"),
    "datetime_future": N_("Input should be in the future"),
    "time_type": N_("Input should be a valid time"),
    "time_parsing": N_("Input should be a valid time"),
    "uuid_type": N_("Input should be a valid UUID"),
    "uuid_parsing": N_("Input should be a valid UUID"),
    "json_invalid": N_("Invalid JSON"),
}


class LibraryReason(Text):
    """One of pydantic's own reasons (PYDANTIC_REASONS), whose English is pydantic's sentence: in the reader's
    language in a message that quotes it, in pydantic's English in `details` (`localized_details`), where programs
    may match it (docs/decisions.md, "Error details in the reader's language")."""

    def __reduce__(self) -> tuple[type[Text], tuple[str, dict[str, object], str]]:
        return LibraryReason, (self.msgid, self.params, str(self))


def localized_details(details: Any, locale: str) -> Any:
    """An error's `details` as the client reads them: each of kaohe's own sentences (a marked message: a validator's
    reason, a pattern's accepted forms, a file row's reason) in `locale`; a pydantic reason (LibraryReason), and a
    sentence of kaohe's that quotes one (a file row's `numerator: Input should be …`), in English as before; field
    names, codes, numbers and anything else unchanged."""
    if isinstance(details, Text):
        quotes_pydantic = any(isinstance(param, LibraryReason) for param in details.params.values())
        return str(details) if isinstance(details, LibraryReason) or quotes_pydantic else localize(details, locale)
    if isinstance(details, dict):
        return {key: localized_details(value, locale) for key, value in details.items()}
    if isinstance(details, list | tuple):
        return [localized_details(value, locale) for value in details]
    return details


QUOTED = re.compile(r"'[^']*'")


def name_list(text: str) -> str:
    """Quoted names joined by commas ("'a', 'b'", as graphql-core lists a fragment cycle) in the language of the
    moment; any other text unchanged."""
    items = QUOTED.findall(text)
    if len(items) < 2 or ", ".join(items) != text:
        return text
    return Text(N_("%(items)s, %(item)s"), {"items": listed(items[:-1]), "item": items[-1]}, text)


def or_list(text: str) -> str:
    """Quoted alternatives ("'a' or 'b'", "'a', 'b', or 'c'" as graphql-core suggests names, "'a', 'b' or 'c'" as
    pydantic lists the values it expects) with "or" and the commas in the language of the moment (English: the
    text as it was); any other text unchanged."""
    items = QUOTED.findall(text)
    if len(items) < 2:
        return text
    earlier = ", ".join(items[:-1])
    if text not in (f"{earlier} or {items[-1]}", f"{earlier}, or {items[-1]}"):
        return text
    return Text(N_("%(items)s or %(last)s"), {"items": listed(items[:-1]), "last": items[-1]}, text)


def pydantic_reason(error: Mapping[str, Any]) -> str:
    """One pydantic error's reason: kaohe's own validator's message (a ValueError raised with a marked message, or a
    PydanticCustomError whose `text` is one), else a Text whose English is pydantic's sentence (less `Value error, `)
    and whose Chinese comes from the catalogue by the error's type; pydantic's sentence as it is for other types."""
    context = error.get("ctx") or {}
    own = context.get("error", context.get("text"))
    if isinstance(own, BaseException) and len(own.args) == 1:
        own = own.args[0]
    if isinstance(own, Text):
        return own
    english = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    template = PYDANTIC_REASONS.get(str(error.get("type")))
    if error.get("type") == "string_pattern_mismatch" and str(context.get("pattern")) in PATTERN_REASONS:
        return Text(PATTERN_REASONS[str(context.get("pattern"))], {})
    if template is None:
        return english
    params: dict[str, object] = {
        str(name): value
        for name, value in (error.get("ctx") or {}).items()
        if isinstance(value, str | int | float | Decimal)
    }
    if isinstance(params.get("expected"), str):  # "'xlsx' or 'csv'": "or" in the language too
        params["expected"] = or_list(str(params["expected"]))
    return LibraryReason(template, params, english)
