"""What a community tells visitors: its rules and where to find help now."""

from __future__ import annotations

import json
from collections.abc import Iterable

from recovery.errors import InvalidInput
from recovery.models import CrisisResource

TREATMENT_NOTICE = (
    "This community offers peer support. It supplements professional treatment; "
    "it does not replace it. If you are in danger or thinking about harming yourself, "
    "contact emergency services or a crisis line now."
)

DEFAULT_DESCRIPTION = (
    "A peer-support community for people recovering from alcohol use, "
    "and for the people who care about them. Come as you are, any hour."
)

DEFAULT_RULES: tuple[str, ...] = (
    "Be kind. Everyone here is doing something hard; meet people where they are.",
    "Protect anonymity: yours and everyone else's. Never share a member's real name, "
    "photo or other identifying details, here or elsewhere.",
    "No medical advice. Share your own experience, not diagnoses or dosages; "
    "encourage people to talk to a professional.",
    "Put a content warning on posts about relapse, drinking in detail, self-harm or trauma.",
    "No selling, promoting or glorifying alcohol or other substances.",
    "Starting again is part of recovery. No shaming of anyone who relapses.",
    "Moderators may remove posts or accounts that put members at risk.",
)

DEFAULT_CRISIS_RESOURCES: tuple[CrisisResource, ...] = (
    CrisisResource("United States", "988 Suicide & Crisis Lifeline", "Call or text 988",
                   "tel:988", "24/7, free and confidential."),
    CrisisResource("United States", "SAMHSA National Helpline", "1-800-662-4357",
                   "tel:+18006624357",
                   "24/7 treatment referral and information about substance use."),
    CrisisResource("United Kingdom and Ireland", "Samaritans", "116 123", "tel:116123",
                   "24/7, free to call."),
    CrisisResource("Australia", "Lifeline", "13 11 14", "tel:131114", "24/7 crisis support."),
    CrisisResource("Everywhere else", "Find a Helpline", "findahelpline.com",
                   "https://findahelpline.com",
                   "Free, confidential helplines in many countries."),
)

_HREF_SCHEMES = ("tel:", "sms:", "https://", "http://", "mailto:")


def parse_rules(text: str) -> tuple[str, ...]:
    """One rule per non-empty line; lines starting with # are comments."""
    rules = tuple(
        line.strip() for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    if not rules:
        raise InvalidInput("rules", "the rules file has no rules in it")
    return rules


def parse_crisis_resources(text: str) -> tuple[CrisisResource, ...]:
    """A JSON list of {region, name, contact, href, note?} objects."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput("crisis_resources", f"not valid JSON ({exc})") from exc
    if not isinstance(data, list) or not data:
        raise InvalidInput("crisis_resources", "expected a non-empty JSON list of objects")
    return tuple(_resource(item, n) for n, item in enumerate(data, 1))


def _resource(item: object, n: int) -> CrisisResource:
    fields = ("region", "name", "contact", "href")
    if not isinstance(item, dict) or not all(isinstance(item.get(f), str) for f in fields):
        raise InvalidInput(
            "crisis_resources", f"entry {n} needs text fields {', '.join(fields)}"
        )
    if not item["href"].startswith(_HREF_SCHEMES):
        raise InvalidInput(
            "crisis_resources", f"entry {n}: href must start with one of {_HREF_SCHEMES}"
        )
    note = item.get("note", "")
    return CrisisResource(item["region"], item["name"], item["contact"], item["href"],
                          note if isinstance(note, str) else "")


def regions(resources: Iterable[CrisisResource]) -> list[tuple[str, list[CrisisResource]]]:
    """Resources grouped by region, in the order they were given."""
    grouped: dict[str, list[CrisisResource]] = {}
    for resource in resources:
        grouped.setdefault(resource.region, []).append(resource)
    return list(grouped.items())
