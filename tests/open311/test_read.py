"""GETs read by an independent client (georeport from PyPI) in both formats; JSON checked against the spec's
schemas, XML against its element names; only moderated, not rejected signals; no personal data."""

from __future__ import annotations

import asyncio
from xml.etree import ElementTree as ET

import pytest
from georeport import GeoReport

from tests.open311 import flow, schemas
from tests.open311.harness import open311_server

ANSWER = "Яма засыпана щебнем 3 июня, асфальтирование — до 20 июня силами МБУ «Дорожник»."
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
EXTENSIONS = {"supporters"}


async def four_signals(services) -> dict[str, str]:
    """A new, a rejected, an accepted and an answered signal: their public numbers by state."""
    staff = await flow.make_staff(services)
    new = await flow.file_from_bot(services, "Не горит фонарь у школы номер 5 третий день")
    rejected = await flow.file_from_bot(services, "Реклама чего-то совсем постороннего здесь")
    accepted = await flow.file_from_bot(services, "Переполнены контейнеры на Советской, 12", category="ecology",
                                        address="Сыктывкар, ул. Советская, 12", lat=None, lon=None)
    answered = await flow.file_from_bot(services, "Глубокая яма на Коммунистической у дома 10")
    await flow.reject(services, rejected)
    for sid in (accepted, answered):
        await flow.accept(services, staff, sid)
    await flow.answer_and_publish(services, answered, ANSWER)
    return {state: await flow.number_of(services, sid)
            for state, sid in (("new", new), ("rejected", rejected), ("accepted", accepted), ("answered", answered))}


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_georeport_client_reads_services_requests_and_one_request(services, fmt):
    numbers = await four_signals(services)
    async with open311_server(services) as api:
        client = GeoReport(api.root, output_format=fmt)
        listed = await asyncio.to_thread(client.get_service_list)
        assert [s["service_code"] for s in listed][:3] == ["housing", "roads", "improvement"]
        assert {s["service_name"] for s in listed} >= {"Дороги", "ЖКХ"}
        requests = await asyncio.to_thread(client.get_service_requests)
        if isinstance(requests, dict):  # xmltodict: a single element is not a list
            requests = [requests]
        assert {r["service_request_id"] for r in requests} == {numbers["accepted"], numbers["answered"]}
        one = await asyncio.to_thread(client.get_service_request, numbers["answered"])
        assert one["status"] == "open" and one["status_notes"] == ANSWER
        assert one["agency_responsible"] == flow.ORG and one["service_code"] == "roads"
        other = await asyncio.to_thread(client.get_service_request, numbers["accepted"])
        assert not other["status_notes"]  # no answer published yet: nothing to note
        assert other["address"] == "Сыктывкар, ул. Советская, 12"


async def test_json_matches_the_spec_schemas(services):
    numbers = await four_signals(services)
    async with open311_server(services) as api:
        for path, schema in (("discovery.json", schemas.DISCOVERY), ("services.json", schemas.SERVICES),
                             ("requests.json", schemas.REQUESTS),
                             (f"requests/{numbers['answered']}.json", schemas.REQUESTS),
                             ("services/roads.json", schemas.ERRORS), ("requests.json?status=bogus", None)):
            status, data = await api.get_json(path)
            schemas.check(data, schema or schemas.ERRORS)
        _, rows = await api.get_json("requests.json")
        assert all(set(r) == REQUEST_FIELDS | EXTENSIONS for r in rows)
        answered = next(r for r in rows if r["service_request_id"] == numbers["answered"])
        assert answered["expected_datetime"] and answered["updated_datetime"] >= answered["requested_datetime"]
        assert answered["requested_datetime"].endswith("+03:00")  # the region's zone, ISO 8601


async def test_xml_uses_the_spec_element_names(services):
    numbers = await four_signals(services)
    async with open311_server(services) as api:
        _, root = await api.get_xml("services.xml")
        assert root.tag == "services" and {c.tag for c in root} == {"service"}
        assert [c.tag for c in root[0]] == ["service_code", "service_name", "description", "metadata", "type",
                                            "keywords", "group"]
        assert root[0].findtext("metadata") == "false" and root[0].findtext("type") == "realtime"
        _, root = await api.get_xml("requests.xml")
        assert root.tag == "service_requests" and {c.tag for c in root} == {"request"} and len(root) == 2
        assert {c.tag for c in root[0]} == REQUEST_FIELDS | EXTENSIONS
        _, root = await api.get_xml(f"requests/{numbers['answered']}.xml")
        assert root.find("request/status_notes").text == ANSWER
        _, root = await api.get_xml("discovery.xml")
        assert root.tag == "discovery" and root.find("endpoints/endpoint/formats/format") is not None
        assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


async def test_no_personal_data_and_only_public_signals(services):
    numbers = await four_signals(services)
    async with open311_server(services) as api:
        bodies = []
        for path in ("requests.json", "requests.xml", f"requests/{numbers['answered']}.json",
                     f"requests/{numbers['accepted']}.xml", f"requests.json?service_request_id={numbers['answered']}"):
            status, _ctype, body = await api.get(path)
            assert status == 200
            bodies.append(body.decode())
        for body in bodies:
            assert flow.RESIDENT_NAME not in body and str(flow.RESIDENT_ID) not in body
            assert numbers["new"] not in body and numbers["rejected"] not in body
        for hidden in (numbers["new"], numbers["rejected"]):
            status, data = await api.get_json(f"requests/{hidden}.json")
            assert status == 404 and data[0]["code"] == 404
        status, data = await api.get_json("requests.json",
                                          service_request_id=",".join(numbers.values()))
        assert {r["service_request_id"] for r in data} == {numbers["accepted"], numbers["answered"]}


async def test_filters_and_pages(services):
    numbers = await four_signals(services)
    async with open311_server(services) as api:
        _, rows = await api.get_json("requests.json", status="closed")
        assert rows == []
        _, rows = await api.get_json("requests.json", status="open", service_code="ecology")
        assert [r["service_request_id"] for r in rows] == [numbers["accepted"]]
        _, first = await api.get_json("requests.json", page_size="1")
        _, second = await api.get_json("requests.json", page_size="1", page="2")
        assert len(first) == len(second) == 1 and first[0]["service_request_id"] != second[0]["service_request_id"]
        _, rows = await api.get_json("requests.json", start_date="2000-01-01T00:00:00Z",
                                     end_date="2000-03-01T00:00:00Z")
        assert rows == []
        status, root = await api.get_xml("requests.xml", start_date="2000-01-01T00:00:00Z",
                                         end_date="2000-06-01T00:00:00Z")
        assert status == 400 and root.tag == "errors" and "90 days" in root.findtext("error/description")
        assert ET.tostring(root)  # well-formed


async def test_supporters_counts_the_me_too_residents_not_who_still_follows(services):
    numbers = await four_signals(services)
    async with services.uow() as uow:
        signal = await uow.signals.by_number(numbers["answered"])
        for n in range(2):
            neighbour = await uow.users.get_or_create("vk", 7700 + n)
            await uow.supporters.add(signal.id, neighbour.id, signal.created_at)
        await uow.subscriptions.leave(signal.id, neighbour.id)  # one of them unsubscribed: still affected
        await uow.subscriptions.leave(signal.id, signal.author_id)  # so did the author
        await uow.commit()
    async with open311_server(services) as api:
        _, rows = await api.get_json(f"requests/{numbers['answered']}.json")
        _, accepted = await api.get_json(f"requests/{numbers['accepted']}.json")
    assert rows[0]["supporters"] == 2 and accepted[0]["supporters"] == 0
