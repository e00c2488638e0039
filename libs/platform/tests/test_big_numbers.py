"""The BIG-number rule: 11 digits; 9 or 10 get their leading zeros; spaces and dots ignored."""

from __future__ import annotations

import pytest
from spiegel_platform.big_numbers import BigNumberError, big_number


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("19012345601", "19012345601"),
        ("123456789", "00123456789"),
        ("1234567890", "01234567890"),
        ("190 123 456 01", "19012345601"),
        ("190.123.456.01", "19012345601"),
        (" 0 1234 56789 ", "00123456789"),
    ],
)
def test_a_big_number_is_stored_as_eleven_digits(typed: str, stored: str) -> None:
    assert big_number(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("12345678", "big_number_length"),
        ("123456789012", "big_number_length"),
        ("", "big_number_length"),
        ("1234-567-89", "big_number_characters"),
        ("BIG12345678", "big_number_characters"),
        ("１２３４５６７８９", "big_number_characters"),  # full-width digits are not ASCII digits
    ],
)
def test_anything_else_is_refused_with_the_reason(typed: str, code: str) -> None:
    with pytest.raises(BigNumberError) as refused:
        big_number(typed)
    assert refused.value.code == code
    assert refused.value.reason.in_language("en") != f"validation.{code}"
    assert "BIG" in refused.value.reason.in_language("nl")
