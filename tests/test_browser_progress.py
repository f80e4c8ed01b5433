"""The progress page in a real Chromium, at a phone's width: the counter,
starting again, an evening check-in, the pictures with their text
alternatives, and a milestone shared from the page. Its screenshot is the
one in the README (docs/progress.png).

The server, browser and screenshot fixtures are test_browser.py's.
"""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from playwright.sync_api import expect

from tests import test_browser as browser_tests
from tests.test_browser import _PAGE_FACTS, PHONE, SCREENSHOTS, _nav, _sign_up
from web import database

browser, chromium_path, hearth_server, open_page, shot = (
    browser_tests.browser, browser_tests.chromium_path, browser_tests.hearth_server,
    browser_tests.open_page, browser_tests.shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _add_past_checkins(admin_url: str, username: str, days: int) -> None:
    """Evening reviews for the past ``days`` days, written straight to the
    server's database (the pages take today's and yesterday's only). Run
    in a thread: Playwright's sync API owns this thread's event loop."""
    url = database.with_database(admin_url, f"hearth_browser_{os.getpid()}")

    async def write() -> None:
        conn = await asyncpg.connect(url)
        try:
            today = datetime.now(UTC).date()
            for back in range(2, days):
                cravings = max(0, min(10, 8 - back // -6 - (days - back) // 6 + back % 3))
                await conn.execute(
                    """INSERT INTO checkins (member_id, day, pledged_at, reviewed_at, day_went,
                                             cravings, mood, note)
                       SELECT id, $2::date, now(), now(), 'okay', $3, 'okay', ''
                       FROM members WHERE username = $1""",
                    username, today - timedelta(days=back), cravings)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, write()).result()


def test_progress_page_counts_checks_in_and_shares_a_milestone_on_a_phone(
        open_page, shot, pg_admin_url):
    page = open_page(viewport=PHONE)
    _sign_up(page, "lantern_keeper")
    _nav(page).get_by_role("link", name="Progress").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")
    first = (datetime.now(UTC) - timedelta(days=130)).date().isoformat()
    page.get_by_label("Date").fill(first)
    page.get_by_label("Your time zone").select_option("Europe/London")
    page.get_by_role("button", name="Start my counter").click()
    expect(page.get_by_role("status")).to_contain_text("Your counter is running")

    page.get_by_text("Starting again?").click()
    again = (datetime.now(UTC) - timedelta(days=96)).date().isoformat()
    page.get_by_label("Date of your last drink").fill(again)
    page.get_by_label("Time (optional)").fill("22:30")
    page.get_by_role("button", name="Start again").click()
    expect(page.get_by_role("status")).to_contain_text("Starting again takes courage")

    _add_past_checkins(pg_admin_url, "lantern_keeper", 60)
    page.get_by_role("button", name="I won't drink today").click()
    expect(page.get_by_role("status")).to_have_text("Pledge made. You've got today.")
    page.get_by_label("Hard, but I made it").check()
    page.get_by_role("spinbutton", name=re.compile("^Cravings")).fill("4")
    page.get_by_label("Okay", exact=True).last.check()
    page.get_by_label("A note for yourself (private)").fill("Walked to the meeting")
    page.get_by_role("button", name="Save my review").click()
    expect(page.get_by_role("status")).to_have_text("Thank you for checking in. Rest well.")

    counter = page.locator("[data-live-counter]")
    expect(counter.locator("[data-unit=days]")).to_have_text(re.compile(r"^9[56]$"))
    for name in ("Calendar of sober days and check-ins", "Cravings over time, 0 to 10",
                 "Milestone timeline"):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.get_by_text("90 days", exact=True).first).to_be_visible()
    facts = page.evaluate(_PAGE_FACTS)
    assert facts["h1"] == 1 and facts["unlabelled"] == [] and facts["duplicateIds"] == [], facts
    path = shot(page, "progress")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "progress.png").write_bytes(path.read_bytes())

    page.locator("#milestone-d90").get_by_label("Add a line (optional)").fill(
        "Grateful for every one of you")
    page.locator("#milestone-d90").get_by_role("button").click()
    expect(page.get_by_text("Milestone: 90 days")).to_be_visible()
    expect(page.get_by_text("90 days today")).to_be_visible()
    shot(page, "shared")
