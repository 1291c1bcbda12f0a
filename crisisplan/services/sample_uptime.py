"""Uptime history and an upcoming maintenance for the demo, so a new user sees the bars and the windows at once.

Played through the same use cases as everything else on a simulated clock set in the past (as `sample.py`
plays its past incident): the record starts 89 days ago, a maintenance window on customer accounts 63 days
ago, a two-hour partial outage of the public API 41 days ago and a 45-minute outage of the mobile app 23
days ago (major until its fix, then degraded while watched), each announced, resolved, followed up and closed;
then a maintenance window three days ahead.
Every public word is in each language of the shipped plan (English, Spanish).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crisisplan.clock import SimulatedClock


def _local(services: Any, days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time `days_ago` days before today in the organisation's zone, in UTC."""
    zone = ZoneInfo(services.plan.settings.organisation.time_zone)
    day = services.clock.now().astimezone(zone).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), zone).astimezone(UTC)


def _outage(past: Any, clock: SimulatedClock, severity: str, component: str, minutes: int,
            words: dict[str, str]) -> None:
    """An outage made public at once, updated, resolved `minutes` later, followed up and closed."""
    view = past.declare("outage", severity, words["title"], "ana", [component], {"impact": words["impact"]},
                        translations={"es": {"title": words["title_es"], "impact": words["impact_es"]}})

    def reviewed(post_id: int) -> None:
        past.submit_post(post_id, "carmen")
        clock.advance(timedelta(minutes=2))
        past.approve_post(post_id, "lena")
        past.publish_post(post_id, "carmen")

    reviewed(past.posts(view.id)[0].id)
    past.set_fields(view.id, {"fix": words["fix"]}, "ana")
    past.translate(view.id, "es", {"fix": words["fix_es"]}, "ana")
    clock.advance(timedelta(minutes=minutes // 2))
    reviewed(past.draft_for_step(view.id, "mitigate", "carmen").id)
    clock.advance(timedelta(minutes=minutes // 2 - 4))
    reviewed(past.draft_for_step(view.id, "resolve", "carmen").id)
    clock.advance(timedelta(hours=20))
    past.set_fields(view.id, {"changes": words["changes"]}, "ana")
    past.translate(view.id, "es", {"changes": words["changes_es"]}, "ana")
    reviewed(past.draft_post(view.id, "follow_up", "carmen").id)
    state = past.machine("outage").states["resolved"]
    past.check_items(view.id, list(range(1, len(state.checklist) + 1)), "ana")
    past.trigger(view.id, "close", "ana")


def uptime_history(services: Any) -> None:
    """Play 89 days of component history into the services' database (before any other demo incident)."""
    clock = SimulatedClock(_local(services, 89, 0))
    past = type(services)(services.plan, services.db, clock)
    past.record_component_statuses()  # the record begins: every component operational

    clock.set(_local(services, 65, 10))
    window = past.schedule_maintenance("maintenance", "Customer accounts upgrade", _local(services, 63, 2),
                                       _local(services, 63, 3), "ana", ["accounts"],
                                       {"es": "Actualización de las cuentas de cliente"})
    for moment in (_local(services, 63, 1), _local(services, 63, 2), _local(services, 63, 3),
                   _local(services, 63, 3, 15)):
        clock.set(moment)
        past.tick()
    assert past.get(window.id).state == "completed"

    clock.set(_local(services, 41, 11))
    _outage(past, clock, "sev2", "api", 120, {
        "title": "Some API requests fail", "title_es": "Algunas peticiones a la API fallan",
        "impact": "About one request in ten to the public API fails; retrying usually works.",
        "impact_es": "Falla una de cada diez peticiones a la API pública; al reintentar suele funcionar.",
        "fix": "A faulty server was taken out of service", "fix_es": "Retiramos del servicio un servidor averiado",
        "changes": "Servers that answer with errors now leave the pool by themselves",
        "changes_es": "Ahora los servidores que responden con errores salen solos del grupo"})
    clock.set(_local(services, 23, 19))
    _outage(past, clock, "sev1", "mobile_app", 45, {
        "title": "The mobile app does not open", "title_es": "La aplicación móvil no se abre",
        "impact": "The app closes when it starts; the website works.",
        "impact_es": "La aplicación se cierra al abrirla; el sitio web funciona.",
        "fix": "The previous version of the app's settings was restored",
        "fix_es": "Restauramos la versión anterior de la configuración de la aplicación",
        "changes": "Settings changes now reach a few users first",
        "changes_es": "Los cambios de configuración llegan ahora primero a unos pocos usuarios"})


def upcoming_maintenance(services: Any) -> int:
    """A maintenance window three days ahead, 22:00 to midnight, on checkout and payments; returns its id."""
    view = services.schedule_maintenance("maintenance", "Payment system upgrade", _local(services, -3, 22),
                                         _local(services, -4, 0), "ana", ["checkout", "payments"],
                                         {"es": "Actualización del sistema de pagos"})
    return view.id
