"""The use cases: the one path the CLI, the web console, the API and the worker all call.

One module an area, each a part of the one `Services` facade; every change goes
through the unit of work in `unit.py` (one transaction: lock, check the version,
run the pure engine, persist the state, the audit events and the drafts).
"""

from __future__ import annotations

import os

from crisisplan.clock import Clock
from crisisplan.plan.load import load_plan
from crisisplan.services.actions import ActionCommands
from crisisplan.services.audit_trail import AuditReport, AuditTrail
from crisisplan.services.complaints import ComplaintCommands
from crisisplan.services.components import ComponentCommands
from crisisplan.services.drills import DrillCommands
from crisisplan.services.idempotency import IdempotencyCommands
from crisisplan.services.inbox import InboxCommands
from crisisplan.services.inbox_desk import InboxDesk
from crisisplan.services.incidents import IncidentCommands
from crisisplan.services.maintenance import MaintenanceCommands
from crisisplan.services.notices import NoticeCommands
from crisisplan.services.outbox import OutboxCommands
from crisisplan.services.pages import PageReads
from crisisplan.services.posts import PostCommands
from crisisplan.services.publication import Publication
from crisisplan.services.reads import Reads
from crisisplan.services.replies import ReplyReads
from crisisplan.services.responsiveness import ResponsivenessReads
from crisisplan.services.review import MetricsReads, ReviewCommands
from crisisplan.services.signals import SignalCommands
from crisisplan.services.statuspage import StatuspageChange, StatuspageCommands, StatuspageResult
from crisisplan.services.subscribers import SubscriberCommands
from crisisplan.services.uptime import UptimeReads
from crisisplan.services.views import (
    ACK_TIMER,
    SYSTEM_ACTOR,
    UPDATE_TIMER,
    Deadline,
    Drafted,
    IncidentView,
    PublicIncident,
    PublicUpdate,
    default_actor,
    instance_dir,
)
from crisisplan.store.db import Database, default_url

__all__ = ["ACK_TIMER", "SYSTEM_ACTOR", "UPDATE_TIMER", "Deadline", "Drafted", "IncidentView", "PublicIncident",
           "AuditReport", "PublicUpdate", "Services", "StatuspageChange", "StatuspageResult", "default_actor",
           "instance_dir"]


class Services(IncidentCommands, PostCommands, Publication, SubscriberCommands, OutboxCommands, SignalCommands,
               DrillCommands, ComponentCommands, StatuspageCommands, ReplyReads, NoticeCommands, ReviewCommands,
               ActionCommands, MetricsReads, Reads, AuditTrail, PageReads, MaintenanceCommands, UptimeReads,
               IdempotencyCommands, InboxCommands, ResponsivenessReads, InboxDesk, ComplaintCommands):
    """Everything crisisplan does, one method a use case."""

    @classmethod
    def open(cls, plan_dir: str | os.PathLike[str] | None = None, database_url: str | None = None,
             clock: Clock | None = None) -> Services:
        """Load the plan and open (creating or migrating) its database."""
        plan = load_plan(plan_dir)
        url = database_url or default_url(instance_dir(plan.root))
        return cls(plan, Database(url, instance_dir(plan.root)).ensure_schema(), clock)
