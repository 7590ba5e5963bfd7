"""Imports every model so that Alembic and relationships see the whole schema."""
from aocp.accounts.models import ApiToken, Invitation, PasswordReset, RecoveryCode, User  # noqa: F401
from aocp.audit import AuditEntry, AuditHead  # noqa: F401
from aocp.documents.models import Document, DocumentComment, DocumentGrant, DocumentTag, DocumentVersion  # noqa: F401
from aocp.meetings.models import (  # noqa: F401
                                   ActionItem,
                                   AgendaItem,
                                   AgendaPaper,
                                   CalendarFeed,
                                   Decision,
                                   Meeting,
                                   Minutes,
                                   MinutesComment,
                                   MinutesRevision,
                                   Participant,
)
from aocp.notifications.models import BodyMute, Notification, NotificationPreference, QueuedEmail, RoleDefault  # noqa: F401
from aocp.orgs.models import Body, Membership, Organisation  # noqa: F401
from aocp.plans.models import (  # noqa: F401
                                   ActionLine,
                                   Milestone,
                                   MilestoneProgress,
                                   Plan,
                                   ProgrammeArea,
                                   ProgressReport,
                                   ReportEvidence,
                                   ReportRevision,
                                   Strategy,
)
from aocp.sessions import UserSession  # noqa: F401
from aocp.sso.models import IdentityProvider, SsoIdentity  # noqa: F401
