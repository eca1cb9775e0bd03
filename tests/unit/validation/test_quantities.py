from __future__ import annotations

from decimal import Decimal

import pytest

from airflow_provider_composer_pod.validation.quantities import (
    QuantityError,
    ceil_to,
    format_bytes,
    format_cpu,
    is_template,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("100m", Decimal("0.1"), id="milli"),
        pytest.param("0.5", Decimal("0.5"), id="fraction"),
        pytest.param("1", Decimal(1), id="whole"),
        pytest.param("10G", Decimal(10) ** 10, id="decimal-giga"),
        pytest.param("10Gi", Decimal(10 * 2**30), id="binary-gibi"),
        pytest.param("1.5Mi", Decimal(3 * 2**19), id="fractional-binary"),
        pytest.param("1e3", Decimal(1000), id="exponent"),
        pytest.param("1E3", Decimal(1000), id="upper-exponent"),
        pytest.param("2e-3", Decimal("0.002"), id="negative-exponent"),
        pytest.param("500k", Decimal(500000), id="kilo"),
        pytest.param("1E", Decimal(10) ** 18, id="exa-not-exponent"),
        pytest.param(".5", Decimal("0.5"), id="leading-dot"),
        pytest.param("1.", Decimal(1), id="trailing-dot"),
        pytest.param("+2", Decimal(2), id="plus-sign"),
        pytest.param(" 2Gi ", Decimal(2 * 2**30), id="surrounding-space"),
        pytest.param(2, Decimal(2), id="int"),
        pytest.param(0.25, Decimal("0.25"), id="float"),
    ],
)
def test_parses_like_kubernetes(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        pytest.param("10GG", "is not a Kubernetes quantity", id="double-suffix"),
        pytest.param("-1", "is negative", id="negative"),
        pytest.param("1.5.3", "is not a Kubernetes quantity", id="two-dots"),
        pytest.param("", "is empty", id="empty"),
        pytest.param("1gi", "is not a Kubernetes quantity", id="lowercase-binary"),
        pytest.param("1e", "is not a Kubernetes quantity", id="exponent-without-digits"),
        pytest.param(True, "is a boolean", id="bool"),
        pytest.param(float("inf"), "is not a finite number", id="infinite"),
        pytest.param(None, "is a NoneType", id="none"),
    ],
)
def test_rejects_with_field_value_rule_and_fix(text, rule):
    with pytest.raises(QuantityError) as info:
        parse_quantity(text, "container base resources.requests.cpu")

    message = str(info.value)
    assert message.startswith(f"container base resources.requests.cpu={text!r} ")
    assert rule in message
    assert info.value.fix
    assert info.value.fix in message


def test_formats_in_the_largest_exact_unit():
    assert format_cpu(Decimal("0.25")) == "250m"
    assert format_cpu(Decimal(2)) == "2"
    assert format_bytes(Decimal(110 * 2**30)) == "110Gi"
    assert format_bytes(Decimal(10) ** 10) == "10G"
    assert format_bytes(Decimal(1000 * 2**20)) == "1000Mi"


def test_rounds_cpu_up_to_its_step():
    assert ceil_to(Decimal("0.3"), Decimal("0.25")) == Decimal("0.5")
    assert ceil_to(Decimal("0.5"), Decimal("0.25")) == Decimal("0.5")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("{{ var.value.cpu }}", True), ("{% if x %}1{% endif %}", True), ("1Gi", False), (1, False)],
)
def test_recognises_templates(value, expected):
    assert is_template(value) is expected
