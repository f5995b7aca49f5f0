"""Addresses made from one reversal (`url_by_number`)."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from layan.core.http import url_by_number


@pytest.mark.parametrize("viewname", ["tickets:detail", "agreements:order"])
def test_an_address_by_number_is_the_one_reverse_gives(viewname: str) -> None:
    """For any number, under any script prefix (a deployment under a path)."""
    for prefix in ("/", "/layan/"):
        set_script_prefix(prefix)
        try:
            address = url_by_number(viewname)
            for number in (0, 7, 1001, 2**62):
                assert address(number) == reverse(viewname, args=[number])
        finally:
            set_script_prefix("/")


def test_a_view_that_takes_no_number_is_refused() -> None:
    with pytest.raises(NoReverseMatch):
        url_by_number("tickets:inbox")
