"""Administration forms. Choices are filled from the database by the views."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from aocp.accounts.models import ROLE_LABELS
from aocp.orgs.models import BODY_ROLES, ORG_KINDS

ROLE_CHOICES = list(ROLE_LABELS.items())
BODY_ROLE_CHOICES = [(r, r.replace("_", " ")) for r in BODY_ROLES]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    org = SelectField("Organisation", validators=[DataRequired()])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    bodies = SelectMultipleField("Bodies (member of)", validators=[Optional()])


class UserEditForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    org = SelectField("Organisation", validators=[DataRequired()])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])


class MembershipForm(FlaskForm):
    body = SelectField("Body", validators=[DataRequired()])
    role = SelectField("Role in the body", choices=BODY_ROLE_CHOICES, default="member")


class OrganisationForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=16), Regexp(r"^[A-Z0-9]+$",
                       message="Capital letters and digits only, e.g. AUS.")])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=[(k, k.replace("_", " ")) for k in ORG_KINDS])
    require_mfa = BooleanField("Everyone in this organisation must use a second factor")


class BodyForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=16), Regexp(r"^[A-Z0-9]+$",
                       message="Capital letters and digits only, e.g. WGX.")])
    short_name = StringField("Short name", validators=[DataRequired(), Length(max=32)])
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    parent = SelectField("Reports to", validators=[Optional()])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
