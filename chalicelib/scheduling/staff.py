"""Who may see and change what: agents their own, supervisors their office, nobody another office."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden
from .model import Office

AGENT, SUPERVISOR = "agent", "supervisor"
ROLES = (AGENT, SUPERVISOR)


@dataclass(frozen=True)
class Principal:
    office_id: str
    agent_id: str
    role: str

    @property
    def supervisor(self) -> bool:
        return self.role == SUPERVISOR


def ensure_office(principal: Principal, office_id: str) -> None:
    if principal.office_id != office_id:
        raise Forbidden("This belongs to another office.")


def ensure_agent(principal: Principal, office: Office, agent_id: str) -> None:
    """An agent acts for themself; a supervisor for any agent of their office."""
    ensure_office(principal, office.id)
    if agent_id not in office.agents:
        raise Forbidden("No such agent in your office.")
    if not principal.supervisor and principal.agent_id != agent_id:
        raise Forbidden("Agents may only act for themselves.")


def ensure_supervisor(principal: Principal) -> None:
    if not principal.supervisor:
        raise Forbidden("Only a supervisor may do this.")
