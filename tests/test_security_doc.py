"""docs/security.md's table "what each role may read" says what the policy does, cell by cell.

A cell starts with All, Some or None. None: the role does not hold the column's rule. All: it holds the rule and
the rule's object check lets it through every probe object of the column. Some: it holds the rule, and the object
check lets it through some probes and refuses others. The probes are objects a typical person of the role does
not own: a body they are not in, a plan not shared with partners, a draft of a line another country leads...
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from aocp import policy
from aocp.accounts.models import ROLES, User
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.plans.models import ActionLine, Plan, ProgressReport
from tests.conftest import body, org

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"
COLUMNS = {"Documents": "documents.view", "Body members": "bodies.members", "Meetings and workspaces": "workspaces.view",
           "Plan structure": "plans.view", "Progress reports": "reports.view", "Review packs and matrix": "packs.view",
           "People directory": "users.view", "Audit log": "audit.view"}


def read_table() -> tuple[list[str], dict[str, list[str]]]:
    """The header and the rows (by role code) of the table under "What each role may read"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## What each role may read", 1)[1].split("\n## ", 1)[0]  # up to the next section
    lines = [ln.strip() for ln in section.splitlines() if ln.strip().startswith("|")]
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    header, rows = cells[0], [c for c in cells[2:]]
    assert all(re.fullmatch(r"-+", c) for c in cells[1]), "the second line of the table separates the header"
    return header, {row[0]: row[1:] for row in rows}


def verdict(cell: str) -> str:
    word = re.match(r"\**(All|Some|None)\b", cell)
    assert word, f"a cell starts with All, Some or None: {cell!r}"
    return word.group(1)


@pytest.fixture
def probes(ctx):
    """Per rule, objects to ask the policy about (none: the rule looks at no object)."""
    wgtim, wgsmd, tha = body("WGTIM"), body("WGSMD"), org("THA")
    other_line = ActionLine(code="X1.1", text="Led by Thailand", leads=[tha])
    return {
        "documents.view": [Document(title="ASEAN only", access_level="asean"),
                           Document(title="Everyone", access_level="everyone"),
                           Document(title="WGSMD only", access_level="body", access_body_id=wgsmd.id,
                                    access_body=wgsmd)],
        "bodies.members": [wgtim, wgsmd],
        "workspaces.view": [wgtim, wgsmd],
        "plans.view": [Plan(code="ASEAN-ONLY", shared_with_partners=False),
                       Plan(code="SHARED", shared_with_partners=True)],
        "reports.view": [ProgressReport(state="submitted", action_line=other_line),
                         ProgressReport(state="draft", action_line=other_line)],
    }


@pytest.fixture
def person(ctx, make_user):
    """person(role) -> a user of that role in WGTIM only, from MYS (JPN for an observer)."""
    def make(role: str) -> User:
        uid = make_user(role, org_code="JPN" if role == "observer" else None, mfa_on=role == "asec_admin",
                        bodies={"WGTIM": "observer" if role == "observer" else "member"})
        return db.session.get(User, uid)
    return make


def test_the_table_has_a_row_per_role_and_a_column_per_kind_of_thing():
    header, rows = read_table()
    assert header[0] == "Role" and header[1:] == list(COLUMNS)
    assert list(rows) == list(ROLES)
    assert all(len(cells) == len(COLUMNS) for cells in rows.values())


@pytest.mark.parametrize("role", ROLES)
def test_every_cell_of_the_table_is_what_the_policy_does(person, probes, role):
    user = person(role)
    header, rows = read_table()
    for column, cell in zip(header[1:], rows[role]):
        rule, said = COLUMNS[column], verdict(cell)
        where = f"{role} / {column}: the table says {said}"
        if said == "None":
            assert not policy.can(user, rule), where
            continue
        assert policy.can(user, rule), where
        allowed = [policy.can(user, rule, obj) for obj in probes.get(rule, [])]
        if said == "All":
            assert all(allowed), where
        else:
            assert any(allowed) and not all(allowed), where
