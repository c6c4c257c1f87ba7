"""What the OpenAPI document promises about refusals, checked against what the server does.

Found by the schema fuzzer: the document let request bodies carry any extra field (the
server refuses them), told clients that public operations need a bearer token, and left
out a 409 that a realignment's preview answers.
"""

from __future__ import annotations

from datetime import date

from tests.factories import bearer, login, seed_world


async def _spec(client) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return dict((await client.get("/schema/openapi.json")).json())


async def test_every_request_body_refuses_extra_fields_in_the_document_and_on_the_wire(client, db):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    spec = await _spec(client)
    schemas = spec["components"]["schemas"]
    open_bodies: list[str] = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if ref is None:
                continue
            name = ref.rsplit("/", 1)[1]
            if schemas[name].get("additionalProperties") is not False:
                open_bodies.append(f"{method.upper()} {path}: {name}")
    assert open_bodies == [], "\n".join(open_bodies)

    extra = await client.patch(
        f"/api/users/{'0' * 8}-0000-4000-8000-{'0' * 12}",
        json={"full_name": "X", "is_superuser": True},
        headers=admin,
    )
    assert extra.status_code == 400 and extra.json()["code"] == "invalid_request"


async def test_public_operations_say_they_need_no_login(client, db):
    await seed_world(db)
    spec = await _spec(client)
    public = {
        (path, method)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if operation.get("security") == []
    }
    assert public == {
        ("/api/auth/login", "post"),
        ("/api/auth/logout", "post"),
        ("/api/auth/refresh", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    }
    for path, method in public:
        answer = await client.request(method.upper(), path, json={} if method == "post" else None)
        assert answer.status_code != 401 or path in ("/api/auth/refresh", "/api/auth/logout")
    # Every other operation keeps the document-wide bearer requirement, and means it.
    assert spec["security"] == [{"BearerToken": []}]
    assert (await client.get("/api/customers")).status_code == 401


async def test_a_draft_realignment_that_clashes_with_a_newer_rule_previews_as_a_documented_409(
    client, db
):
    world = await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    rule = {"territory_id": world.north, "country": "US", "postal_exact": "98999"}
    draft = await client.post(
        "/api/realignments",
        json={"effective_on": date.today().isoformat(), "changes": {"add_rules": [rule]}},
        headers=admin,
    )
    assert draft.status_code == 201, draft.text
    added = await client.post("/api/territory-rules", json=rule, headers=admin)
    assert added.status_code == 201, added.text

    preview = await client.get(f"/api/realignments/{draft.json()['id']}/preview", headers=admin)

    assert preview.status_code == 409 and preview.json()["code"] == "duplicate_rule"
    documented = (await _spec(client))["paths"]["/api/realignments/{realignment_id}/preview"]
    assert "409" in documented["get"]["responses"]
