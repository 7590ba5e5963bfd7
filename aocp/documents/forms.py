"""Document forms. Choices come from the database (see `fill_choices`); the services check the rest."""
from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from aocp.documents.models import ACCESS_LEVELS, DOC_TYPES, LANGUAGES, Document
from aocp.extensions import db
from aocp.meetings.access import visible_bodies_clause
from aocp.meetings.models import Meeting
from aocp.orgs.models import Body, Organisation
from aocp.policy import can
from aocp.timeutil import utcnow

# Meetings offered on the upload and edit forms: those the person may see, from a year back, newest first.
MEETING_CHOICES = 60


class DetailsFields(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=10_000)])
    doc_type = SelectField("Type", choices=list(DOC_TYPES.items()), default="meeting_paper")
    language = SelectField("Language", choices=list(LANGUAGES.items()), default="en")
    # These lists offer what the person may choose; the services refuse anything else with a reason (403), so
    # the fields do not refuse values missing from their lists themselves.
    org = SelectField("From (organisation)", validators=[DataRequired()], validate_choice=False)
    body = SelectField("Body (working group)", validators=[Optional()], validate_choice=False)
    meeting = SelectField("Meeting", validators=[Optional()])
    action_line = StringField("AMCAP action line", validators=[Optional(), Length(max=16)],
                              render_kw={"placeholder": "e.g. TI1.1", "pattern": "[A-Za-z]{2}[0-9]\\.[0-9]{1,2}"})
    tags = StringField("Tags", validators=[Optional(), Length(max=500)], render_kw={"placeholder": "nickel, ESG"})


class AccessFields(FlaskForm):
    access_level = RadioField("Who may see it", choices=list(ACCESS_LEVELS.items()), default="asean")
    access_body = SelectField("Body whose members may see it", validators=[Optional()], validate_choice=False)
    access_orgs = SelectMultipleField("Named organisations", validators=[Optional()])
    access_people = StringField("Named people (emails, separated by commas)", validators=[Optional(),
                                                                                          Length(max=2000)])


class UploadForm(DetailsFields, AccessFields):
    files = MultipleFileField("Files", validators=[DataRequired("Choose at least one file.")])
    note = StringField("Note for this version", validators=[Optional(), Length(max=2000)])


class DetailsForm(DetailsFields):
    pass


class AccessForm(AccessFields):
    pass


class VersionForm(FlaskForm):
    file = FileField("New version", validators=[DataRequired("Choose a file.")])
    note = StringField("What changed", validators=[Optional(), Length(max=2000)])


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(), Length(max=5000)])


def fill_choices(form, user, doc: Document | None = None) -> None:
    """Organisation and body choices for whichever of these fields the form has: those `user` may file for (by
    the policy), and those the document already names."""
    orgs = db.session.execute(select(Organisation).order_by(Organisation.name)).scalars().all()
    bodies = db.session.execute(select(Body).order_by(Body.id)).scalars().all()

    def body_choices(kept_id: int | None) -> list[tuple[str, str]]:
        return [("", "—")] + [(b.code, f"{b.short_name} — {b.name}") for b in bodies
                              if b.id == kept_id or can(user, "documents.file_in", b)]
    if hasattr(form, "org"):
        form.org.choices = [(o.code, o.name) for o in orgs
                            if (doc is not None and o.id == doc.org_id) or can(user, "documents.file_for", o)]
    if hasattr(form, "body"):
        form.body.choices = body_choices(doc.body_id if doc else None)
    if hasattr(form, "access_body"):
        form.access_body.choices = body_choices(doc.access_body_id if doc else None)
        form.access_orgs.choices = [(o.code, o.name) for o in orgs]


def meeting_choices(form, user, keep: Meeting | None = None) -> None:
    """The meetings a document may be filed for; `keep` (the document's own, or the one the link named) stays
    in the list even when it is older."""
    since = utcnow().date() - timedelta(days=365)
    meetings = db.session.execute(
        select(Meeting).options(joinedload(Meeting.body))
        .where(visible_bodies_clause(user, Meeting.body_id), Meeting.ends_on >= since)
        .order_by(Meeting.starts_on.desc(), Meeting.id.desc()).limit(MEETING_CHOICES)).scalars().all()
    if keep is not None and keep not in meetings:
        meetings.append(keep)
    form.meeting.choices = [("", "—")] + [(str(m.id), f"{m.title}, {m.starts_on:%d %b %Y}") for m in meetings]
