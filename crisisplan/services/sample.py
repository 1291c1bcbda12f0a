"""A past incident for the demo, so a new user sees what a finished one looks like: declared twelve days ago,
acknowledged, its cause published, one update late (a broken promise), resolved, followed up and closed; its
post-incident review written and final; three follow-up actions (one done, one open, one overdue).

It runs through the same use cases as everything else, on a simulated clock set in the past, so its audit chain,
figures and public posts are real ones.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from crisisplan.clock import SimulatedClock


def past_incident(services: Any) -> int:
    """Play the sample past incident into the services' database; returns its id."""
    start = (services.clock.now() - timedelta(days=12)).astimezone(UTC).replace(hour=8, minute=0, second=0,
                                                                               microsecond=0)
    clock = SimulatedClock(start)
    past = type(services)(services.plan, services.db, clock)
    view = past.declare("outage", "sev2", "Card payments failed at checkout", "ana", ["checkout", "payments"],
                        {"impact": "Card payments failed for most customers; other payment methods worked."},
                        translations={"es": {"title": "Los pagos con tarjeta fallaron en el pago del pedido",
                                             "impact": "Los pagos con tarjeta fallaron para la mayoría de los "
                                                       "clientes; los demás medios de pago funcionaron."}})

    def reviewed(post_id: int, submit_after: timedelta, wait: timedelta) -> None:
        clock.advance(submit_after)
        past.submit_post(post_id, "carmen")
        clock.advance(wait)
        past.approve_post(post_id, "lena")
        past.publish_post(post_id, "carmen")

    def fact(name: str, en: str, es: str) -> None:
        past.set_fields(view.id, {name: en}, "ana")
        past.translate(view.id, "es", {name: es}, "ana")

    reviewed(past.posts(view.id)[0].id, timedelta(minutes=6), timedelta(minutes=8))  # 08:14
    clock.advance(timedelta(minutes=16))
    fact("cause", "An expired certificate on the connection to our payment provider",
         "Un certificado caducado en la conexión con nuestro proveedor de pagos")
    reviewed(past.draft_for_step(view.id, "identify_cause", "carmen").id, timedelta(minutes=22),
             timedelta(minutes=3))  # 08:55, promising 09:55
    clock.advance(timedelta(minutes=75))
    past.tick()  # 10:10: the 09:55 promise passed in silence
    fact("fix", "The certificate was renewed and payments retried",
         "Se renovó el certificado y se reintentaron los pagos")
    reviewed(past.draft_for_step(view.id, "mitigate", "carmen").id, timedelta(minutes=2), timedelta(minutes=3))
    reviewed(past.draft_for_step(view.id, "resolve", "carmen").id, timedelta(minutes=25), timedelta(minutes=5))
    clock.advance(timedelta(days=1))
    fact("changes", "We now renew certificates automatically and alert two weeks ahead",
         "Ahora renovamos los certificados automáticamente y avisamos con dos semanas de antelación")
    follow_up = past.draft_post(view.id, "follow_up", "carmen")
    reviewed(follow_up.id, timedelta(minutes=1), timedelta(minutes=10))
    state = past.machine("outage").states["resolved"]
    past.check_items(view.id, list(range(1, len(state.checklist) + 1)), "ana")
    past.trigger(view.id, "close", "ana")

    clock.advance(timedelta(days=1))
    past.write_review(view.id, {
        "went_well": "The first public word was out within a quarter of an hour, and the cause was published "
                     "as soon as it was confirmed.",
        "went_badly": "The update promised for 10:55 came twenty minutes late: the team was busy with the fix "
                      "and nobody watched the clock.",
        "why": "The certificate was renewed by hand once a year and the person who did it had left. Nothing "
               "alerted before it expired."}, "carmen")
    past.add_action(view.id, "Alert two weeks before any certificate expires", "ana",
                    (start + timedelta(days=14)).date(), "carmen")
    done = past.add_action(view.id, "Add the certificate check to the release checklist", "bruno",
                           (start + timedelta(days=5)).date(), "carmen")
    past.add_action(view.id, "Give the communications lead a second pair of eyes on the clock", "carmen",
                    (start + timedelta(days=7)).date(), "carmen")
    past.move_review(view.id, "in_review", "carmen")
    past.move_review(view.id, "final", "lena")
    clock.advance(timedelta(days=2))
    past.change_action(done.id, "bruno", state="done")
    return view.id
