"""The home page tests share the meeting world of tests/meetings (people of WGTIM and its 21st meeting)."""
from tests.meetings.conftest import meeting, people  # noqa: F401  (fixtures)
