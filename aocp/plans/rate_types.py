"""What the achievement rates are made of (computed in rates.py): a rate, a milestone-weighted rate, a group's and a
quarter's rates, a milestone's red/amber/green flag, a line's state and a plan's rates, and the rounding they use."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal


def percent_half_up(numerator: float, denominator: float) -> int | None:
    """100 * numerator / denominator as a whole number, halves rounded up; None for 0/0."""
    if not denominator:
        return None
    if type(numerator) is int and type(denominator) is int and numerator >= 0 and denominator > 0:
        return (200 * numerator + denominator) // (2 * denominator)  # the same, in integers: a page shows hundreds
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Rate:
    """Completed action lines over action lines not withdrawn."""
    completed: int
    counted: int

    @property
    def fraction(self) -> float | None:
        return self.completed / self.counted if self.counted else None

    @property
    def percent(self) -> int | None:
        return percent_half_up(self.completed, self.counted)

    def __str__(self) -> str:
        return "–" if self.percent is None else f"{self.percent}%"


@dataclass(frozen=True)
class MilestoneRate:
    """Mean % done of the milestones due by the date."""
    due: int
    percent_sum: int

    @property
    def mean(self) -> float | None:
        return self.percent_sum / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        return percent_half_up(self.percent_sum, self.due * 100) if self.due else None

    def __str__(self) -> str:
        return "–" if self.percent is None else f"{self.percent}%"


@dataclass(frozen=True)
class GroupRate:
    key: str | None  # area/strategy/body/organisation code; None for lines with no lead or no working group
    label: str
    rate: Rate
    milestones: MilestoneRate


@dataclass(frozen=True)
class QuarterRate:
    year: int
    quarter: int
    rate: Rate
    withdrawn: int


@dataclass(frozen=True)
class MilestoneFlag:
    milestone_id: int
    action_line_id: int
    action_line_code: str
    year: int
    text: str
    target: str
    due_on: date
    percent: int
    expected: int
    flag: str  # "red", "amber" or "green"


@dataclass(frozen=True)
class LineState:
    action_line_id: int
    code: str
    status: str  # a key of LINE_STATUSES
    year: int | None  # period of the report the status comes from
    quarter: int | None
    report_id: int | None
    accepted_at: datetime | None
    percent_done: int | None  # mean % done of all the line's milestones, None without milestones


@dataclass(frozen=True)
class PlanRates:
    as_of: datetime
    overall: Rate
    milestones: MilestoneRate
    status_counts: dict[str, int]
    by_area: list[GroupRate]
    by_strategy: list[GroupRate]
    by_working_group: list[GroupRate]
    by_lead: list[GroupRate]


@dataclass(frozen=True)
class Dashboard:
    summary: PlanRates
    trend: list[QuarterRate]
    overdue: list[MilestoneFlag]  # the red milestones, in plan order
    statuses: dict[int, str]  # action line id -> status, for the lines with an accepted report
