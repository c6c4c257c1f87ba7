"""The rep's own commission summary in the pull: one entity per user, its id the user's.

"commission_summary" -- the pulling user's current period (this month), as
``GET /api/commission/me`` answers it::

    {"rep_id", "period": "YYYY-MM", "basis": "booked"|"invoiced"|"paid"|null,
     "earned_cents", "base_cents", "tier_adjustment_cents", "pending_cents",
     "paid_cents", "revenue_cents", "quota_cents": int|null,
     "attainment_percent": "87.5"|null, "next_tier_percent": str|null,
     "next_tier_multiplier": str|null, "next_tier_revenue_needed_cents": int|null,
     "statement_status": "draft"|"approved"|"paid", "spiff_cents",
     "quota_period": "YYYY-MM"|"YYYY-Qn"|null, "quota_base_cents", "quota_revenue_cents",
     "draw_cents", "draw_recovered_cents", "draw_outstanding_cents",
     "plan": {"id", "version", "basis", "default_rate": "7.5",
              "category_rates": {id: percent}, "product_rates": {id: percent},
              "erosion_limit": "20"|null,
              "spiffs": [{"product_id", "per": "unit"|"order", "amount_cents",
                          "starts_on": "YYYY-MM-DD", "ends_on": "YYYY-MM-DD"}],
              "pays_on": "revenue"|"margin", "category_pays_on": {id: basis},
              "product_pays_on": {id: basis}, "tier_mode": "none"|"marginal"|"retroactive",
              "tiers": [{"from_percent", "multiplier"}], "cap_cents": int|null}|null,
     "disputes": [{"id", "entry_id", "period", "status": "open"|"answered", "comment",
                   "entry_amount_cents", "order_number", "answer", "adjustment_cents",
                   "adjustment_period", ...}]}

`disputes` are the rep's latest questions about lines of their statements (newest first,
at most 20), with the manager's answers.

`plan` is the plan in force today: the builders' what-if (pwa/static/js/commission.js)
computes from it offline.

It is touched (for its owner only) whenever an entry of the user's is appended, when a
statement of theirs is approved or paid and when a dispute of theirs is opened or answered,
and for every active user when a plan is created.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.unit_of_work import unit_of
from server.domain.commission import period_of
from server.features.commission.dispute_queries import recent_disputes
from server.features.commission.summary import rep_summary
from sync.feed import FeedSource, Visibility

__all__ = ["COMMISSION_SOURCES"]


async def _summary_ids(
    session: AsyncSession, visibility: Visibility, after: str, limit: int
) -> list[str]:
    return [visibility.user_id] if visibility.user_id > after and limit > 0 else []


async def _summaries(
    session: AsyncSession, visibility: Visibility, ids: list[str]
) -> dict[str, dict[str, Any]]:
    if visibility.user_id not in ids:
        return {}
    unit = unit_of(session)
    summary = await rep_summary(unit, visibility.user_id, period_of(date.today()))
    disputes = await recent_disputes(unit, visibility.user_id)
    return {
        visibility.user_id: {
            **msgspec.to_builtins(summary),
            "disputes": msgspec.to_builtins(disputes),
        }
    }


COMMISSION_SOURCES = [FeedSource("commission_summary", _summary_ids, _summaries)]
