"""Pull: everything a user may see that changed since their cursor, paged.

Cursor forms:
- ""             first pull: a full snapshot, starting with the first entity type;
- "s<H>:<i>:<id>" inside a snapshot taken at counter value H: entity type i, after id;
- "<n>"          the change feed after counter value n;
each followed by "@<view>", the fingerprint of what the user could see when it was given.

A snapshot is read in pages while writers go on; it ends on the cursor H it started at,
so every change committed after it began is pulled again afterwards (re-sending an
entity is harmless: the phone upserts).

The feed only carries what changed. When what a user may see changes without the data
changing (a rep assigned to another territory, an assignment that ends or starts on a
date, a manager's subtree rearranged), the feed has nothing to say about the customers
and documents that came into view or left it. So a cursor names the view it was given
for; pulled with another view, the answer is a new full snapshot marked `reset`, which
replaces everything the phone pulled before. Cursors without a view (given before views
were stamped) go on as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ChangeCounter, ChangeRecord
from server.domain.errors import ValidationFailed
from sync.protocol import Change

__all__ = ["CATALOG_ENTITY_TYPES", "FeedSource", "PullPage", "Visibility", "pull_page"]


# Part of every view: a new value makes every phone pull a fresh snapshot once, for data
# whose meaning changed without a change being recorded (2: a customer's credit limit of 0,
# "no limit" before, is null; 0 is now no credit at all; 3: the rep's commission summary
# joined the pull).
_DATA_SHAPE = "3"

# What is recorded without a territory or owner and is everyone's: products, base and tier
# price lists, tax rates (a customer's own list is recorded with its customer's territory).
CATALOG_ENTITY_TYPES = ("product", "price_list", "tax_rate")


@dataclass(frozen=True)
class Visibility:
    user_id: str
    role: str
    sees_all: bool
    territory_ids: frozenset[str]

    def fingerprint(self) -> str:
        """A short digest of this view: equal for the same user seeing the same territories."""
        parts = [
            _DATA_SHAPE,
            self.user_id,
            self.role,
            "*" if self.sees_all else "",
            *sorted(self.territory_ids),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    def change_filter(self) -> ColumnElement[bool]:
        if self.sees_all:
            return true()
        return or_(
            # Only the catalog is everyone's: a row without a territory that names an owner,
            # or is of any other kind, is none of this user's business.
            and_(
                ChangeRecord.territory_id.is_(None),
                ChangeRecord.owner_id.is_(None),
                ChangeRecord.entity_type.in_(CATALOG_ENTITY_TYPES),
            ),
            ChangeRecord.territory_id.in_(self.territory_ids) if self.territory_ids else false(),
            ChangeRecord.owner_id == self.user_id,
        )


@dataclass(frozen=True)
class FeedSource:
    entity_type: str
    # Visible ids after `after_id`, in id order, at most `limit`.
    snapshot_ids: Callable[[AsyncSession, Visibility, str, int], Awaitable[list[str]]]
    # Current data of the given ids that the user may still see; missing ones are deletions.
    load: Callable[[AsyncSession, Visibility, list[str]], Awaitable[dict[str, dict[str, Any]]]]


@dataclass(frozen=True)
class PullPage:
    cursor: str
    has_more: bool
    changes: list[Change]
    # This page starts a snapshot that replaces what the phone holds (its view changed).
    reset: bool = False


_VIEW_MARK = "@"  # ids, counters and entity type numbers never contain it


def _split_view(cursor: str) -> tuple[str, str | None]:
    position, mark, view = cursor.rpartition(_VIEW_MARK)
    return (position, view) if mark else (cursor, None)


async def _counter(session: AsyncSession) -> int:
    return int(await session.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1)) or 0)


_MAX_POSITION = 2**63 - 1  # the change counter is a 64-bit integer on both databases


def _position(text: str) -> int:
    value = int(text)
    if not 0 <= value <= _MAX_POSITION:
        raise ValueError(text)
    return value


def _parse(cursor: str) -> tuple[str, int, int, str]:
    try:
        if not cursor:
            return ("snapshot", -1, 0, "")
        if cursor.startswith("s"):
            head, index, after = cursor[1:].split(":", 2)
            return ("snapshot", _position(head), _position(index), after)
        return ("feed", _position(cursor), 0, "")
    except ValueError:
        raise ValidationFailed(
            "The sync cursor is not valid; pull again without one.", code="cursor_invalid"
        ) from None


async def pull_page(
    session: AsyncSession,
    sources: list[FeedSource],
    visibility: Visibility,
    cursor: str,
    limit: int,
) -> PullPage:
    position, view = _split_view(cursor)
    current = visibility.fingerprint()
    reset = view is not None and view != current
    mode, value, index, after = _parse("" if reset else position)
    counter = await _counter(session)
    if value > counter:
        # A position this database never reached: the cursor came from another copy of it
        # (a restored backup, a replaced server). Going on from there would skip every
        # change until the counter caught up, so the phone starts over with a snapshot.
        reset = True
        mode, value, index, after = _parse("")
    if mode == "snapshot":
        head = value if value >= 0 else counter
        page = await _snapshot(session, sources, visibility, head, index, after, limit)
    elif value == counter:
        # Nothing was committed since the cursor: the most frequent pull, answered without
        # looking at the feed.
        page = PullPage(cursor=str(value), has_more=False, changes=[])
    else:
        page = await _feed(session, sources, visibility, value, limit)
    return PullPage(
        cursor=f"{page.cursor}{_VIEW_MARK}{current}",
        has_more=page.has_more,
        changes=page.changes,
        reset=reset,
    )


async def _snapshot(
    session: AsyncSession,
    sources: list[FeedSource],
    visibility: Visibility,
    head: int,
    index: int,
    after: str,
    limit: int,
) -> PullPage:
    changes: list[Change] = []
    while index < len(sources) and len(changes) < limit:
        source, want = sources[index], limit - len(changes)
        ids = await source.snapshot_ids(session, visibility, after, want)
        data = await source.load(session, visibility, ids)
        changes.extend(Change(source.entity_type, i, "upsert", data[i]) for i in ids if i in data)
        if len(ids) < want:
            index, after = index + 1, ""
        else:
            after = ids[-1]
    if index >= len(sources):
        return PullPage(cursor=str(head), has_more=False, changes=changes)
    return PullPage(cursor=f"s{head}:{index}:{after}", has_more=True, changes=changes)


async def _feed(
    session: AsyncSession, sources: list[FeedSource], visibility: Visibility, since: int, limit: int
) -> PullPage:
    rows = (
        await session.execute(
            select(ChangeRecord.seq, ChangeRecord.entity_type, ChangeRecord.entity_id)
            .where(ChangeRecord.seq > since, visibility.change_filter())
            .order_by(ChangeRecord.seq, ChangeRecord.id)
            .limit(limit + 1)
        )
    ).all()
    has_more = len(rows) > limit
    page = list(rows[:limit])
    if has_more and rows[limit].seq == rows[limit - 1].seq:
        # Never end a page in the middle of one transaction's changes.
        boundary = rows[limit].seq
        page = [r for r in page if r.seq < boundary]
        if not page:
            page = list(
                (
                    await session.execute(
                        select(ChangeRecord.seq, ChangeRecord.entity_type, ChangeRecord.entity_id)
                        .where(ChangeRecord.seq == boundary, visibility.change_filter())
                        .order_by(ChangeRecord.id)
                    )
                ).all()
            )
    if not page:
        return PullPage(cursor=str(max(since, 0)), has_more=False, changes=[])
    # Each entity once, in the order of its first change: a dict is an ordered set, so a
    # page of hundreds of changes to a few entities (an order's stock rows) costs no more
    # than its length.
    by_type: dict[str, dict[str, None]] = {}
    for row in page:
        by_type.setdefault(row.entity_type, {})[row.entity_id] = None
    changes: list[Change] = []
    for source in sources:
        ids = list(by_type.get(source.entity_type, ()))
        if not ids:
            continue
        data = await source.load(session, visibility, ids)
        # Something that changed and is no longer visible (moved territory, deleted) is
        # a deletion for this phone.
        changes.extend(
            Change(source.entity_type, i, "upsert", data[i])
            if i in data
            else Change(source.entity_type, i, "delete")
            for i in ids
        )
    cursor = page[-1].seq
    return PullPage(cursor=str(cursor), has_more=has_more, changes=changes)
