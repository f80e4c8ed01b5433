"""Writing and reading posts in a real Chromium with JavaScript off: a post
behind a content warning stays closed until the reader opens it.

The server, browser and screenshot fixtures are test_browser.py's (this
module gets a server of its own); screenshots go to
test-output/screenshots/ with the others.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import test_browser as browser_tests
from tests.test_browser import _PAGE_FACTS, PHONE, _nav, _sign_up

# test_browser.py's fixtures, found by pytest under these names.
browser, chromium_path, hearth_server, open_page, shot = (
    browser_tests.browser, browser_tests.chromium_path, browser_tests.hearth_server,
    browser_tests.open_page, browser_tests.shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEXT = "Hard evening. I called my sponsor instead of going to the bar."


def _assert_well_formed(page: Page) -> None:
    facts = page.evaluate(_PAGE_FACTS)
    assert facts["h1"] == 1, facts
    assert facts["unlabelled"] == [], facts["unlabelled"]
    assert facts["duplicateIds"] == [], facts["duplicateIds"]


def test_post_behind_a_content_warning_opens_only_when_asked_without_javascript(
    open_page, shot
):
    page = open_page(java_script_enabled=False)
    _sign_up(page, "ember_glow")
    _nav(page).get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.get_by_label("Your post").fill(TEXT)
    page.get_by_label("Content warning").fill("cravings")
    page.get_by_label("Who can see it").select_option("public")
    _assert_well_formed(page)
    shot(page, "1-compose")
    page.get_by_role("button", name="Post", exact=True).click()

    expect(page.get_by_role("status")).to_have_text("Your post is up.")
    post = page.get_by_role("article").first
    warning = post.locator("details.content-warning")
    expect(warning.locator("summary")).to_have_text("Content warning: cravings")
    expect(post.get_by_text(TEXT)).to_be_hidden()
    shot(page, "2-behind-the-warning")
    warning.locator("summary").click()
    expect(post.get_by_text(TEXT)).to_be_visible()
    expect(post.get_by_text("0 replies")).to_be_visible()
    shot(page, "3-opened-on-home")

    post.get_by_role("link", name=re.compile(r"UTC$")).click()
    expect(page).to_have_url(re.compile(r"/@ember_glow/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Post by ember_glow")
    main_post = page.get_by_role("article")
    expect(main_post.get_by_text(TEXT)).to_be_hidden()
    main_post.locator("details.content-warning summary").click()
    expect(main_post.get_by_text(TEXT)).to_be_visible()
    expect(page.get_by_label("Who can see it")).to_have_value("public")  # a reply's default
    _assert_well_formed(page)
    shot(page, "4-post-page")


def test_home_fits_a_phone_and_a_like_is_one_tap(open_page, shot):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    _sign_up(page, "small_screen")
    page.goto("/home")
    page.get_by_label("Your post").fill("Day one. Again, and that's fine.")
    page.get_by_role("button", name="Post", exact=True).click()
    post = page.get_by_role("article").first
    post.get_by_role("button", name=re.compile(r"^Like")).click()
    expect(page.get_by_role("article").first.get_by_text("1 like")).to_be_visible()
    expect(page.get_by_role("article").first.get_by_role(
        "button", name=re.compile(r"^Unlike"))).to_be_visible()
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal overflow on a phone at /home: {widths}"
    shot(page, "phone")


def test_member_finds_another_follows_and_the_request_is_answered(open_page, shot):
    sam = open_page(java_script_enabled=False)
    _sign_up(sam, "steady_sam")  # approves each follower, the default
    river = open_page(java_script_enabled=False)
    _sign_up(river, "river_bend")

    _nav(river).get_by_role("link", name="Search").click()
    river.get_by_label("Username here, or @name@server elsewhere").fill("steady_sam")
    river.get_by_role("button", name="Search").click()
    card = river.get_by_role("region", name="steady_sam")
    expect(card.get_by_text("A member of this community.")).to_be_visible()
    shot(river, "1-search")
    card.get_by_role("button", name="Follow steady_sam").click()
    expect(river.get_by_text("Requested: waiting for their answer")).to_be_visible()
    shot(river, "2-requested")

    sam.reload()
    requests = _nav(sam).get_by_role("link", name=re.compile(r"^Requests"))
    expect(requests).to_have_text(re.compile(r"^Requests \(1 waiting\)"))
    requests.click()
    expect(sam.get_by_role("heading", level=1)).to_have_text("Follow requests")
    shot(sam, "3-requests")
    sam.get_by_role("button", name=re.compile(r"^Accept @river_bend@")).click()
    expect(sam.get_by_role("status")).to_have_text("Request accepted: they follow you now.")

    river.goto("/@steady_sam")
    expect(river.get_by_text("Following", exact=True)).to_be_visible()
    expect(river.get_by_text(re.compile(r"^1 follower"))).to_be_visible()
    shot(river, "4-following")


def test_a_boost_shows_under_who_boosted_it_once_on_the_profile(open_page, shot):
    page = open_page(java_script_enabled=False)
    _sign_up(page, "tide_pool")
    page.goto("/home")
    page.get_by_label("Your post").fill("Meeting notes are up in the library.")
    page.get_by_label("Who can see it").select_option("public")
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_role("article").first.get_by_role("button", name=re.compile(r"^Boost")).click()
    page.goto("/@tide_pool")
    boost = page.locator(".boost").first
    expect(boost.locator(".boosted-by")).to_contain_text("tide_pool boosted")
    expect(boost.get_by_role("article").get_by_text("1 boost")).to_be_visible()
    expect(page.locator("article.post")).to_have_count(1)  # the post shows once
    _assert_well_formed(page)
    shot(page, "boosted-on-profile")
