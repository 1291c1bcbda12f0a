"""The shape of plan files: pydantic models with unknown keys forbidden.

Guards and timer actions come from a small fixed vocabulary; plan files hold
data only, never code.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, model_validator

from crisisplan.errors import InvalidInput, did_you_mean
from crisisplan.plan.connectors import Connectors
from crisisplan.plan.maintenance import MaintenanceSettings, MaintenanceStatus, UptimeSettings
from crisisplan.plan.signal_settings import (  # noqa: F401 - Escalation, AlertRoute: named from here too
    AlertmanagerSettings,
    AlertRoute,
    ComplaintSettings,
    Duration,
    Escalation,
    Name,
    Signals,
    Strict,
)
from crisisplan.plan.support import SupportMetrics
from crisisplan.plan.tone_phrases import TONE_RULES  # noqa: F401 - the rules a plan may name (tone.block, drills)

PublicStatus = Literal["investigating", "identified", "monitoring", "resolved"] | MaintenanceStatus
Approval = Literal["none", "one", "two"]
Impact = Literal["none", "minor", "major", "critical"]


# who a post is for: everyone (status page, feeds, CAP, v2 JSON, subscribers, webhooks), one person on the channel
# they came in on, or the responders only
Audience = Literal["public", "private", "internal"]


class Severity(Strict):
    name: Name
    label: str
    impact: Impact = "major"
    acknowledge_within: Duration
    update_every: Duration
    approval: Approval = "one"
    page: list[Name] = []


class Role(Strict):
    name: Name
    label: str
    description: str = ""


class IncidentField(Strict):
    name: Name
    label: str
    description: str = ""
    public: bool = True


class State(Strict):
    name: Name
    label: str
    public_status: PublicStatus | None = None
    draft: Name | None = None
    checklist: list[str] = []
    final: bool = False


class Guard(Strict):
    """Exactly one condition of the vocabulary."""

    published: Name | None = None
    field: Name | None = None
    checklist: Literal["done"] | None = None
    role: Name | None = None

    @model_validator(mode="after")
    def _one(self) -> Guard:
        if len(self.model_fields_set) != 1:
            raise ValueError(
                "a guard names exactly one condition: published, field, checklist or role"
            )
        return self

    def describe(self) -> str:
        if self.published:
            return f"a published '{self.published}' post is required"
        if self.field:
            return f"field '{self.field}' must be set"
        if self.checklist:
            return "the checklist of the current state must be done"
        return f"role '{self.role}' must be assigned"


class Transition(Strict):
    trigger: Name
    source: Name | Literal["*"] | list[Name]
    dest: Name
    label: str = ""
    guards: list[Guard] = []
    # the post kind whose publication takes this step: the step is the public act, so it
    # fires when (and only when) that post goes out, in the same transaction
    post: Name | None = None

    @property
    def sources(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)


class TimerAction(Strict):
    draft: Name | None = None
    remind: Name | None = None
    escalate: Name | None = None

    @model_validator(mode="after")
    def _some(self) -> TimerAction:
        if not self.model_fields_set:
            raise ValueError("an action needs at least one of: draft, remind, escalate")
        return self


class Timer(Strict):
    name: Name
    label: str
    kind: Literal["deadline", "recurring"]
    # A literal duration (`15m`) or a severity setting (`severity.update_every`).
    after: str
    states: list[Name]
    until_published: Name | None = None
    until_field: Name | None = None
    # How long before the timer falls due its promise counts as at risk: the
    # engine says so, reminds, and drafts what the action drafts.
    ahead: Duration | None = None
    action: TimerAction


SEVERITY_DURATIONS = ("acknowledge_within", "update_every")


class ToneOverride(Strict):
    # replaces plan.yaml `tone.block` for this runbook's posts
    block: list[str] | None = None


class Runbook(Strict):
    id: Name
    title: str
    description: str
    version: int | str
    initial: Name
    declarer_role: Name | None = None
    severities: list[Severity] = Field(min_length=1)
    roles: list[Role] = []
    fields: list[IncidentField] = []
    states: list[State] = Field(min_length=1)
    transitions: list[Transition] = []
    timers: list[Timer] = []
    tone: ToneOverride = ToneOverride()
    # post kinds (not final ones) that may go out without naming the time of the next update
    promise_optional: list[Name] = []
    # post kind -> the role whose holder on the incident must approve it too (a security statement: legal)
    approval_roles: dict[Name, Name] = {}
    # post kind -> who reads it (public, private: the one person, internal: responders); a kind not named is public
    audiences: dict[Name, Audience] = {}
    # `internal`: the incident itself (title, fields, people) is for responders only; the public sees it only
    # through a public post, under that post's own words (a complaint from one person)
    incident_audience: Literal["public", "internal"] = "public"
    maintenance: MaintenanceSettings | None = None  # a planned window (plan/maintenance.py), not a failure

    def post_kinds(self) -> set[str]:
        """Every post kind the runbook names: taken by a step, waited for, drafted by a state or a timer, or
        given an approval role, a promise exemption or an audience."""
        kinds = {t.post for t in self.transitions if t.post}
        kinds |= {g.published for t in self.transitions for g in t.guards if g.published}
        kinds |= {s.draft for s in self.states if s.draft} | {t.action.draft for t in self.timers if t.action.draft}
        return kinds | set(self.approval_roles) | set(self.promise_optional)

    def audience(self, kind: str) -> str:
        """Who a post of this kind is for: the one rule every publisher asks (public when the runbook is silent)."""
        return self.audiences.get(kind, "public")

    @model_validator(mode="after")
    def _approval_roles_known(self) -> Runbook:
        roles = [r.name for r in self.roles]
        for kind, role in self.approval_roles.items():
            if role not in roles:
                raise ValueError(f"approval_roles: '{kind}' asks for role '{role}', which the runbook does not have; "
                                 + did_you_mean(role, roles))
        return self

    def severity(self, name: str) -> Severity:
        """The severity of that name; a clear error naming the ones there are otherwise."""
        found = next((s for s in self.severities if s.name == name), None)
        if found is None:
            raise InvalidInput(f"unknown severity '{name}' for runbook '{self.id}'; "
                               + did_you_mean(name, [s.name for s in self.severities]), "severity")
        return found

    def state(self, name: str) -> State:
        """The state of that name (the runbook was validated, so it exists)."""
        return next(s for s in self.states if s.name == name)

    def open_states(self) -> list[str]:
        """The states an incident can still leave: the sources of a `source: "*"` transition."""
        return [s.name for s in self.states if not s.final]

    def step(self, state: str, trigger: str) -> Transition | None:
        """The transition a trigger takes from a state, if any."""
        return next((t for t in self.transitions if t.trigger == trigger and state in self.sources(t)), None)

    def publishable_in(self, kind: str) -> list[str]:
        """The states a post of this kind may go out from: where it takes its step, where a step waits
        for it (a `published:` guard), where the runbook drafts it (on entry, or by a timer running
        there); a kind the runbook never ties to a state may go out from any open state."""
        states = [s for t in self.transitions if t.post == kind for s in self.sources(t)]
        states += [s for t in self.transitions if any(g.published == kind for g in t.guards) for s in self.sources(t)]
        states += [s.name for s in self.states if s.draft == kind]
        states += [s for t in self.timers if t.action.draft == kind for s in t.states]
        if not states:
            return self.open_states()
        return [s.name for s in self.states if s.name in set(states)]

    def sources(self, transition: Transition) -> list[str]:
        """The states a transition leaves from, with `*` spelled out as every open state."""
        return self.open_states() if transition.source == "*" else transition.sources


class Organisation(Strict):
    name: str
    help_url: str
    # the public status page, for links in short posts; help_url serves when it is empty
    status_url: str = ""
    support_email: str = ""
    phone: str = ""
    # the phone line's hours; empty: the `phone` support channel's (crisisplan.plan.languages.public_hours)
    support_hours: str = ""
    time_zone: str = "UTC"


def _split_localized(data: object, *keys: str) -> object:
    """`label: {en: Checkout, es: Pago}` as `label` (the first language's words, the default locale's by the
    plan's convention) and `labels` (every language's); a plain string is the default locale's only."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    for key in keys:
        value = data.get(key)
        if isinstance(value, dict) and value:
            data[key], data[f"{key}s" if key == "label" else f"{key}_labels"] = next(iter(value.values())), value
    return data


class Labelled(Strict):
    """A name shown to the public, in each language the plan speaks: `label` (the default locale's words, or the
    only ones), `labels` (locale -> words)."""

    label: str
    labels: dict[str, str] = {}

    def label_in(self, locale: str, fallback: str | None = None) -> str:
        """The label in that language; else in the fallback locale, else the default words."""
        return self.labels.get(locale) or (self.labels.get(fallback) if fallback else None) or self.label


class Component(Labelled):
    name: Name
    group: str = ""
    group_labels: dict[str, str] = {}
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _localized(cls, data: object) -> object:
        return _split_localized(data, "label", "group")

    def group_in(self, locale: str, fallback: str | None = None) -> str:
        """The group's name in that language (the group itself is `group`, its default-locale words)."""
        return self.group_labels.get(locale) or (self.group_labels.get(fallback) if fallback else None) or self.group


class ToneSettings(Strict):
    # rule ids (crisisplan.comms.tone.RULES) whose findings block publishing; the rest warn
    block: list[str] = ["contradiction", "blame", "bare_refusal", "placeholder", "too_long", "personal_data"]
    jargon: list[str] = []
    readability: dict[str, float] = {}  # channel -> lowest reading ease (0-100); defaults: comms/readability.py


class Webhook(Strict):
    """Where published posts and notices to people are POSTed: generic JSON signed with HMAC-SHA256, a
    Slack-style message, or a PagerDuty Events API v2 event (notices only: reminders, escalations, approvals
    waiting; https://events.pagerduty.com/v2/enqueue, the routing key from the environment)."""

    name: Name
    url: str = Field(pattern=r"^https?://")
    format: Literal["json", "slack", "pagerduty"] = "json"
    # the environment variable holding the signing secret (secrets never live in plan files)
    secret_env: str = ""
    # pagerduty: the environment variable holding the integration's routing key
    routing_key_env: str = ""
    drills: bool = False  # a drill's posts go only to webhooks that say so

    @model_validator(mode="after")
    def _routing_key(self) -> Webhook:
        if self.format == "pagerduty" and not self.routing_key_env:
            raise ValueError("a pagerduty webhook needs routing_key_env: the environment variable holding the "
                             "routing (integration) key")
        return self


class Delivery(Strict):
    give_up_after: Duration = timedelta(hours=24)  # then the message goes to the dead letters


class Person(Strict):
    """Somebody the plan counts on, with the roles they can take and how to reach them."""

    name: Name
    label: str
    roles: list[Name] = []
    email: str = ""
    phone: str = ""


class SupportChannel(Labelled):
    """Where customers reach us, when it is staffed and how soon they get a first answer (shown publicly)."""

    name: Name
    hours: str = Field("24/7", pattern=r"^(24/7|(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))? "
                                       r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d)$")
    time_zone: str = ""  # empty: the organisation's
    response: Duration  # the first answer, at the latest

    @model_validator(mode="before")
    @classmethod
    def _localized(cls, data: object) -> object:
        return _split_localized(data, "label")


class PlanSettings(Strict):
    organisation: Organisation
    tone: ToneSettings = ToneSettings()
    locales: list[Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Z]{2})?$")]] = ["en"]
    default_locale: str = "en"
    # the locale whose words stand in for a missing translation (a title, a field, a post's text); unset, a
    # public post missing a language is refused
    fallback_locale: str | None = None
    components: list[Component] = []
    webhooks: list[Webhook] = []
    delivery: Delivery = Delivery()
    signals: Signals = Signals()
    people: list[Person] = []
    support: list[SupportChannel] = []
    escalation: list[Escalation] = []
    # API token name -> the most severe severity at which its posts go out without a second person
    # (a Statuspage client driving a whole incident); the audit trail says so on every such post
    api_trust: dict[str, Name] = {}
    default_runbook: Name | None = None  # what the declare form opens on (plan/defaults.py); unset, the first
    uptime: UptimeSettings = UptimeSettings()
    connectors: Connectors = Connectors()  # outside networks (crisisplan.plan.connectors)
    support_metrics: SupportMetrics = SupportMetrics()  # responsiveness on the status page (plan/support.py)
