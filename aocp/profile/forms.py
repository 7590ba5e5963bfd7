"""Profile forms."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from aocp.forms import new_password_fields
from aocp.meetings.models import TIMEZONES


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    password, confirm = new_password_fields()


class ConfirmMfaForm(FlaskForm):
    code = StringField("6-digit code from the app", validators=[DataRequired(), Length(max=16)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class PasswordConfirmForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})


class TokenForm(FlaskForm):
    name = StringField("Name (what the token is for)", validators=[DataRequired(), Length(max=100)])
    scope = SelectField("Scope", choices=[("read", "Read only"), ("write", "Read and write")])
    days = IntegerField("Expires after (days)", default=90, validators=[DataRequired(), NumberRange(1, 366)])


class TimezoneForm(FlaskForm):
    timezone = SelectField("Your time zone", choices=[(z, z.replace("_", " ")) for z in TIMEZONES])
