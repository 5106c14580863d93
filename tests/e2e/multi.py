"""Real bot processes behind a real nginx, fed by the fake Bot API server's webhook deliveries."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
SECRET = "multi-instance-secret"
POLL = 0.1  # seconds between looks at another process's state while waiting for a condition


async def until(check, timeout: float, what: str) -> None:
    """Wait for an async condition about another process (which cannot wake us itself)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(POLL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


class Nginx:
    """nginx running deploy/nginx.conf with the test's ports, under a private prefix."""

    def __init__(self, binary: str, workdir: Path, listen: int, upstreams: list[int]) -> None:
        self.binary, self.dir, self.listen, self.upstreams = binary, workdir, listen, upstreams
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        site = site.replace("127.0.0.1:8443", f"127.0.0.1:{self.listen}")
        site = site.replace("127.0.0.1:8081", f"127.0.0.1:{self.upstreams[0]}")
        site = site.replace("127.0.0.1:8082", f"127.0.0.1:{self.upstreams[1]}")
        (self.dir / "site.conf").write_text(site)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    include {self.dir}/site.conf;
}}
""")
        self.proc = subprocess.Popen([self.binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                                      "-e", str(self.dir / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class BotProcess:
    """`python -m bot run` in webhook mode on its own port."""

    def __init__(self, name: str, port: int, env: dict[str, str], logdir: Path) -> None:
        self.name, self.port, self.env, self.logdir = name, port, env, logdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        env = {**self.env, "WEBHOOK_LISTEN": f"127.0.0.1:{self.port}"}
        log = open(self.logdir / f"{self.name}-{self.starts}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=self.logdir,
                                     stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.returncode if self.proc else None

    async def sigterm(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait for the exit without blocking the loop (the fakes live on it)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(self.proc.wait, timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None

    async def healthy(self, timeout: float = 60.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise AssertionError(f"{self.name} exited: {self.tail()}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass  # not listening yet
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"{self.name} not healthy: {self.tail()}")
                await asyncio.sleep(POLL)

    async def health(self) -> dict:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.port}/healthz") as r:
            return await r.json()

    def tail(self) -> str:
        logs = sorted(self.logdir.glob(f"{self.name}-*.log"))
        return logs[-1].read_text(errors="replace")[-2000:] if logs else ""


class RemoteResident:
    """A person whose bot runs in another process: waits for the expected reply in the fake's records."""

    def __init__(self, fake, user_id: int) -> None:
        self.fake, self.user_id = fake, user_id

    @property
    def messages(self) -> list[dict]:
        return self.fake.sent_messages(self.user_id)

    async def _step(self, push, expect: str, timeout: float = 90.0) -> None:
        seen = len(self.messages)
        push()
        await self.fake.wait_for(lambda: any(expect in (m.get("plain") or "") for m in self.messages[seen:]),
                                 timeout=timeout, what=f"user {self.user_id}: {expect!r}")

    async def say(self, text: str, expect: str) -> None:
        await self._step(lambda: self.fake.user_text(self.user_id, text), expect)

    async def press(self, label: str, expect: str) -> None:
        for msg in reversed(self.messages):
            markup = msg.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for b in row:
                    if b["text"].startswith(label):
                        mid, data = msg["message_id"], b["callback_data"]
                        await self._step(lambda m=mid, d=data: self.fake.user_callback(self.user_id, m, d), expect)
                        return
        await self.say(label, expect)  # a reply-keyboard button sends its label as text

    async def file_signal(self, n: int) -> None:
        await self.say("/start", "согласие")
        await self.press("Согласен", "Спасибо")
        await self.say("/new", "Шаг 1")
        await self.press("Сыктывкар", "Шаг 2")
        await self.press("Дороги", "Шаг 3")
        await self.say(f"Обращение жителя номер {n}: яма во дворе", "Шаг 4")
        await self.press("Пропустить", "Шаг 5")
        await self.say(f"ул. Тестовая, {n}", "Проверьте")
        await self.press("✅ Отправить", "принято")
