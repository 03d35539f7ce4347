"""The webinar follow-up story: prospects who came to last week's webinar, and why few booked.

Dana Reyes owns three prospects (Tamarack Systems, Solstice Biolabs, Wavecrest Studios). Twelve
of their people attended "Scaling Customer Ops with AI" six days ago; three booked a demo
since. Of the other nine, three have CRM activity that explains the wait (budget pending in
Q1, a security review, a reorganisation), and each has a mail thread of their own (a question
about an integration, a request for the slides, an intro nobody answered). Every row is written
by hand, dated relative to the world's day, so the demo and the tests can quote it.
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random
from typing import Final

from connectors.demo.companies import Company, Person, Row, Rows, at
from connectors.demo.names import WEBINARS

WEBINAR_TITLE: Final = WEBINARS[0][0]
WEBINAR_DAYS_AGO: Final = WEBINARS[0][1]
# (contact name, minutes after the start they joined); everyone listed attended.
_JOINED: Final = {
    "Elena Vasquez": 1, "Marco Bianchi": 0, "Sophie Laurent": 4, "Kwame Mensah": 9,
    "Hannah Fischer": 2, "Rahul Mehta": 3, "Yuki Tanabe": 6, "Peter Lindgren": 11,
    "Amara Nwosu": 5, "Jonas Weber": 1, "Clara Jimenez": 7, "Felix Obi": 2,
}  # fmt: skip
# (contact name, hours after the webinar they booked, days after booking of the slot)
_BOOKED: Final = (("Marco Bianchi", 3, 4), ("Rahul Mehta", 26, 3), ("Jonas Weber", 50, 2))
# (contact name, days ago, kind, summary): what explains the wait
_ACTIVITIES: Final = (
    ("Kwame Mensah", 3, "call", "Call with Kwame Mensah: keen after the webinar, but budget "
     "approval for new tools is pending until Q1; asked us to check back in January"),
    ("Hannah Fischer", 2, "note", "Hannah Fischer says their security review must finish "
     "before any vendor demo; waiting on our SOC 2 report"),
    ("Amara Nwosu", 4, "meeting", "Intro meeting with Amara Nwosu: Wavecrest is mid-"
     "reorganisation; no new projects until the new support structure is in place"),
    ("Elena Vasquez", 24, "call", "Discovery call with Elena Vasquez about ticket triage "
     "volumes (about 4,000 a month)"),
)  # fmt: skip
# (contact name, subject, message count, last from the contact?, days ago, snippet)
_THREADS: Final = (
    ("Elena Vasquez", "Re: Slides from Scaling Customer Ops with AI", 3, True, 5,
     "Thanks for the session! Could you send the slides and the recording for my team?"),
    ("Marco Bianchi", "Re: Demo next week", 2, False, 5,
     "Booked for Thursday; I'll bring our two support leads."),
    ("Sophie Laurent", "Question: Zendesk integration", 1, True, 4,
     "Does the triage assistant work with our Zendesk setup and its custom fields?"),
    ("Kwame Mensah", "Re: Pricing for the Growth tier", 4, True, 8,
     "Thanks for the numbers. We'll need to wait for the new budget year before committing."),
    ("Hannah Fischer", "Re: Security questionnaire", 3, True, 3,
     "We'd need your SOC 2 Type II report and a data processing agreement before going further."),
    ("Rahul Mehta", "Re: Demo booking confirmation", 2, False, 4,
     "Looking forward to it. Can we cover reporting too?"),
    ("Yuki Tanabe", "Re: Webinar question on multilingual support", 2, True, 5,
     "Can the assistant answer customers in Japanese and German, or only in English?"),
    ("Peter Lindgren", "Intro: Northwind Labs platform", 1, False, 21,
     "Great to connect. Would a 30-minute demo next week work?"),
    ("Amara Nwosu", "Re: Rollout timing", 3, True, 4,
     "We're in the middle of a reorg; let's pick this up once the new team is settled."),
    ("Jonas Weber", "Re: API sandbox access", 3, False, 2,
     "Sandbox credentials sent; see you at the demo on Friday."),
    ("Clara Jimenez", "Re: Case study request", 2, True, 6,
     "Do you have a case study from a media company of our size?"),
    ("Felix Obi", "Re: API documentation", 2, True, 5,
     "Is there a sandbox where we can try the API before committing to a demo?"),
)  # fmt: skip


def webinar_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """The scripted prospects' deals, activities, mail, webinar attendance and bookings."""
    prospects = [c for c in companies if c.scripted]
    people = {p.name: (c, p) for c in prospects for p in c.contacts}
    start = at(today, -WEBINAR_DAYS_AGO, 16)
    return {
        "crm_deals": [_deal(c, today) for c in prospects],
        "crm_activities": [_activity(people[n], i, ago, kind, text, today)
                           for i, (n, ago, kind, text) in enumerate(_ACTIVITIES)],
        "mail_threads": [_thread(people[row[0]], i, row, today) for i, row in enumerate(_THREADS)],
        "webinar_attendance": [
            {"webinar": WEBINAR_TITLE, "email": people[name][1].email}
            | {"attended_at": start + timedelta(minutes=minutes)}
            for name, minutes in _JOINED.items()
        ],
        "demo_bookings": [
            {"email": people[name][1].email, "booked_at": start + timedelta(hours=hours)}
            | {"slot": at((start + timedelta(hours=hours)).date(), days, 15)}
            for name, hours, days in _BOOKED
        ],
    }  # fmt: skip


def _deal(c: Company, today: date) -> Row:
    return {
        "id": f"{c.id}-d1",
        "account_id": c.id,
        "name": f"{c.name.split(' ')[0]} — New platform subscription",
        "amount": c.annual_value,
        "stage": "Discovery",
        "close_date": today + timedelta(days=60),
    }


def _activity(
    who: tuple[Company, Person], n: int, ago: int, kind: str, text: str, today: date
) -> Row:
    company, person = who
    return {
        "id": f"{company.id}-a{n + 1:02d}",
        "account_id": company.id,
        "at": at(today, -ago, 15, 0),
        "kind": kind,
        "summary": text,
        "by_email": company.owner.email,
        "contact_email": person.email,
    }


def _thread(
    who: tuple[Company, Person],
    n: int,
    row: tuple[str, str, int, bool, int, str],
    today: date,
) -> Row:
    company, person = who
    _, subject, count, theirs, ago, snippet = row
    owner = company.owner.email
    return {
        "id": f"thr-web-{n + 1:02d}",
        "subject": subject,
        "participants": [owner, person.email],
        "message_count": count,
        "last_from": person.email if theirs else owner,
        "last_at": at(today, -ago, 11 + n % 6, 10 + n),
        "snippet": snippet,
    }
