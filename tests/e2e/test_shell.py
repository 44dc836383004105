"""The app shell: the workspace in the header, the theme, unknown pages, an unreachable server."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Studio

expect = pytest.importorskip("playwright.sync_api").expect


def test_the_header_names_the_workspace(studio: Studio, page: Any) -> None:
    page.goto(studio.url + "/")
    expect(page.locator(".app-header .workspace")).to_contain_text("server.db")


def test_an_unknown_page_says_so(studio: Studio, page: Any) -> None:
    page.goto(studio.url + "/no/such/page")
    expect(page.get_by_role("alert")).to_contain_text("Not found")


def test_the_theme_choice_survives_a_reload(studio: Studio, page: Any) -> None:
    page.goto(studio.url + "/")
    page.get_by_label("Theme").select_option("dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 24, 28)"
