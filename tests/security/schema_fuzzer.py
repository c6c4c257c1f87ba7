"""Schemathesis over the app's own OpenAPI document, in process, with a fixed seed.

The engine is the one `schemathesis run` drives (examples, coverage, fuzzing and stateful
phases); here it calls the ASGI app directly on schemathesis's own event loop thread, so
the app it is given must own a database handle no other event loop has used.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from litestar import Litestar
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.python import asgi

__all__ = ["Finding", "FuzzPlan", "fuzz", "login_in_process", "stop_apps"]

SEED = 20261206

# What every answer must be: never a server error, and always one the document lists, in
# the listed content type and shape. Schema-violating input must be refused, a call
# without a login must be refused, a deleted resource must stay gone, and a created one
# must be readable.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
]
# A body past a documented size limit is refused before it is read: 413 is a refusal too.
NEGATIVE_DATA_REJECTED_WITH = ["400", "401", "403", "404", "405", "409", "413", "415", "422", "429"]


@dataclass(frozen=True)
class FuzzPlan:
    phases: tuple[str, ...]
    max_examples: int
    coverage_modes: tuple[str, ...] = ("positive", "negative")
    excluded_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    phase: str
    operation: str
    check: str
    title: str
    message: str
    status: int | None
    body: str
    request: str

    def __str__(self) -> str:
        return (
            f"[{self.phase}] {self.operation} {self.check}: {self.title}\n"
            f"    {self.message[:300]}\n    answered {self.status}: {self.body[:200]}\n"
            f"    {self.request[:300]}"
        )


@dataclass
class FuzzResult:
    findings: list[Finding] = field(default_factory=list)
    cases_by_phase: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds_by_phase: dict[str, float] = field(default_factory=dict)


def login_in_process(app: Litestar, email: str, password: str) -> str:
    """An access token, asked for the way schemathesis calls the app."""
    with asgi.get_client(app) as client:
        answer = client.post("/api/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def stop_apps() -> None:
    """End the apps schemathesis started (their shutdown closes their database handles)."""
    asgi.shutdown_lifespans()


def fuzz(
    app: Litestar,
    token: str,
    plan: FuzzPlan,
    *,
    tolerated: Callable[[Finding], bool] = lambda _: False,
) -> FuzzResult:
    config = SchemathesisConfig(seed=SEED)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=config)
    for path in plan.excluded_paths:
        schema = schema.exclude(path=path)
    schema.config.update(headers={"Authorization": f"Bearer {token}"})
    schema.config.phases.update(phases=list(plan.phases))
    schema.config.generation.update(max_examples=plan.max_examples, database="none")
    schema.config.phases.coverage.generation.update(modes=list(plan.coverage_modes))
    schema.config.checks.update(included_check_names=CHECKS)
    schema.config.checks.negative_data_rejection.expected_statuses = NEGATIVE_DATA_REJECTED_WITH

    result = FuzzResult()
    seen: set[tuple[str, str, str]] = set()
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            started = time.monotonic()
        elif isinstance(event, events.PhaseFinished):
            name = event.phase.name.value
            result.seconds_by_phase[name] = result.seconds_by_phase.get(name, 0) + round(
                time.monotonic() - started, 1
            )
        elif isinstance(event, events.ScenarioFinished):
            phase = event.phase.value
            result.cases_by_phase[phase] = result.cases_by_phase.get(phase, 0) + len(
                event.recorder.cases
            )
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    status = interaction.response.status_code
                    result.statuses[status] = result.statuses.get(status, 0) + 1
            for finding in _findings(phase, event.recorder):
                key = (finding.operation, finding.check, finding.title)
                if key not in seen and not tolerated(finding):
                    seen.add(key)
                    result.findings.append(finding)
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.title}: {event.info.message[:300]}")
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {event.exception!r}")
    return result


def _findings(phase: str, recorder: Any) -> Iterable[Finding]:
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            failure = check.failure_info.failure
            response = recorder.find_response(case_id=case_id)
            body = response.content.decode("utf-8", "replace") if response is not None else ""
            yield Finding(
                phase=phase,
                operation=recorder.label,
                check=check.name,
                title=failure.title,
                message=failure.message or "",
                status=response.status_code if response is not None else None,
                body=body,
                request=check.failure_info.code_sample,
            )


def problem_code(finding: Finding) -> str | None:
    try:
        return str(json.loads(finding.body).get("code"))
    except (ValueError, AttributeError):
        return None
