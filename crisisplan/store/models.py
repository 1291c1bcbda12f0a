"""Tables, as typed SQLAlchemy 2 models. Every change goes through the audit chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


GENESIS = "0" * 64


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    runbook_id: Mapped[str] = mapped_column(String(64))
    runbook_version: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(64))
    is_drill: Mapped[bool] = mapped_column(default=False)
    closed: Mapped[bool] = mapped_column(default=False)
    components: Mapped[list[str]]
    # fields, roles, checklist, published, timers: the engine's documents
    doc: Mapped[dict[str, Any]]
    escalations: Mapped[int] = mapped_column(default=0)
    declared_at: Mapped[datetime]
    state_entered_at: Mapped[datetime]
    last_published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(index=True)  # uptime_summary.py
    # the earliest pending timer: what the worker's tick looks for
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    chain_head: Mapped[str] = mapped_column(String(64), default=GENESIS)
    chain_length: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_incidents_open_declared", "closed", "is_drill", "declared_at"),
                      Index("ix_incidents_public_declared", "is_drill", "declared_at"),
                      Index("ix_incidents_runbook_declared", "runbook_id", "declared_at"),
                      Index("ix_incidents_drill_updated", "is_drill", "updated_at"))


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    seq: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # the HMAC key the hash was made with (store/keys.py); "" for an event from before keys
    key_id: Mapped[str] = mapped_column(String(32), default="", server_default="")

    __table_args__ = (UniqueConstraint("incident_id", "seq", name="uq_audit_incident_seq"),)


class PostRow(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="draft")
    # locale -> Markdown text
    bodies: Mapped[dict[str, Any]]
    render_error: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    # who wrote the current text; approvals are [{"by", "at"}] and vanish when the text changes
    author: Mapped[str] = mapped_column(String(200), default="")
    approvals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    publish_at: Mapped[datetime | None] = mapped_column(index=True)
    # locale -> Markdown text of the short form (short social post, SMS), when the plan has one
    short_bodies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the next update this post's text promises; None for a final post or a hand-written text without one.
    # Unless the author fixed the time, publishing moves it to one cadence period after publication and
    # rewrites the time in the text (promise_text: locale -> the words that name it).
    next_update_at: Mapped[datetime | None]
    promise_text: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    promise_fixed: Mapped[bool] = mapped_column(default=False)
    # channel -> "" when sent there, else why it was withheld (over the limit, a blocking finding)
    channels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the runbook step (trigger) publishing this post takes, when the team chose one; "" lets the runbook pick
    step: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # the locales whose text an edit of another language left behind: publishing waits until each is edited
    # or confirmed unchanged (Services.confirm_locale)
    stale_locales: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # the complaint a reply written from the inbox answers (its person is the one it goes to); None otherwise
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class UserRow(Base):
    __tablename__ = "users"
    # AUTOINCREMENT on SQLite: a removed person's id is never handed to somebody new
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(300))  # "" for people who sign in only through SSO
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    # carried by the session cookie; a new one (logout, password, role, disable) ends every session
    session_nonce: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # "issuer|sub" of the identity provider's account that signs this person in, when there is one
    sso_subject: Mapped[str | None] = mapped_column(String(400), unique=True)
    # the language this person reads the console in ("": their browser's, else the plan's default_locale)
    locale: Mapped[str] = mapped_column(String(16), default="", server_default="")


class LoginLimitRow(Base):
    """Failed logins for one name from one address, or for one address: shared by every server process."""

    __tablename__ = "login_limits"

    # SHA-256 of what is limited (kind, name, address): names people mistype are not kept in clear
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime]
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]


class TokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    # SHA-256 of the token: the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)


class DrillRunRow(Base):
    """One `crisisplan drill run`: the scenario, its score and scorecard (the mean over --repeat runs)."""

    __tablename__ = "drill_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(64))
    runbook_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    ran_at: Mapped[datetime]
    runs: Mapped[int] = mapped_column(default=1)
    score: Mapped[int]
    scorecard: Mapped[dict[str, Any]]


class OutboxRow(Base):
    """A message to deliver, written in the same transaction as the publication it comes from."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)  # None: a confirmation e-mail
    channel: Mapped[str] = mapped_column(String(100))  # "webhook:ops", "email:post", "email:confirm"
    target: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    # the receiver may drop a second delivery with the same key
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending/delivered/dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class SubscriberRow(Base):
    """Somebody who asked for e-mail updates: pending until they follow the confirmation link."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    components: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every component
    locale: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending/confirmed/unsubscribed
    # in the confirmation and unsubscribe links; only lets its holder confirm or leave
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    confirmation_sent_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]


class ComponentStatusRow(Base):
    """A component's status set by hand (console or the v1 API), beside what incidents say; the worse wins."""

    __tablename__ = "component_status"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))


class SignalRow(Base):
    """Something that came in from outside: an alert, a complaint, a mention. Recorded once per source id."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # alertmanager, complaint
    source_id: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(index=True)
    at: Mapped[datetime]  # when it happened, as the source says
    status: Mapped[str] = mapped_column(String(16))  # firing/resolved for alerts; open for complaints
    title: Mapped[str] = mapped_column(Text)
    # alert: fingerprint and group key, to find the incident it belongs to
    fingerprint: Mapped[str] = mapped_column(String(64), default="", index=True)
    group_key: Mapped[str] = mapped_column(Text, default="")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # declared, attached, recorded
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # labels, annotations, author, reach, text…


class ComponentHistoryRow(Base):
    """A component's public status from a moment on (one row a change): the record the uptime bars are
    computed from."""

    __tablename__ = "component_history"
    __table_args__ = (Index("ix_component_history_component_at", "component", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
