"""Headless Debian Chromium driven by Playwright (no browser download), and helpers for the chat page."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SYKTYVKAR = {"latitude": 61.6688, "longitude": 50.8364}


def chromium_path() -> str | None:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return found if Path(found).exists() else None


@pytest.fixture
async def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (./scripts/setup --test installs it)", pytrace=False)
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium's sandbox refuses to run as root
        b = await p.chromium.launch(executable_path=path, args=args, headless=True)
        try:
            yield b
        finally:
            await b.close()


class ChatPage:
    """The chat page in a browser tab; records every request the page makes."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: self.dialogs.append(d.message))

    @classmethod
    async def open(cls, browser, base: str, **context):
        ctx = await browser.new_context(geolocation=SYKTYVKAR, permissions=["geolocation"], locale="ru-RU",
                                        viewport={"width": 720, "height": 900}, **context)
        chat = cls(await ctx.new_page(), base)
        await chat.page.goto(base + "/web/")
        await chat.page.wait_for_selector("body[data-ready]")
        return chat

    def log(self):
        return self.page.locator("#log")

    async def expect_text(self, needle: str, timeout: float = 15_000) -> None:
        await self.page.locator("#log li", has_text=needle).last.wait_for(timeout=timeout)

    async def count(self, needle: str) -> int:
        return await self.page.locator("#log li", has_text=needle).count()

    async def _answered(self, act) -> None:
        """Do something on the page and wait until the bot's answer to it is shown (each input gets one)."""
        shown = await self.page.locator("#log li.msg--bot").count()
        await act()
        await self.page.wait_for_function(
            "n => document.querySelectorAll('#log li.msg--bot').length > n", arg=shown, timeout=15_000)

    async def click(self, label: str) -> None:
        button = self.page.locator("#log").get_by_role("button", name=re.compile("^" + re.escape(label))).last
        await self._answered(button.click)

    async def say(self, text: str) -> None:
        await self.page.fill("#text", text)
        await self._answered(lambda: self.page.press("#text", "Enter"))

    async def attach(self, files: list[tuple[str, bytes, str]]) -> None:
        await self.page.set_input_files("#photo-input", [
            {"name": n, "mimeType": m, "buffer": b} for n, b, m in files])

    async def switch(self, persona: str) -> None:
        await self.page.select_option("#persona", persona)
        await self.page.wait_for_selector(f"body[data-ready='{persona}']")

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.base + "/") and not u.startswith("data:")]

    async def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        await self.page.screenshot(path=str(path), full_page=False)
        return path
