"""media_url on POST: http(s) only, no private/loopback/link-local address (resolved, checked, then pinned), no
redirect to one, a size limit, images only. The allowed media server runs on 127.0.0.1 and is let through only
by the explicit test allow-list; by default it must see no request at all."""

from __future__ import annotations

import io
import ipaddress
from contextlib import asynccontextmanager

from aiohttp import web
from PIL import Image
from sqlalchemy import func, select

from bot.open311.media import MediaPolicy, MediaRefused, fetch_image, forbidden
from storage.models import Photo, Signal, SignalPhoto
from tests.images import jpeg_with_gps
from tests.open311.harness import FORM, free_port, new_key, open311_server

BIG = 50 * 1024 * 1024
ALLOW = {"open311_media_allow_networks": "127.0.0.1/32"}


@asynccontextmanager
async def media_server():
    """Serves a photo, a 50 MB file (declared and streamed), text, a fake JPEG and redirects; counts hits."""
    hits: list[str] = []
    port = free_port()

    async def handle(request: web.Request) -> web.StreamResponse:
        hits.append(f"{request.host} {request.path}")
        name = request.match_info["name"]
        if name == "photo.jpg":
            return web.Response(body=jpeg_with_gps(), content_type="image/jpeg")
        if name == "big.jpg":
            return web.Response(body=b"\xff" * BIG, content_type="image/jpeg")
        if name == "stream.jpg":
            resp = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            try:
                for _ in range(BIG // (1024 * 1024)):
                    await resp.write(b"\xff" * 1024 * 1024)
            except (ConnectionError, RuntimeError):
                pass  # the client hung up once over its limit, as it should
            return resp
        if name == "notes.txt":
            return web.Response(text="just text", content_type="text/plain")
        if name == "fake.jpg":
            return web.Response(body=b"this is no image at all", content_type="image/jpeg")
        if name.startswith("to-"):  # to-10.0.0.1, to-169.254.169.254 ...
            raise web.HTTPFound(f"http://{name[3:]}/x.jpg")
        if name.startswith("hop"):  # hop5 → hop4 → … → photo.jpg
            left = int(name[3:])
            raise web.HTTPFound(f"/m/hop{left - 1}" if left > 1 else "/m/photo.jpg")
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/m/{name}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/m", port, hits
    finally:
        await runner.cleanup()


async def count(services, model) -> int:
    async with services.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)))


async def test_private_addresses_are_refused_by_default_and_never_contacted(services):
    secret = await new_key(services)
    async with media_server() as (base, port, hits), open311_server(services) as api:
        for url in (f"{base}/photo.jpg", f"http://localhost:{port}/m/photo.jpg", f"http://[::1]:{port}/m/photo.jpg",
                    f"http://[::ffff:127.0.0.1]:{port}/m/photo.jpg", "http://10.0.0.1/photo.jpg",
                    "http://169.254.169.254/latest/meta-data", "http://192.168.1.1/a.jpg", "http://224.0.0.1/a.jpg",
                    "http://0.0.0.0/a.jpg", "http://100.64.0.1/a.jpg"):
            status, data = await api.post(api_key=secret, **FORM, media_url=url)
            assert status == 400 and "private, loopback" in data[0]["description"], (url, data)
        for url, needle in (("file:///etc/passwd", "only http"), ("gopher://example.org/", "only http"),
                            ("http://user:pw@example.org/a.jpg", "credentials")):
            status, data = await api.post(api_key=secret, **FORM, media_url=url)
            assert status == 400 and needle in data[0]["description"], (url, data)
    assert hits == []  # nothing was fetched from the loopback server
    assert await count(services, Signal) == 0


async def test_allowed_media_is_fetched_stripped_and_attached(services):
    secret = await new_key(services)
    async with media_server() as (base, _port, hits), open311_server(services, **ALLOW) as api:
        status, data = await api.post(api_key=secret, **FORM, media_url=f"{base}/hop3")
        assert status == 200, data
        assert len(hits) == 4  # three redirects, each checked, then the photo
    async with services.uow() as uow:
        photo = await uow.session.scalar(select(Photo).join(SignalPhoto))
        stored = await services.media.get(photo.media_key)
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG" and not img.getexif()  # GPS and maker gone, as for a bot photo


async def test_redirects_sizes_and_types_are_refused(services):
    secret = await new_key(services)
    async with media_server() as (base, _port, hits), open311_server(services, **ALLOW) as api:
        for name, needle in (("to-10.0.0.1", "private, loopback"), ("to-169.254.169.254", "private, loopback"),
                             ("to-[::1]", "private, loopback"), ("hop5", "more than 3 redirects"),
                             ("big.jpg", "larger than 10 MB"), ("stream.jpg", "larger than 10 MB"),
                             ("notes.txt", "not an image"), ("fake.jpg", "not an image we accept"),
                             ("missing.jpg", "answered 404")):
            status, data = await api.post(api_key=secret, **FORM, media_url=f"{base}/{name}")
            assert status == 400 and needle in data[0]["description"], (name, data)
    assert hits.count(f"127.0.0.1:{_port} /m/to-10.0.0.1") == 1  # the redirect was read, its target refused
    assert await count(services, Signal) == 0 and await count(services, Photo) == 0


async def test_the_connection_goes_to_the_checked_address():
    """A name is resolved once, checked, and the connection pinned to that address: no second lookup."""
    async with media_server() as (_base, port, hits):
        calls: list[str] = []

        async def resolve(host: str, _port: int) -> list[str]:
            calls.append(host)
            return ["127.0.0.1"]

        policy = MediaPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
        data = await fetch_image(f"http://media.example:{port}/m/photo.jpg", policy, resolve)
        assert data.startswith(b"\xff\xd8") and calls == ["media.example"]
        assert hits == [f"media.example:{port} /m/photo.jpg"]  # our server, reached by the checked address

        async def mixed(host: str, _port: int) -> list[str]:
            return ["93.184.216.34", "10.1.2.3"]  # one public answer does not excuse a private one

        try:
            await fetch_image("http://rebind.example/x.jpg", MediaPolicy(), mixed)
        except MediaRefused as exc:
            assert "private" in str(exc)
        else:
            raise AssertionError("a private address among the answers was accepted")


def test_address_classes():
    import ipaddress

    for bad in ("127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "224.0.0.1", "0.0.0.0",
                "100.64.0.1", "240.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1", "ff02::1", "::",
                "::ffff:10.0.0.1"):
        assert forbidden(ipaddress.ip_address(bad)), bad
    for good in ("93.184.216.34", "77.88.8.8", "2a00:1450:4001:80b::200e"):
        assert not forbidden(ipaddress.ip_address(good)), good
    assert not forbidden(ipaddress.ip_address("127.0.0.1"), (ipaddress.ip_network("127.0.0.1/32"),))
