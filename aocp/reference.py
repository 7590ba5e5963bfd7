"""The reference data every installation holds: organisations, bodies and the AMCAP plans (`flask seed`)."""
from __future__ import annotations

from aocp.orgs.reference import seed_orgs_and_bodies
from aocp.plans.reference import seed_plans


def seed_reference_data() -> dict[str, int]:
    """Insert or update the reference rows; running it twice changes nothing."""
    added = seed_orgs_and_bodies()
    added.update(seed_plans())  # plans refer to the bodies and organisations above
    return added
