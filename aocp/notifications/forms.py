"""Notification settings forms: one choice per kind of event (and per role, for ASEC's defaults)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from aocp.accounts.models import ROLE_LABELS, ROLES
from aocp.notifications.models import CHANNELS, KINDS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(default_label: str) -> list[tuple[str, str]]:
    return [("default", default_label), *CHANNELS.items()]


def preferences_form(defaults: dict[str, str], bodies: list[tuple[int, str]], **kwargs) -> FlaskForm:
    """A person's settings: `defaults` maps each kind to the channel they get without a choice."""
    class PreferencesForm(FlaskForm):
        muted = CheckboxesField("Mute these bodies (nothing about their meetings and action items)",
                                choices=[(str(i), label) for i, label in bodies], validate_choice=True)

    for kind, label in KINDS.items():
        setattr(PreferencesForm, f"kind_{kind}",
                SelectField(label, choices=_choices(f"Default: {CHANNELS[defaults[kind]]}"), default="default"))
    return PreferencesForm(**kwargs)


def defaults_form(builtin: dict[str, str], **kwargs) -> FlaskForm:
    """ASEC's defaults: one choice per role and kind; "default" keeps the built-in channel."""
    class DefaultsForm(FlaskForm):
        pass

    for role in ROLES:
        for kind in KINDS:
            setattr(DefaultsForm, f"{role}__{kind}",
                    SelectField(f"{ROLE_LABELS[role]}: {KINDS[kind]}",
                                choices=_choices(f"Built-in: {CHANNELS[builtin[kind]]}"), default="default"))
    return DefaultsForm(**kwargs)
