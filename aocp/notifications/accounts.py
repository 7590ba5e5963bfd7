"""What nominations tell whom: when ASEC approves or refuses a nomination, the person who nominated is told."""
from __future__ import annotations

from aocp.accounts.models import Invitation, User
from aocp.notifications.emails import url_for_path
from aocp.notifications.services import notify


def nomination_decided(actor: User, inv: Invitation, approved: bool) -> None:
    """Tell the nominating person (not the one who decided: `notify` never tells the actor)."""
    if inv.invited_by is None:
        return
    verdict = "approved: an invitation is sent to" if approved else "refused for"
    notify("nomination_decided", actor, inv, [inv.invited_by], f"Nomination {verdict} {inv.name}",
           url_for_path("admin.nominate"),
           f"{inv.name} <{inv.email}>, {inv.role.replace('_', ' ')} of {inv.org.name}.")
