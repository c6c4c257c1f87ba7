"""Every answer an API operation gives is one its OpenAPI description lists, in its shape.

Walks the OpenAPI document and calls each operation the ways clients get it wrong: without
a login, as a rep and as an admin with ids that do not exist, with an unknown body field,
with text that cannot be stored. Every status must be documented for that operation, and
every refusal must be a problem+json body.
"""

from __future__ import annotations

import re
from typing import Any

from tests.factories import bearer, login, seed_world

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM_FIELDS = {"type", "title", "status", "code", "detail", "instance"}


def _attempts(
    rep: dict[str, str], admin: dict[str, str]
) -> list[tuple[str, dict[str, str], Any, dict[str, str]]]:
    return [
        ("no login", {}, {}, {}),
        ("a rep, unknown ids", rep, {}, {}),
        ("an admin, unknown ids", admin, {}, {}),
        ("an admin, an unknown field", admin, {"no_such_field": 1}, {}),
        ("an admin, a NUL in the query", admin, {}, {"q": "a\u0000b"}),
    ]


async def test_every_status_an_operation_answers_is_documented_with_the_problem_shape(client, db):
    await seed_world(db)
    spec = (await client.get("/schema/openapi.json")).json()
    rep = bearer(await login(client, "rep1@corp.test"))
    admin = bearer(await login(client, "admin@corp.test"))
    undocumented: list[str] = []
    shapeless: list[str] = []
    calls = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS or path == "/api/auth/logout":
                continue  # signing out would end the sessions the walk uses
            documented = {int(code) for code in operation["responses"]}
            url = re.sub(r"\{[^}]+\}", UNKNOWN_ID, path)
            for how, headers, body, params in _attempts(rep, admin):
                response = await client.request(
                    method.upper(),
                    url,
                    params=params,
                    headers={**headers, "accept": "application/json"},
                    json=body if "requestBody" in operation else None,
                )
                calls += 1
                status = response.status_code
                if status not in documented:
                    undocumented.append(
                        f"{method.upper()} {path} ({how}): {status}, documented {sorted(documented)}"
                    )
                if status >= 400:
                    problem = (
                        response.json()
                        if "json" in response.headers.get("content-type", "")
                        else {}
                    )
                    if not (
                        response.headers["content-type"].startswith("application/problem+json")
                        and set(problem) >= PROBLEM_FIELDS
                        and problem["status"] == status
                    ):
                        shapeless.append(
                            f"{method.upper()} {path} ({how}): {status} {response.text[:120]}"
                        )
    assert calls > 300
    assert undocumented == [], "\n".join(undocumented)
    assert shapeless == [], "\n".join(shapeless)


async def test_pull_documents_the_page_it_answers(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    spec = (await client.get("/schema/openapi.json")).json()
    answer = spec["paths"]["/api/sync/v1/pull"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    shape = spec["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]
    page = (await client.get("/api/sync/v1/pull", headers=rep)).json()
    assert set(page) <= set(shape["properties"]) and set(shape["required"]) <= set(page)
    assert shape["properties"]["cursor"]["type"] == "string" and isinstance(page["cursor"], str)
    assert shape["properties"]["changes"]["type"] == "array" and isinstance(page["changes"], list)
