"""The HTML escaper for values put into messages (the messages themselves: handlers/locales/*.po via i18n.t)."""

from __future__ import annotations

from html import escape


def esc(value: object) -> str:
    """Escape user-supplied text for the HTML-subset markup of replies."""
    return escape(str(value), quote=False)
