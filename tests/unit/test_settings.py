"""The operator's settings: an environment variable wins over `.streamlit/secrets.toml`, read one way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st

from ui import settings


@pytest.fixture
def secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A secrets.toml of the test's own, in place of the project's (if any)."""
    from streamlit import config

    path = tmp_path / "secrets.toml"
    previous = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    st.secrets._secrets = None  # read again from the file above

    def write(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        st.secrets._secrets = None

    yield write
    config.set_option("secrets.files", previous)
    st.secrets._secrets = None


def test_the_environment_wins_then_the_secrets_file_then_nothing(secrets_file, monkeypatch):
    secrets_file('[ceox]\npublic_url = "https://from-secrets.example"\nallow_private_targets = "yes"\n')
    monkeypatch.delenv("CEOX_PUBLIC_URL", raising=False)
    assert settings.text("public_url", "CEOX_PUBLIC_URL") == "https://from-secrets.example"
    monkeypatch.setenv("CEOX_PUBLIC_URL", "  https://from-env.example ")
    assert settings.text("public_url", "CEOX_PUBLIC_URL") == "https://from-env.example"
    assert settings.text("missing", "CEOX_NOT_SET_ANYWHERE") == ""
    assert settings.flag("allow_private_targets", "CEOX_NOT_SET_ANYWHERE") is True
    assert settings.section("gate") is None


def test_no_secrets_file_reads_as_no_settings(secrets_file, monkeypatch):
    monkeypatch.delenv("CEOX_PUBLIC_URL", raising=False)
    assert settings.section("ceox") is None
    assert settings.text("public_url", "CEOX_PUBLIC_URL") == ""
    assert settings.flag("allow_private_targets") is False


@pytest.mark.parametrize(("value", "yes"), [(True, True), ("1", True), ("TRUE", True), (" yes ", True), ("no", False),
                                            ("", False), (None, False), (0, False), ("2", False)])
def test_yes_means_true_1_or_yes(value, yes):
    assert settings.is_yes(value) is yes
    assert os.environ.get("CEOX_NOT_SET_ANYWHERE") is None
