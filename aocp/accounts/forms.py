"""Sign-in, second-factor, invitation and reset forms."""
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from aocp.forms import new_password_fields


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    code = StringField("Code from your authenticator app, or a recovery code",
                       validators=[DataRequired(), Length(max=32)],
                       # no numeric keypad: recovery codes have letters, and a phone's keypad could not type them
                       render_kw={"autocomplete": "one-time-code", "autofocus": True})


class AcceptInvitationForm(FlaskForm):
    password, confirm = new_password_fields()


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
                       render_kw={"autocomplete": "username"})


class ResetForm(FlaskForm):
    password, confirm = new_password_fields()
