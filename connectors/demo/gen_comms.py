"""Rows of the communication systems: mailbox threads, calendar, webinars and demo bookings."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random
from typing import Final

from connectors.demo.companies import Company, Row, Rows, at
from connectors.demo.names import WEBINARS

_THREADS: Final = (
    ("Quick question about user provisioning", "Is there a way to bulk-invite users via CSV?"),
    ("Re: Quarterly review agenda", "Works for us. Can we add a slot for the roadmap?"),
    ("Re: Pricing for additional seats", "Thanks, we'll review internally and get back to you."),
    ("Follow-up from our call", "As promised, here are the notes and next steps."),
    ("Re: Security questionnaire", "Attached the completed questionnaire from our side."),
    ("Intro: Northwind Labs platform", "Great to connect. Would a 30-minute demo next week work?"),
    ("Re: Invoice question", "Could you resend the invoice with our new PO number?"),
)
_MEETINGS: Final = ("Weekly sync", "Quarterly business review", "Product demo", "Renewal planning")


def mail_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """Mailbox threads between account owners and customer contacts, skipping the story one."""
    rows: list[Row] = []
    for c in companies:
        if c.profile == "story" or c.scripted:
            continue
        count = {"churned": 0, "at_risk": rng.randint(1, 2)}.get(c.profile, rng.randint(1, 4))
        rows += [_thread(c, i, rng, today) for i in range(count)]
    return {"mail_threads": rows}


def _thread(c: Company, i: int, rng: Random, today: date) -> Row:
    subject, snippet = rng.choice(_THREADS)
    people = rng.sample(c.contacts, rng.randint(1, 3))
    last_from = rng.choice([c.owner.email, people[0].email])
    return {
        "id": f"thr-{c.id[-4:]}{i}",
        "subject": subject,
        "participants": [c.owner.email, *(p.email for p in people)],
        "message_count": rng.randint(1, 9),
        "last_from": last_from,
        "last_at": at(today, -rng.randint(1, 30), rng.randint(12, 22), rng.randint(0, 59)),
        "snippet": snippet,
    }


def calendar_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """Customer meetings over the next week for every owner, anchored to today."""
    rows: list[Row] = []
    for c in companies:
        if c.profile in ("churned", "story") or c.scripted or rng.random() < 0.4:
            continue
        day, hour = rng.randint(1, 7), rng.randint(14, 21)
        guests = [p.email for p in rng.sample(c.contacts, rng.randint(1, 3))]
        rows.append(
            {
                "id": f"evt-{c.id[-4:]}",
                "title": f"{c.name} — {rng.choice(_MEETINGS)}",
                "anchor": "today",
                "offset_minutes": day * 1440 + hour * 60,
                "period_minutes": None,
                "duration_minutes": rng.choice((30, 45, 60)),
                "organizer_email": c.owner.email,
                "attendees": [c.owner.email, *guests],
            }
        )
    return {"calendar_events": rows}


def marketing_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """Webinar attendance (contacts of any account but the scripted ones) and the demos some
    attendees booked."""
    people = [p for c in companies for p in c.contacts if c.profile != "story" and not c.scripted]
    attendance: list[Row] = []
    bookings: list[Row] = []
    for title, days_ago in WEBINARS:
        start = at(today, -days_ago, 16)
        for p in rng.sample(people, rng.randint(18, 30)):
            joined = start + timedelta(minutes=rng.randint(0, 12))
            attendance.append({"webinar": title, "email": p.email, "attended_at": joined})
            if rng.random() < 0.25:
                booked = start + timedelta(hours=rng.randint(2, 60))
                slot = at(booked.date(), rng.randint(2, 9), rng.randint(14, 20))
                bookings.append({"email": p.email, "booked_at": booked, "slot": slot})
    return {"webinar_attendance": attendance, "demo_bookings": bookings}
