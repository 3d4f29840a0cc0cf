"""The admin journey in a real Chromium on the demo workspace, each change checked through the API.

The tables are `st.data_editor` grids (Glide Data Grid): drawn on a canvas, with an accessibility
table behind it whose cells are `td#glide-cell-{column}-{row}` and carry `aria-selected`. A cell is
reached by clicking the grid's first cell and moving with the arrow keys (the accessibility table
tells where the selection is); text and selectbox cells are edited with Enter and the editor that
opens; a checkbox cell toggles with Space.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from ceox_api import Client
from dashboard.navigation import CONNECT_PAGE, PAGES, allowed_pages
from tests.browser.conftest import add_user_in_dialog, assert_no_exception, assert_plain_words, wait_for_script_run

CELL_ID = re.compile(r"glide-cell-(\d+)-(\d+)")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
HEADER_PX, ROW_PX = 35, 35  # Streamlit's data editor: header and row heights
DEMO_PASSWORD = "ceox-demo-2026"
DEMO_KEY_SHOWN = re.compile(r"ceox_browser_test_demo_key")
ADMIN_PAGES = ["Users", "Roles & capabilities", "Inboxes & members", "Audit log"]


class DataEditor:
    """One `st.data_editor` grid, driven with the mouse and keyboard as a person would."""

    def __init__(self, page: Page, root: Locator) -> None:
        self.page, self.root = page, root
        self.scroller = root.locator(".dvn-scroller")
        self.selected = root.locator('td[aria-selected="true"]')
        expect(root.get_by_test_id("data-grid-canvas")).to_be_visible()

    def cell(self, column: int, row: int) -> Locator:
        return self.root.locator(f"#glide-cell-{column}-{row}")

    def _scroll_to(self, top: int = 0, left: int = 0) -> None:
        self.scroller.evaluate("(e, [top, left]) => { e.scrollTop = top; e.scrollLeft = left; }", [top, left])

    def _scroll_until(self, target: Locator, axis: str) -> Locator:
        """Scroll (the accessibility table holds only the cells in view) until `target` is there."""
        self._scroll_to()
        size = "clientHeight" if axis == "scrollTop" else "clientWidth"
        moved = True
        while moved:
            try:  # the accessibility table follows the scroll a moment later
                expect(target.first).to_be_attached(timeout=750)
                return target.first
            except AssertionError:
                moved = self.scroller.evaluate(
                    f"e => {{ const before = e.{axis}; e.{axis} += e.{size} / 2; return e.{axis} !== before; }}")
        raise AssertionError(f"not in the grid: {target}")

    def column(self, title: str) -> int:
        """The grid column index (as in `glide-cell-{column}-…`) of the column headed `title`."""
        header = self.root.locator("thead th").filter(has_text=re.compile(f"^{re.escape(title)}$"))
        self._scroll_until(header, "scrollLeft")
        titles = self.root.locator("thead th").all_inner_texts()
        first_row = self.root.locator("tbody tr").first.locator("td")
        return _cell_position(first_row.nth(titles.index(title)))[0]

    def row(self, column: int, text: str) -> int:
        """The row index of the row whose `column` shows exactly `text`."""
        cells = self.root.locator(f'td[id^="glide-cell-{column}-"]').filter(has_text=re.compile(f"^{re.escape(text)}$"))
        return _cell_position(self._scroll_until(cells, "scrollTop"))[1]

    def select(self, column: int, row: int) -> None:
        """Select a cell: click the first (read-only id) cell, then arrow keys to the target."""
        if self.selected.count():
            self.root.get_by_test_id("data-grid-canvas").focus()
            self.page.keyboard.press("Escape")
            expect(self.selected).to_have_count(0)
        self._scroll_to()  # and wait until the accessibility table shows the top left corner
        expect(self.root.locator("thead th").first).to_have_attribute("aria-colindex", "1")
        expect(self.root.locator("tbody tr").first).to_have_attribute("aria-rowindex", "2")
        first = _cell_position(self.root.locator("tbody tr").first.locator("td").first)
        self.root.get_by_test_id("stDataFrameResizable").click(position={"x": 50, "y": HEADER_PX + ROW_PX / 2})
        expect(self.selected).to_have_attribute("id", f"glide-cell-{first[0]}-{first[1]}")
        for _ in range(abs(row - first[1])):
            self.page.keyboard.press("ArrowDown" if row > first[1] else "ArrowUp")
        for _ in range(abs(column - first[0])):
            self.page.keyboard.press("ArrowRight" if column > first[0] else "ArrowLeft")
        expect(self.cell(column, row)).to_have_attribute("aria-selected", "true")

    def type_text(self, column: int, row: int, text: str) -> None:
        self.select(column, row)
        self.page.keyboard.press("Enter")
        editor = self.page.get_by_test_id("portal").locator(".gdg-input")
        editor.fill(text)
        editor.press("Tab")
        expect(self.cell(column, row)).to_have_text(text)

    def choose(self, column: int, row: int, option: str) -> None:
        self.select(column, row)
        self.page.keyboard.press("Enter")
        combobox = self.page.get_by_test_id("portal").get_by_role("combobox")
        combobox.fill(option)
        combobox.press("Enter")
        expect(self.cell(column, row)).to_have_text(option)

    def toggle(self, column: int, row: int) -> None:
        self.select(column, row)
        before = self.cell(column, row).inner_text()
        self.page.keyboard.press("Space")
        # The accessibility table is redrawn when the selection moves: move away and back.
        self.page.keyboard.press("ArrowLeft")
        self.page.keyboard.press("ArrowRight")
        expect(self.cell(column, row)).to_have_text("false" if before == "true" else "true")


def _cell_position(cell: Locator) -> tuple[int, int]:
    match = CELL_ID.fullmatch(cell.get_attribute("id") or "")
    assert match, f"not a grid cell: {cell}"
    return int(match[1]), int(match[2])


def editor_in_form(page: Page, submit: str) -> DataEditor:
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=submit))
    return DataEditor(page, form.get_by_test_id("stDataFrame"))


def open_page(page: Page, url: str, title: str) -> None:
    """Open a page and wait until its script has run; it must be the page `title` and show no error."""
    page.goto(url)
    heading = page.get_by_role("heading", level=1)
    expect(heading.or_(page.get_by_test_id("stException")).first).to_be_visible(timeout=60_000)
    wait_for_script_run(page, timeout=60_000)
    assert_no_error_shown(page)
    expect(heading).to_have_text(title)


def save(page: Page, button: str, changes: int = 1) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(re.compile(r"^Saved (the change|all \d+ changes)\.$"))).to_be_visible(timeout=30_000)
    assert_no_error_shown(page)


def assert_no_error_shown(page: Page) -> None:
    assert_no_exception(page)


def expanded_nav(page: Page) -> Locator:
    """The sidebar navigation, with every page shown (Streamlit folds a long list under "View N more").

    Not before using a data editor on the same page: the grid then misplaces clicks (its layout moved)."""
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_test_id("stSidebarNavViewButton").filter(has_text=re.compile(r"^View \d+ more$"))
    if more.count():
        more.click()
        expect(more).to_have_count(0)
    return nav


def sidebar_pages(page: Page) -> list[str]:
    """The titles in the sidebar navigation (each link also holds its icon's name)."""
    return expanded_nav(page).get_by_test_id("stSidebarNavLink").locator("p").all_inner_texts()


@pytest.fixture(autouse=True)
def _dashboard_log_on_failure(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """When a test fails, show the end of the dashboard's log: the browser shows errors redacted."""
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        for log in tmp_path_factory.getbasetemp().glob("streamlit*/streamlit.log"):
            text = ANSI_ESCAPE.sub("", log.read_text(errors="replace"))
            print(f"--- {log} (end) ---\n{text[-6000:]}")


@pytest.fixture
def api(demo_api: tuple[str, str]) -> Iterator[Client]:
    api_url, key = demo_api
    with Client(api_url, api_key=key) as client:
        yield client


def test_add_a_user_through_the_dialog_with_a_generated_password(page, dashboard_url, demo_api, api):
    email = f"journey.{uuid.uuid4().hex[:8]}@example.com"
    open_page(page, f"{dashboard_url}/users", "Users")
    password = add_user_in_dialog(page, "Journey Tester", email).inner_text().strip()

    created = [u for u in api.users.list() if u.email == email]
    try:
        assert len(created) == 1
        assert (created[0].name, created[0].role_name) == ("Journey Tester", "Analyst")
        with Client.login(demo_api[0], email, password) as as_new_user:  # the shown password works
            assert as_new_user.me.get().user.email == email
        page.get_by_role("dialog").get_by_role("button", name="Done").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_text(password)).to_have_count(0)  # shown once
    finally:
        for user in created:
            api.users.delete(user.id)


def test_tick_a_capability_in_the_role_matrix_and_read_it_in_the_audit_log(browser, dashboard_url, api, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    analyst = next(r for r in api.roles.list() if r.name == "Analyst")
    assert "contacts.manage" not in analyst.capabilities
    try:
        open_page(page, f"{dashboard_url}/roles", "Roles & capabilities")
        grid = editor_in_form(page, "Save changes")
        grid.toggle(grid.column("Manage contacts"), grid.row(grid.column("Role"), "Analyst"))
        save(page, "Save changes")
        after = next(r for r in api.roles.list() if r.id == analyst.id)
        assert set(after.capabilities) == {*analyst.capabilities, "contacts.manage"}

        # The audit log says who made the change, to what, and the value before and after.
        open_page(page, f"{dashboard_url}/audit_log", "Audit log")
        page.get_by_role("textbox", name="Target or change").fill("Manage contacts")
        page.get_by_role("textbox", name="Target or change").press("Enter")
        wait_for_script_run(page)
        with page.expect_download() as download:
            page.get_by_role("button", name="Export CSV").click()
        exported = tmp_path / "audit.csv"
        download.value.save_as(exported)
        with exported.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        newest = [r for r in rows if r["target"] == "Analyst" and r["outcome"] == "ok"][-1]
        assert newest["actor"].startswith("API key"), newest  # the demo is opened with its API key
        assert not DEMO_KEY_SHOWN.search(newest["actor"])
        assert newest["action"] == "role.update"
        assert newest["detail"] == "Capabilities: added Manage contacts", newest["detail"]
    finally:
        api.roles.update(analyst.id, capabilities=analyst.capabilities)
        context.close()


def test_unticking_the_last_manage_roles_is_refused_with_the_reason(page, dashboard_url, api):
    holders = [r for r in api.roles.list() if "roles.manage" in r.capabilities]
    assert [r.name for r in holders] == ["Admin"]
    open_page(page, f"{dashboard_url}/roles", "Roles & capabilities")
    grid = editor_in_form(page, "Save changes")
    grid.toggle(grid.column("Manage roles"), grid.row(grid.column("Role"), "Admin"))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Nothing was saved:")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"^No role would have “Manage roles” any more"))).to_be_visible()
    assert_no_error_shown(page)
    assert [r.name for r in api.roles.list() if "roles.manage" in r.capabilities] == ["Admin"]


def test_add_a_member_to_an_inbox(page, dashboard_url, api):
    billing = next(i for i in api.inboxes.list() if i.name == "Billing")
    admin = next(u for u in api.users.list() if u.email == "admin@demo.ceox.local")
    assert admin.id not in billing.member_ids
    open_page(page, f"{dashboard_url}/inboxes", "Inboxes & members")
    grid = editor_in_form(page, "Save memberships")
    grid.toggle(grid.column("Billing"), grid.row(grid.column("Email"), admin.email))
    save(page, "Save memberships")

    try:
        assert admin.id in [u.id for u in api.inboxes.members(billing.id)]
        assert admin.id in next(i for i in api.inboxes.list() if i.id == billing.id).member_ids
    finally:
        api.inboxes.remove_member(billing.id, admin.id)


def test_move_a_device_to_another_inbox(page, dashboard_url, api):
    inboxes = {i.name: i for i in api.inboxes.list()}
    device = next(d for d in api.devices.list() if d.name == "CS Sales Jakarta")
    assert device.inbox_id == inboxes["Sales"].id
    open_page(page, f"{dashboard_url}/inboxes", "Inboxes & members")
    grid = editor_in_form(page, "Save device assignments")
    grid.choose(grid.column("Inbox"), grid.row(grid.column("Device"), device.name), "Support")
    save(page, "Save device assignments")

    try:
        moved = next(d for d in api.devices.list() if d.id == device.id)
        assert moved.inbox_id == inboxes["Support"].id
        assert device.id in next(i for i in api.inboxes.list() if i.name == "Support").device_ids
    finally:
        api.inboxes.assign_device(inboxes["Sales"].id, device.id)
    assert next(d for d in api.devices.list() if d.id == device.id).inbox_id == inboxes["Sales"].id


def test_analyst_sign_in_sees_only_its_pages(page, dashboard_url, demo_api):
    api_url = demo_api[0]
    open_page(page, f"{dashboard_url}/connect", "Connect")
    assert set(ADMIN_PAGES) <= set(sidebar_pages(page))  # the demo opens with its API key: every page

    page.get_by_role("tab", name="Sign in as a user").click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Sign in"))
    base_url = form.get_by_role("textbox", name="Base URL", exact=True)
    expect(base_url).to_have_value(api_url)  # with the demo open, the demo's address: its sign-ins work at once
    form.get_by_role("textbox", name="Email", exact=True).fill("analyst@demo.ceox.local")
    form.get_by_role("textbox", name="Password", exact=True).fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Sign in").click()

    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text(re.compile(r"Signed in: .*<analyst@demo\.ceox\.local>"), timeout=30_000)
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()  # a sign-in lands on Overview
    expect(sidebar).to_contain_text("Role: Analyst")
    nav = page.get_by_test_id("stSidebarNav")
    for title in ADMIN_PAGES:  # the navigation follows the sidebar's text a moment later
        expect(nav.get_by_text(title, exact=True)).to_have_count(0)
    wait_for_script_run(page)
    assert_no_error_shown(page)
    shown = sidebar_pages(page)
    assert {"Overview", "Devices", "Contacts", "Connect"} <= set(shown)
    assert not set(ADMIN_PAGES) & set(shown)

    # The same pages follow from the capabilities the API gives the Analyst's token.
    with Client.login(api_url, "analyst@demo.ceox.local", DEMO_PASSWORD) as analyst:
        capabilities = set(analyst.me.get().capabilities)
    assert sorted(shown) == sorted(p.title for p in [*allowed_pages(capabilities), CONNECT_PAGE])

    nav.get_by_test_id("stSidebarNavLink").filter(has_text="Devices").click()
    expect(page.get_by_role("heading", name="Devices", level=1)).to_be_visible()
    assert_no_error_shown(page)


@pytest.fixture
def jakarta(browser) -> Iterator[Page]:
    """A browser in Asia/Jakarta: a page that shows a time in another zone (UTC) names two zones."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, timezone_id="Asia/Jakarta")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.mark.parametrize("spec", [*PAGES, CONNECT_PAGE], ids=lambda spec: Path(spec.path).stem)
def test_every_page_opens_without_an_error_in_plain_words(jakarta, dashboard_url, spec):
    path = "" if spec is PAGES[0] else Path(spec.path).stem  # the first page is the default one, at /
    open_page(jakarta, f"{dashboard_url}/{path}", spec.title)
    assert_plain_words(jakarta, f"{spec.title} as Admin")


def test_every_analyst_page_in_plain_words(jakarta, dashboard_url, demo_api):
    page = jakarta
    open_page(page, f"{dashboard_url}/connect", "Connect")
    page.get_by_role("tab", name="Sign in as a user").click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Sign in"))
    form.get_by_role("textbox", name="Email", exact=True).fill("analyst@demo.ceox.local")
    form.get_by_role("textbox", name="Password", exact=True).fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Role: Analyst", timeout=30_000)
    nav = page.get_by_test_id("stSidebarNav")
    for title in ADMIN_PAGES:  # the navigation follows the sidebar's text a moment later
        expect(nav.get_by_text(title, exact=True)).to_have_count(0)
    titles = sidebar_pages(page)
    assert "Overview" in titles and not set(ADMIN_PAGES) & set(titles)
    for title in titles:  # by the sidebar: a new address would be a new session, signed out
        expanded_nav(page).get_by_test_id("stSidebarNavLink").filter(
            has=page.get_by_text(title, exact=True)).click()
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=60_000)
        assert_no_error_shown(page)
        assert_plain_words(page, f"{title} as Analyst")
