"""Input checks run before any API call."""

from __future__ import annotations

import pytest

from dashboard import validation


@pytest.mark.parametrize("value", ["", "   ", "x" * 201, "bad\x00name", "tab\tname"])
def test_bad_names(value):
    assert validation.name(value)


@pytest.mark.parametrize("value", ["Budi", "محمد", "李雷", "Ana 👩‍💻", "x" * 200])
def test_good_names(value):
    assert validation.name(value) is None


@pytest.mark.parametrize("value", ["", "budi", "budi@", "@x.co", "a b@x.co", "budi@x", "x" * 250 + "@x.co"])
def test_bad_emails(value):
    assert validation.email(value)


@pytest.mark.parametrize("value", ["", "1234567", "x" * 1025])
def test_bad_passwords(value):
    assert validation.password(value)


@pytest.mark.parametrize("value", ["", "0812345678", "+0812345678", "+62 812 345", "+62-812", "+1234",
                                   "+6281234567890123"])
def test_bad_phones(value):
    assert validation.phone(value)


def test_good_phone():
    assert validation.phone("+6281234567890") is None


@pytest.mark.parametrize("value", ["red", "#fff", "#gggggg", "16a34a", "#16a34a0"])
def test_bad_colours(value):
    assert validation.color(value)


@pytest.mark.parametrize("value", ["", "#16a34a", "#ABCDEF"])
def test_good_colours(value):
    assert validation.color(value) is None


@pytest.mark.parametrize("value", ["", "ftp://x.co", "javascript:alert(1)", "https://user:pw@x.co/h",
                                   "http://example.com/h", "https://x.co/a b", "https://x.co:99999/"])
def test_bad_webhook_urls(value):
    assert validation.webhook_url(value)


@pytest.mark.parametrize("value", ["https://example.com/hooks", "http://localhost:8501/hooks/ceox/x",
                                   "http://127.0.0.1:9/h"])
def test_good_webhook_urls(value):
    assert validation.webhook_url(value) is None


def test_duplicates_ignore_case_and_blanks():
    assert validation.duplicates(["A@x.co", "a@x.co ", "", None, "b@x.co"]) == {"a@x.co"}
