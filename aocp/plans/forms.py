"""Plan forms. Choices come from the database (see `fill_*`); the services check the rest."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.plans.models import LINE_STATUSES, PLAN_STATUSES, Plan, Strategy


class PlanForm(FlaskForm):
    code = StringField("Code", validators=[Optional(), Length(max=32)], render_kw={"placeholder": "AMCAP-IV-P1"})
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    title = StringField("Full title", validators=[Optional(), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20_000)])
    start_year = StringField("First year", validators=[DataRequired(), Length(max=4)])
    end_year = StringField("Last year", validators=[DataRequired(), Length(max=4)])
    status = SelectField("Status", choices=list(PLAN_STATUSES.items()), default="draft")
    carried_from = SelectField("Follows the plan", validators=[Optional()])


class AreaForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=16)], render_kw={"placeholder": "TIM"})
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    key_focus = TextAreaField("Key focus", validators=[Optional(), Length(max=5000)])
    working_group = SelectField("Working group", validators=[Optional()])


class StrategyForm(FlaskForm):
    area = SelectField("Programme area", validators=[DataRequired()])
    code = StringField("Code", validators=[DataRequired(), Length(max=16)], render_kw={"placeholder": "TI1"})
    title = TextAreaField("Title", validators=[DataRequired(), Length(max=2000)])


class ActionLineForm(FlaskForm):
    strategy = SelectField("Strategy", validators=[DataRequired()])
    code = StringField("Code", validators=[DataRequired(), Length(max=16)], render_kw={"placeholder": "TI1.1"})
    text = TextAreaField("Text", validators=[DataRequired(), Length(max=5000)])
    body = SelectField("Responsible working group", validators=[Optional()])
    leads = SelectMultipleField("Lead Member States", validators=[Optional()])
    participants = SelectMultipleField("Participating Member States and partners", validators=[Optional()])
    indicators = TextAreaField("Indicators", validators=[Optional(), Length(max=5000)])


class MilestoneForm(FlaskForm):
    year = StringField("Year", validators=[DataRequired(), Length(max=4)])
    text = TextAreaField("Milestone", validators=[DataRequired(), Length(max=2000)])
    target = StringField("Target", validators=[Optional(), Length(max=2000)])
    due_on = DateField("Due on", validators=[Optional()])


class CarryOverForm(FlaskForm):
    strategy = SelectField("Into strategy (of another plan)", validators=[DataRequired()])
    code = StringField("New code", validators=[Optional(), Length(max=16)])


class ImportForm(FlaskForm):
    file = FileField("CSV or XLSX file", validators=[DataRequired()])


class ReportForm(FlaskForm):
    """Milestone percentages (`milestone-<id>`) and evidence are read from the request by the view."""
    status = SelectField("Status of the action line", choices=list(LINE_STATUSES.items()), default="on_track")
    narrative = TextAreaField("Narrative", validators=[Optional(), Length(max=20_000)])
    issues = TextAreaField("Issues", validators=[Optional(), Length(max=20_000)])
    support_needed = TextAreaField("Support needed", validators=[Optional(), Length(max=20_000)])
    evidence = SelectMultipleField("Evidence documents", validators=[Optional()], validate_choice=False)
    version = HiddenField()


class SharingForm(FlaskForm):
    """Share a plan's structure with partners (yes) or keep it with ASEAN (no)."""
    shared = HiddenField(validators=[AnyOf(("yes", "no"))])


class ReviewForm(FlaskForm):
    reviewer_comment = TextAreaField("Comment for the lead country", validators=[Optional(), Length(max=5000)])
    version = HiddenField()


def _bodies() -> list[tuple[str, str]]:
    return [(b.code, f"{b.short_name} – {b.name}") for b in
            db.session.execute(select(Body).order_by(Body.id)).scalars()]


def _orgs(member_states_only: bool) -> list[tuple[str, str]]:
    stmt = select(Organisation).order_by(Organisation.code)
    if member_states_only:
        stmt = stmt.where(Organisation.kind == "member_state")
    return [(o.code, f"{o.code} – {o.name}") for o in db.session.execute(stmt).scalars()]


def fill_plan(form: PlanForm, exclude: Plan | None = None) -> None:
    plans = db.session.execute(select(Plan.code, Plan.name).order_by(Plan.start_year, Plan.code)).all()
    form.carried_from.choices = [("", "—")] + [(c, n) for c, n in plans if exclude is None or c != exclude.code]


def fill_area(form: AreaForm) -> None:
    form.working_group.choices = [("", "—")] + _bodies()


def fill_strategy(form: StrategyForm, plan: Plan) -> None:
    form.area.choices = [(str(a.id), f"{a.code} – {a.name}") for a in plan.areas]


def fill_line(form: ActionLineForm, plan: Plan) -> None:
    form.strategy.choices = [(str(s.id), f"{s.code} – {s.title[:80]}") for a in plan.areas for s in a.strategies]
    form.body.choices = [("", "The programme area's working group")] + _bodies()
    form.leads.choices = _orgs(True)
    form.participants.choices = _orgs(False)


def fill_carry(form: CarryOverForm, plan: Plan) -> None:
    rows = db.session.execute(select(Strategy, Plan.code).join(Plan, Plan.id == Strategy.plan_id)
                              .where(Plan.id != plan.id, Plan.status != "closed")
                              .order_by(Plan.code, Strategy.position, Strategy.code)).all()
    form.strategy.choices = [(str(s.id), f"{code} · {s.code} – {s.title[:70]}") for s, code in rows]
