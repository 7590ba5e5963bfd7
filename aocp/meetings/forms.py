"""Forms of the workspace and meeting pages. Choices come from the database (views fill them); services check
the rules that need more than one field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from aocp.meetings.models import ACTION_STATUSES, ITEM_KINDS, MEETING_STATUSES, RSVP, TIMEZONES


def _int_or_zero(value) -> int:
    """Coerce a select's value to an id; anything that is not one becomes 0 (none chosen)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class _PageForm(FlaskForm):
    """One of several forms on the meeting page: a prefix keeps their field names and ids apart."""
    field_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.field_prefix)
        super().__init__(*args, **kwargs)


class MeetingForm(FlaskForm):
    number = IntegerField("Meeting number", validators=[Optional(), NumberRange(1, 9999, "A number from 1 to 9999.")])
    starts_on = DateField("First day", validators=[DataRequired("Give the first day as a date, e.g. 2026-03-24.")])
    ends_on = DateField("Last day", validators=[DataRequired("Give the last day as a date, e.g. 2026-03-26.")])
    start_time = StringField("Start time (local)", default="09:00",
                             validators=[DataRequired("Give the start time as HH:MM."), Length(max=5)],
                             render_kw={"placeholder": "09:00", "inputmode": "numeric"})
    end_time = StringField("End time (local)", default="17:00", validators=[Optional(), Length(max=5)],
                           render_kw={"placeholder": "17:00", "inputmode": "numeric"})
    timezone = SelectField("Time zone", choices=[(z, z.replace("_", " ")) for z in TIMEZONES],
                           default="Asia/Jakarta")
    host = SelectField("Host country", default="")
    venue = StringField("Venue", validators=[Optional(), Length(max=300)])
    online_url = StringField("Online meeting link", validators=[Optional(), Length(max=500)],
                             render_kw={"placeholder": "https://"})
    chair = SelectField("Chair", coerce=_int_or_zero, default=0)
    status = SelectField("Status", choices=list(MEETING_STATUSES.items()), default="planned")
    group_with = SelectField("Held back-to-back with", coerce=_int_or_zero, default=0)
    paper_deadline = DateField("Papers due by", validators=[Optional()])


class AgendaItemForm(_PageForm):
    field_prefix = "item"
    title = StringField("Agenda item", validators=[DataRequired("An agenda item needs a title."), Length(max=300)])
    presenter = StringField("Presenter", validators=[Optional(), Length(max=200)])
    kind = SelectField("Kind", choices=list(ITEM_KINDS.items()), default="item")
    duration_minutes = IntegerField("Minutes", default=15,
                                    validators=[Optional(),
                                                NumberRange(1, 600, "A duration between 1 and 600 minutes.")])
    day = SelectField("Day", coerce=_int_or_zero, default=1)
    fixed_start = StringField("Fixed start (optional)", validators=[Optional(), Length(max=5)],
                              render_kw={"placeholder": "HH:MM", "inputmode": "numeric"})
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])

    def fill_days(self, days: int) -> None:
        self.day.choices = [(n, f"Day {n}") for n in range(1, days + 1)]


# A person or a document is named by typing (the server resolves it); the page's script suggests from a <datalist>.
_TYPED_KW = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


class PaperForm(_PageForm):
    field_prefix = "paper"
    item = SelectField("Agenda item", coerce=_int_or_zero, validators=[DataRequired("Choose an agenda item.")])
    document = StringField("Document", validators=[DataRequired("Type part of a document's title and pick one.")],
                           render_kw={**_TYPED_KW, "list": "paper-document-list"})


class RsvpForm(FlaskForm):
    rsvp = RadioField("Will you attend?", choices=[(k, v) for k, v in RSVP.items() if k != "invited"],
                      validators=[DataRequired("Answer attending in person, online, or not attending.")])


class InviteForm(_PageForm):
    field_prefix = "invite"
    person = StringField("A member of the body", validators=[Optional()],
                         render_kw={**_TYPED_KW, "list": "invite-person-list"})
    org = SelectField("Or all members from", default="")


class GuestForm(FlaskForm):
    person = StringField("Person", validators=[DataRequired("Type the name or email of the person to invite.")],
                         render_kw={**_TYPED_KW, "list": "guest-person-list"})
    role = SelectField("Role", choices=[("guest", "Guest"), ("resource_person", "Resource person"),
                                        ("secretariat", "Secretariat")], default="guest")


class ActionItemForm(_PageForm):
    field_prefix = "action"
    title = StringField("Action", validators=[DataRequired("An action item needs a title."), Length(max=300)])
    owner_user = StringField("Owner (person)", validators=[Optional()],
                             render_kw={**_TYPED_KW, "list": "action-owner_user-list"})
    owner_org = SelectField("or owner (Member State)", default="")
    due_on = DateField("Due by", validators=[Optional()])
    action_line = StringField("AMCAP action line", validators=[Optional(), Length(max=16)],
                              render_kw={"placeholder": "e.g. TI1.1"})


class ActionStatusForm(FlaskForm):
    status = SelectField("Status", choices=list(ACTION_STATUSES.items()))
