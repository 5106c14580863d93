"""Fixtures for the web channel tests (the browser comes from tests.web.browser)."""

from tests.web.browser import browser  # noqa: F401  (fixture)
