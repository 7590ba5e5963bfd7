"""The provider form of the administration console. Organisation choices are filled by the view.

The organisation fields are named unlike the model's relationships so that `obj=` never fills them with rows.
"""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class ProviderForm(FlaskForm):
    name = StringField("Name on the sign-in button", validators=[DataRequired(), Length(max=100)])
    slug = StringField("Short name in the redirect URI", validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[a-z0-9][a-z0-9-]*$", message="Lower-case letters, digits and hyphens, e.g. asec-entra.")])
    issuer = URLField("Issuer (or its discovery URL)", validators=[DataRequired(), Length(max=300)])
    client_id = StringField("Client ID", validators=[DataRequired(), Length(max=255)])
    # Never shown back (and named unlike the column, so it is never filled from it): empty keeps the stored one.
    secret = PasswordField("Client secret", validators=[Optional(), Length(max=500)],
                                  render_kw={"autocomplete": "off"})
    enabled = BooleanField("Enabled: show “Sign in with …” on the sign-in page", default=True)
    orgs = SelectMultipleField("Organisations whose people may use it", validators=[DataRequired()])
    allow_email_link = BooleanField("Link a first sign-in to the account with the same verified email")
    allow_provisioning = BooleanField("Create an account (pending approval) for an unknown identity")
    new_account_org = SelectField("Organisation of new accounts", validators=[Optional()])
    trust_mfa = BooleanField("Trust the provider's second factor when its ID token asserts one")
    mfa_acr_values = StringField("acr values that also mean a second factor (space-separated)",
                                 validators=[Optional(), Length(max=500)])
