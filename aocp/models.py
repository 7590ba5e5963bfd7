"""Imports every model so that Alembic and relationships see the whole schema."""
from aocp.accounts.models import ApiToken, Invitation, PasswordReset, RecoveryCode, User  # noqa: F401
from aocp.audit import AuditEntry, AuditHead  # noqa: F401
from aocp.documents.models import (Document, DocumentComment, DocumentGrant, DocumentTag,  # noqa: F401
                                   DocumentVersion)
from aocp.meetings.models import (ActionItem, AgendaItem, AgendaPaper, CalendarFeed, Decision,  # noqa: F401
                                  Meeting, Minutes, MinutesComment, MinutesRevision, Participant)
from aocp.notifications.models import (BodyMute, Notification, NotificationPreference, QueuedEmail,  # noqa: F401
                                       RoleDefault)
from aocp.orgs.models import Body, Membership, Organisation  # noqa: F401
from aocp.plans.models import (ActionLine, Milestone, MilestoneProgress, Plan, ProgrammeArea,  # noqa: F401
                               ProgressReport, ReportEvidence, ReportRevision, Strategy)
from aocp.sessions import UserSession  # noqa: F401
from aocp.sso.models import IdentityProvider, SsoIdentity  # noqa: F401
