"""What a member sees, in a real Chromium driving a real `hearth serve` process.

One server (with a database of its own) and one browser serve the whole module;
every test opens fresh browser contexts, so no cookies leak between tests, and
uses usernames of its own. Each step is saved as a full-page screenshot under
test-output/screenshots/ for a reader to look at.

Chromium is Debian's, never one downloaded by Playwright. Without it the tests
are skipped, unless HEARTH_REQUIRE_BROWSER=1 (as on CI) makes that a failure.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import PASSWORD
from web import database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INSTANCE_NAME = "Harbor Light"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
HEARTH = Path(sys.executable).parent / "hearth"
STARTUP_DEADLINE = 60.0
PHONE = {"width": 390, "height": 844}
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PAGES = {"home": "/", "signup": "/signup", "login": "/login", "crisis": "/crisis",
         "about": "/about"}
CRISIS_CONTACTS = {
    "Call or text 988": "tel:988",
    "1-800-662-4357": "tel:+18006624357",
    "116 123": "tel:116123",
    "13 11 14": "tel:131114",
    "findahelpline.com": "https://findahelpline.com",
}


# -- the server ----------------------------------------------------------------

@dataclass
class ServerProcess:
    """A running `hearth serve`, and every line it has printed so far."""

    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _reader: threading.Thread | None = None

    def start_reading(self) -> None:
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)  # end of output: the process has exited

    def wait_for(self, text: str, deadline: float) -> None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(f"no {text!r} within {STARTUP_DEADLINE:.0f} s")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self._fail(f"hearth serve exited (status {self.process.wait()}) "
                           f"before printing {text!r}")
            if text in line:
                return

    def _fail(self, why: str) -> None:
        pytest.fail(f"{why}; its output:\n{''.join(self.lines)}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _create_database(admin_url: str, name: str, template: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        await admin.close()


async def _drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        why = ("Debian's chromium is not on PATH (apt-get install chromium); "
               "the browser tests need it and never download a browser")
        if os.environ.get("HEARTH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HEARTH_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    return found


@pytest.fixture(scope="module")
def hearth_server(
    chromium_path: str, pg_admin_url: str, template_name: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    """`hearth serve` in a process of its own, on a database of its own."""
    name = f"hearth_browser_{os.getpid()}"
    # asyncio runs only here and in the teardown, outside Playwright's lifetime:
    # its sync API marks an event loop as running in this thread while it lives.
    asyncio.run(_create_database(pg_admin_url, name, template_name))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env.update({
        "HEARTH_DATABASE_URL": database.with_database(pg_admin_url, name),
        "HEARTH_URL": url,
        "HEARTH_INSTANCE_NAME": INSTANCE_NAME,
        "HEARTH_DATA_DIR": str(tmp_path_factory.mktemp("hearth-data")),
        "PYTHONUNBUFFERED": "1",
    })
    process = subprocess.Popen(
        [str(HEARTH), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL,
    )
    server = ServerProcess(process, url)
    server.start_reading()
    try:
        server.wait_for("Hearth is serving", time.monotonic() + STARTUP_DEADLINE)
        yield server
    finally:
        server.stop()
        asyncio.run(_drop_database(pg_admin_url, name))


@pytest.fixture(scope="module")
def browser(chromium_path: str, hearth_server: ServerProcess) -> Iterator[Browser]:
    # Depends on the server so that it starts after it and stops before it.
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def open_page(browser: Browser, hearth_server: ServerProcess) -> Iterator[Callable[..., Page]]:
    """A page in a fresh browser context (no cookies); options go to new_context."""
    contexts: list[Any] = []

    def factory(**options: Any) -> Page:
        context = browser.new_context(base_url=hearth_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot named after the test and the step."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")

    def take(page: Page, step: str) -> Path:
        path = SCREENSHOTS / f"{test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# -- helpers -------------------------------------------------------------------

def _fill_signup(page: Page, username: str, password: str = PASSWORD,
                 again: str | None = None, accept: bool = True) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(password if again is None else again)
    if accept:
        page.get_by_label("I have read the guidelines").check()


def _sign_up(page: Page, username: str) -> list[str]:
    """Join through the sign-up page; the recovery codes shown on the welcome page."""
    page.goto("/signup")
    _fill_signup(page, username)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {username}")
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    page.get_by_role("link", name="I have saved them: go to my profile").click()
    expect(page).to_have_url(re.compile(rf"/@{username}$"))
    return codes


def _nav(page: Page) -> Any:
    return page.get_by_role("navigation", name="Main")


# -- the tests -----------------------------------------------------------------

def test_newcomer_joins_logs_out_and_back_in_without_javascript(open_page, shot):
    page = open_page(java_script_enabled=False)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(INSTANCE_NAME)
    expect(page).to_have_title(re.compile(INSTANCE_NAME))
    shot(page, "1-home")

    page.get_by_role("link", name="Join the community").click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join {INSTANCE_NAME}")
    _fill_signup(page, "river_stone")
    expect(page.get_by_label("I have read the guidelines")).to_be_checked()
    shot(page, "2-signup-filled")
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, river_stone")
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", c) for c in codes), codes
    expect(page.get_by_text("This is the only time they are shown.")).to_be_visible()
    shot(page, "3-welcome-codes")

    page.get_by_role("link", name="I have saved them: go to my profile").click()
    expect(page).to_have_url(re.compile(r"/@river_stone$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("river_stone")
    expect(page.locator(".profile-header .avatar")).to_have_text("RS")
    expect(page.get_by_text(re.compile(r"^@river_stone@127\.0\.0\.1:\d+$"))).to_be_visible()
    shot(page, "4-profile")

    _nav(page).get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(_nav(page).get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    shot(page, "5-logged-out")

    _nav(page).get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Username").fill("river_stone")
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "6-login-filled")
    page.get_by_role("main").get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/(@river_stone)?$"))
    expect(_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    expect(_nav(page).get_by_role("link", name="Profile")).to_have_attribute(
        "href", "/@river_stone")
    shot(page, "7-logged-in-again")


@pytest.mark.parametrize(("mistake", "field_id", "message"), [
    ("passwords-differ", "password_confirm", "The two passwords are not the same."),
    ("guidelines-not-accepted", "accept",
     "Please read the guidelines and confirm that you accept them."),
], ids=["passwords-differ", "guidelines-not-accepted"])
def test_signup_mistake_is_shown_beside_its_field_and_keeps_the_username(
    open_page, shot, mistake, field_id, message
):
    page = open_page(java_script_enabled=False)
    username = f"typo_{mistake[:6]}".replace("-", "_")
    page.goto("/signup")
    if mistake == "passwords-differ":
        _fill_signup(page, username, again="a different passphrase")
    else:
        _fill_signup(page, username, accept=False)
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join {INSTANCE_NAME}")
    error = page.locator(f"#{field_id}-error")
    expect(error).to_have_text(message)
    expect(error).to_be_visible()
    field_box = page.locator(f".field:has(#{field_id})")
    expect(field_box.locator(".field-error")).to_have_text(message)
    control = page.locator(f"#{field_id}")
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_have_attribute("aria-describedby", re.compile(rf"\b{field_id}-error\b"))
    # next to the field: the message starts within a few lines below the control
    control_box, error_box = control.bounding_box(), error.bounding_box()
    assert control_box and error_box
    gap = error_box["y"] - (control_box["y"] + control_box["height"])
    assert -1 <= gap < 60, (control_box, error_box)
    expect(page.get_by_label("Username")).to_have_value(username)
    # only the field at fault is marked
    assert page.locator("[aria-invalid=true]").count() == 1
    expect(page.get_by_role("alert").first).to_be_visible()
    shot(page, "error")


def test_crisis_lines_are_one_click_from_the_footer_and_fit_a_phone(open_page, shot):
    page = open_page()
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Find a crisis line now").click()
    expect(page).to_have_url(re.compile(r"/crisis$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Help, right now")
    main = page.get_by_role("main")
    for contact, href in CRISIS_CONTACTS.items():
        expect(main.get_by_role("link", name=contact, exact=True)).to_have_attribute(
            "href", href)
    shot(page, "desktop")

    phone = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto("/")
    phone.get_by_role("contentinfo").get_by_role("link", name="Find a crisis line now").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Help, right now")
    for contact in CRISIS_CONTACTS:
        expect(phone.get_by_role("link", name=contact, exact=True)).to_be_visible()
    widths = phone.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal overflow on a phone: {widths}"
    shot(phone, "phone")


def test_member_changes_display_name_and_bio_and_the_profile_shows_them(open_page, shot):
    page = open_page()
    _sign_up(page, "quiet_harbor")
    _nav(page).get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    page.get_by_label("Display name").fill("Morning Tide")
    page.get_by_label("About you").fill("Ninety days today.\nOne day at a time.")
    shot(page, "1-settings-filled")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_role("status")).to_have_text("Your profile is saved.")
    expect(page.get_by_label("Display name")).to_have_value("Morning Tide")
    shot(page, "2-saved")

    _nav(page).get_by_role("link", name="Profile").click()
    expect(page).to_have_url(re.compile(r"/@quiet_harbor$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Morning Tide")
    expect(page.get_by_text(re.compile(r"^@quiet_harbor@"))).to_be_visible()
    bio = page.get_by_role("region", name="About Morning Tide")
    expect(bio.locator("p")).to_have_text(["Ninety days today.", "One day at a time."])
    expect(page.locator(".profile-header .avatar")).to_have_text("MT")
    expect(page).to_have_title(re.compile(r"^Morning Tide \(@quiet_harbor\)"))
    shot(page, "3-profile")


_PAGE_FACTS = """() => {
  const described = (el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
    return Boolean(el.id) &&
      document.querySelector(`label[for="${CSS.escape(el.id)}"]`) !== null;
  };
  const controls = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden');
  const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
  return {
    lang: document.documentElement.getAttribute('lang'),
    h1: document.querySelectorAll('h1').length,
    main: document.querySelectorAll('main').length,
    nav: document.querySelectorAll('nav').length,
    footer: document.querySelectorAll('footer').length,
    title: document.title,
    unlabelled: controls.filter((el) => !described(el)).map((el) => el.outerHTML),
    duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
    imagesWithoutAlt: [...document.querySelectorAll('img:not([alt])')].map((el) => el.src),
  };
}"""


@pytest.mark.parametrize("name", ["home", "signup", "login", "crisis"])
def test_public_page_has_landmarks_one_heading_and_labelled_fields(open_page, shot, name):
    page, path = open_page(), PAGES[name]
    response = page.goto(path)
    assert response is not None and response.status == 200
    facts = page.evaluate(_PAGE_FACTS)
    assert facts["lang"], "html has no lang attribute"
    assert facts["h1"] == 1, facts
    assert facts["main"] == 1, facts
    assert facts["nav"] >= 1, facts
    assert facts["footer"] == 1, facts
    assert facts["unlabelled"] == [], facts["unlabelled"]
    assert facts["duplicateIds"] == [], facts["duplicateIds"]
    assert facts["imagesWithoutAlt"] == [], facts["imagesWithoutAlt"]
    assert facts["title"].endswith(f"· {INSTANCE_NAME}"), facts["title"]
    # the skip link is the first thing a keyboard reaches, and leads to <main>
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    expect(page.locator(":focus")).to_have_attribute("href", "#main")
    shot(page, "page")


@pytest.mark.parametrize("name", ["home", "signup", "login", "about"])
def test_public_page_fits_a_phone_screen(open_page, shot, name):
    page, path = open_page(viewport=PHONE, is_mobile=True, has_touch=True), PAGES[name]
    page.goto(path)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal overflow on a phone at {path}: {widths}"
    shot(page, "phone")



def test_welcome_page_shows_the_newcomer_as_logged_in(open_page, shot):
    page = open_page()
    page.goto("/signup")
    _fill_signup(page, "fresh_start")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, fresh_start")
    shot(page, "welcome")
    expect(_nav(page).get_by_role("button", name="Log out")).to_be_visible(timeout=2_000)
