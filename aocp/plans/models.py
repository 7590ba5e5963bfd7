"""AMCAP plans: programme areas, strategies, action lines, milestones and quarterly progress reports.

A plan (AMCAP-III Phase 2, AMCAP-IV Phase 1, the ASEAN+3 work plan...) groups programme areas, each area its
outcome-based strategies, each strategy its action lines. The lead Member States of an action line file one
progress report per quarter; the responsible working group's chair or ASEC reviews it. Every saved state of a
report is frozen as a ReportRevision, so what was known on any past date can be computed again.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aocp.extensions import db
from aocp.timeutil import utcnow

PLAN_STATUSES = {"draft": "Being prepared", "active": "Being implemented", "closed": "Closed"}
LINE_STATUSES = {"not_started": "Not started", "on_track": "On track", "delayed": "Delayed",
                 "completed": "Completed", "carried_over": "Carried over", "withdrawn": "Withdrawn"}
REPORT_STATES = {"draft": "Draft", "submitted": "Submitted for review", "returned": "Returned with comments",
                 "accepted": "Accepted"}

action_line_leads = Table(
    "action_line_leads", db.metadata,
    Column("action_line_id", ForeignKey("action_lines.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True),
)
action_line_participants = Table(
    "action_line_participants", db.metadata,
    Column("action_line_id", ForeignKey("action_lines.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Plan(db.Model):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(f"status IN {tuple(PLAN_STATUSES)}", name="status"),
        CheckConstraint("end_year >= start_year", name="years_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    start_year: Mapped[int] = mapped_column()
    end_year: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # ASEC may show the plan's structure and published rates to partners (observers); reports stay ASEAN's.
    shared_with_partners: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The plan this one follows (AMCAP-IV Phase 1 follows AMCAP-III Phase 2).
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    carried_from: Mapped[Plan | None] = relationship(remote_side=[id])
    areas: Mapped[list[ProgrammeArea]] = relationship(back_populates="plan", order_by="ProgrammeArea.position",
                                                      cascade="all, delete-orphan", passive_deletes=True)

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    def __repr__(self) -> str:
        return f"<Plan {self.code}>"


class ProgrammeArea(db.Model):
    __tablename__ = "programme_areas"
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_programme_areas_plan_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    key_focus: Mapped[str] = mapped_column(Text, default="")
    # The working group that normally carries the area's action lines.
    working_group_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship(back_populates="areas")
    working_group: Mapped["Body | None"] = relationship()  # noqa: F821
    strategies: Mapped[list[Strategy]] = relationship(back_populates="area", order_by="Strategy.position",
                                                      passive_deletes=True)


class Strategy(db.Model):
    """An outcome-based strategy (TI1, ES2, ...)."""
    __tablename__ = "strategies"
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_strategies_plan_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("programme_areas.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship()
    area: Mapped[ProgrammeArea] = relationship(back_populates="strategies")
    action_lines: Mapped[list[ActionLine]] = relationship(back_populates="strategy", order_by="ActionLine.position",
                                                          passive_deletes=True)


class ActionLine(db.Model):
    __tablename__ = "action_lines"
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_action_lines_plan_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # The responsible working group (or other body) whose chair reviews the reports.
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="SET NULL"), index=True)
    indicators: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # Carry-over: the unfinished line of an earlier plan this one continues.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("action_lines.id", ondelete="SET NULL"),
                                                        index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[Plan] = relationship()
    strategy: Mapped[Strategy] = relationship(back_populates="action_lines")
    body: Mapped["Body | None"] = relationship()  # noqa: F821
    leads: Mapped[list["Organisation"]] = relationship(  # noqa: F821
        secondary=action_line_leads, order_by="Organisation.code")
    participants: Mapped[list["Organisation"]] = relationship(  # noqa: F821
        secondary=action_line_participants, order_by="Organisation.code")
    milestones: Mapped[list[Milestone]] = relationship(back_populates="action_line",
                                                       order_by=lambda: (Milestone.due_on, Milestone.id),
                                                       cascade="all, delete-orphan", passive_deletes=True)
    carried_from: Mapped[ActionLine | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<ActionLine {self.code}>"


class Milestone(db.Model):
    """A yearly milestone; it is due on `due_on` (31 December of its year unless set otherwise)."""
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_due", "action_line_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_line_id: Mapped[int] = mapped_column(ForeignKey("action_lines.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)

    action_line: Mapped[ActionLine] = relationship(back_populates="milestones")


class ProgressReport(db.Model):
    """A lead country's quarterly report on one action line; `version` makes a lost update a Conflict."""
    __tablename__ = "progress_reports"
    __table_args__ = (
        UniqueConstraint("action_line_id", "year", "quarter", name="uq_progress_reports_line_period"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"),
        CheckConstraint(f"status IN {tuple(LINE_STATUSES)}", name="status"),
        CheckConstraint(f"state IN {tuple(REPORT_STATES)}", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_line_id: Mapped[int] = mapped_column(ForeignKey("action_lines.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column()
    quarter: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    narrative: Mapped[str] = mapped_column(Text, default="")
    issues: Mapped[str] = mapped_column(Text, default="")
    support_needed: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    reviewer_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()

    action_line: Mapped[ActionLine] = relationship()
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    updated_by: Mapped["User | None"] = relationship(foreign_keys=[updated_by_id])  # noqa: F821
    submitted_by: Mapped["User | None"] = relationship(foreign_keys=[submitted_by_id])  # noqa: F821
    reviewed_by: Mapped["User | None"] = relationship(foreign_keys=[reviewed_by_id])  # noqa: F821
    milestone_progress: Mapped[list[MilestoneProgress]] = relationship(
        back_populates="report", cascade="all, delete-orphan", passive_deletes=True)
    evidence: Mapped[list[ReportEvidence]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def period(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def locked(self) -> bool:
        return self.state == "accepted"


class MilestoneProgress(db.Model):
    __tablename__ = "milestone_progress"
    __table_args__ = (CheckConstraint("percent BETWEEN 0 AND 100", name="percent"),)

    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"), primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)
    percent: Mapped[int] = mapped_column(default=0)

    report: Mapped[ProgressReport] = relationship(back_populates="milestone_progress")
    milestone: Mapped[Milestone] = relationship()


class ReportEvidence(db.Model):
    """A document attached to a report as evidence; it keeps its own access level."""
    __tablename__ = "report_evidence"

    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)

    document: Mapped["Document"] = relationship()  # noqa: F821


class ReportRevision(db.Model):
    """A frozen copy of a report each time it is saved, submitted, returned or accepted.

    `line_status` and `state` are copied out of the snapshot so that the state of every action line on a
    past date is one query: the newest accepted revision created before that date.
    """
    __tablename__ = "report_revisions"
    # Also holds what the rates read of each accepted revision, so the dashboard's one pass reads the index alone.
    __table_args__ = (Index("ix_report_revisions_line_state", "action_line_id", "state", "created_at", "year",
                            "quarter", "line_status", "report_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"), index=True)
    action_line_id: Mapped[int] = mapped_column(ForeignKey("action_lines.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column()
    quarter: Mapped[int] = mapped_column()
    state: Mapped[str] = mapped_column(String(16))
    line_status: Mapped[str] = mapped_column(String(16))
    report_version: Mapped[int] = mapped_column()
    snapshot: Mapped[str] = mapped_column(Text)  # JSON: every field, milestone percents and evidence ids
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped["User | None"] = relationship()  # noqa: F821
