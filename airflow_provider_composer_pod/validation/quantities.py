"""Kubernetes resource quantities (``100m``, ``1.5Gi``, ``1e3``), parsed the way the API server parses them.

The grammar is apimachinery's ``resource.Quantity``::

    quantity  ::= signedNumber suffix
    number    ::= digits | digits "." digits | digits "." | "." digits
    suffix    ::= binarySI (Ki Mi Gi Ti Pi Ei) | decimalSI (m "" k M G T P E) | ("e" | "E") signedNumber

Values are exact ``Decimal`` numbers, so ``0.1`` plus ``0.2`` CPUs is ``0.3`` and 110Gi compares exactly. Resource
requests may not be negative, so the parser refuses a sign of ``-`` (the API server does too). Pure: no I/O.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Optional, Union

QuantityInput = Union[str, int, float, Decimal]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"m": Decimal("0.001"), "": Decimal(1), "k": Decimal(10) ** 3, "M": Decimal(10) ** 6}
_DECIMAL.update({"G": Decimal(10) ** 9, "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18})
_QUANTITY_RE = re.compile(
    r"^(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?P<exponent>[+-]?[0-9]+)|(?P<decimal>[mkMGTPE]?))$"
)
_SUFFIXES = "m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent such as 1e3"


class QuantityError(ValueError):
    """A quantity that Kubernetes would refuse, with the field, the value, the rule and the fix."""

    def __init__(self, field: str, value: object, rule: str, fix: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        self.fix = fix
        super().__init__(f"{field}={value!r} {rule}; {fix}")


def parse_quantity(value: QuantityInput, field: str = "quantity") -> Decimal:
    """Return the exact amount ``value`` stands for (CPUs or bytes), or raise :class:`QuantityError`."""
    if isinstance(value, bool):  # bool is an int; True CPUs is a mistake, not a quantity
        raise QuantityError(field, value, "is a boolean, not a Kubernetes quantity", "write a number such as '1'")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, (int, float)):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            raise QuantityError(field, value, "is not a finite number", "write a number such as '500m' or '2'")
    elif isinstance(value, str):
        amount = _parse_text(value, field)
    else:
        raise QuantityError(
            field, value, f"is a {type(value).__name__}, not a Kubernetes quantity", "write it as a string like '1Gi'"
        )
    if amount < 0:
        raise QuantityError(
            field, value, "is negative; resource quantities must be zero or more", "remove the minus sign"
        )
    return amount


def _parse_text(text: str, field: str) -> Decimal:
    amount = _parse_cached(text)
    if amount is not None:
        return amount
    if not text.strip():
        raise QuantityError(field, text, "is empty, not a Kubernetes quantity", "give a value such as '500m' or '1Gi'")
    if "{{" in text:  # e.g. container_resources, which cncf-kubernetes renders only from 5.0
        raise QuantityError(
            field,
            text,
            "is not a Kubernetes quantity but a Jinja template left unrendered: the installed cncf-kubernetes "
            "provider does not template this argument",
            "give a literal value, or use a provider that templates container_resources (5.0 and later)",
        )
    raise QuantityError(
        field,
        text,
        f"is not a Kubernetes quantity: expected one number with at most one suffix ({_SUFFIXES})",
        "write it like '500m', '2', '1.5Gi' or '10G'",
    )


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Optional[Decimal]:
    # DAG files repeat the same few spellings ("1", "4Gi") across thousands of tasks: parse each once.
    match = _QUANTITY_RE.match(text.strip())
    if match is None:
        return None
    number = Decimal(match.group("number"))
    if match.group("sign") == "-":
        number = -number
    if match.group("binary"):
        return number * _BINARY[match.group("binary")]
    if match.group("exponent") is not None:
        return number.scaleb(int(match.group("exponent")))
    return number * _DECIMAL[match.group("decimal") or ""]


def is_template(value: object) -> bool:
    """True for a value that is still a Jinja template, to be checked only after rendering."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def format_cpu(amount: Decimal) -> str:
    """``Decimal('0.25')`` -> ``250m``; whole CPUs without a suffix."""
    if amount == amount.to_integral_value():
        return str(int(amount))
    millis = amount * 1000
    if millis == millis.to_integral_value():
        return f"{int(millis)}m"
    return _plain(amount)


def format_bytes(amount: Decimal) -> str:
    """``110 * 2**30`` -> ``110Gi``, ``10**10`` -> ``10G``: the suffix giving the smallest whole number."""
    best = None
    for suffix, factor in list(_BINARY.items()) + [(s, f) for s, f in _DECIMAL.items() if f > 1]:
        scaled = amount / factor
        if scaled >= 1 and scaled == scaled.to_integral_value() and (best is None or scaled < best[0]):
            best = (scaled, suffix)
    if best is not None:
        return f"{int(best[0])}{best[1]}"
    if amount == amount.to_integral_value():
        return str(int(amount))
    return _plain(amount)


def format_quantity(amount: Decimal, resource: str) -> str:
    """Format for the resource's usual unit: CPUs for ``cpu``, bytes for memory and storage."""
    return format_cpu(amount) if resource == "cpu" else format_bytes(amount)


def _plain(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return text


def ceil_to(amount: Decimal, step: Decimal) -> Decimal:
    """Round ``amount`` up to a multiple of ``step`` (Autopilot's CPU increments)."""
    if step <= 0:
        return amount
    steps = (amount / step).to_integral_value(rounding="ROUND_CEILING")
    return steps * step


def ceil_bytes(amount: Decimal) -> Decimal:
    """Whole bytes, rounded up: memory derived from a ratio must still be a valid quantity."""
    return amount.to_integral_value(rounding="ROUND_CEILING")


def try_parse(value: QuantityInput, field: str = "quantity") -> Optional[Decimal]:
    """``parse_quantity`` that returns None instead of raising, for callers that report errors elsewhere."""
    try:
        return parse_quantity(value, field)
    except QuantityError:
        return None
