"""The membership plans (free, plus, premium) with their price, limits and queue priority: one
table every app reads."""

from dataclasses import dataclass

from accounts.models import Plan

MEMBERSHIP_PERIOD_DAYS = 30


@dataclass(frozen=True)
class PlanRules:
    plan: str
    price_per_period: int  # whole toman per 30 days
    may_reserve: bool
    max_days: int
    max_active_reservations: int
    queue_priority: int  # lower is served first


PLANS: dict[str, PlanRules] = {
    Plan.FREE: PlanRules(Plan.FREE, 0, False, 0, 0, 2),
    Plan.PLUS: PlanRules(Plan.PLUS, 50_000, True, 7, 5, 1),
    Plan.PREMIUM: PlanRules(Plan.PREMIUM, 200_000, True, 14, 10, 0),
}


def rules_for(plan: str) -> PlanRules:
    return PLANS[plan]
