"""The web UI in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Screenshots go to tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_web_fixtures import SCREENSHOTS, XSS_COMMENTS, XSS_TITLE


CHROMIUM = os.environ.get("MATOME_TEST_CHROMIUM") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium fonts-noto-cjk)"
)

CSP_PROBE = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.sourceFile));"
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    """A page that records dialogs, script errors and CSP violations."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    pg = context.new_page()
    pg.dialogs = []
    pg.errors = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.add_init_script(CSP_PROBE)
    yield pg
    context.close()


def shot(pg, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def visible_items(pg):
    return pg.locator("#comment-list > li.comment:visible")


def wait_map(pg):
    pg.wait_for_selector("#opinion-map[data-rendered='true']", timeout=20000)


def test_article_page_summary_groups_and_group_filter(page, base_url, wd):
    digest = wd.store.get_digest(wd.seed_id)
    page.goto(f"{base_url}/articles/{wd.seed_id}")
    assert page.locator("h1").inner_text() == wd.seed_entry.title
    summary = page.locator("section.summary li").all_inner_texts()
    assert summary == [s.text for s in digest.summary]
    assert page.locator("section.discussion").get_by_text("[まとめ]").count() == 1
    cards = page.locator(".group-card")
    assert cards.count() == len(digest.groups)
    assert cards.locator("h3").all_inner_texts() == [g.label for g in digest.groups]
    wait_map(page)
    assert visible_items(page).count() == len(wd.seed_entry.comments)
    shot(page, "article-top")

    group = digest.groups[1]
    page.locator(f"#group-{group.id} .filter-button").click()
    positions = [int(p) for p in visible_items(page).evaluate_all("els => els.map(e => e.dataset.pos)")]
    assert sorted(positions) == sorted(group.members)
    assert group.label in page.locator("#list-status").inner_text()
    assert page.locator(f"#group-{group.id} .filter-button").get_attribute("aria-pressed") == "true"
    assert f"group={group.id}" in page.url
    shot(page, "article-filtered")
    page.locator("#reset-filter").click()
    assert visible_items(page).count() == len(wd.seed_entry.comments)
    assert page.dialogs == [] and page.errors == [] and page.evaluate("window.__csp") == []


def test_sort_by_most_down_and_recommended(page, base_url, wd):
    page.goto(f"{base_url}/articles/{wd.seed_id}")
    page.select_option("#sort", "down")
    downs = [int(t) for t in page.locator("#comment-list > li.comment .n-down").all_inner_texts()]
    assert downs == sorted((c.votes.down for c in wd.seed_entry.comments), reverse=True)
    top = max(wd.seed_entry.comments, key=lambda c: (c.votes.down, -c.position))
    assert page.locator("#comment-list > li.comment").first.get_attribute("id") == f"c{top.position}"
    shot(page, "article-sorted-down")
    page.select_option("#sort", "recommended")
    stats = {s.position: s.wilson for s in wd.store.get_digest(wd.seed_id).comments}
    order = [int(p) for p in page.locator("#comment-list > li.comment").evaluate_all("els => els.map(e => e.dataset.pos)")]
    wilsons = [stats[p] for p in order]
    assert wilsons == sorted(wilsons, reverse=True)
    page.select_option("#sort", "original")
    order = [int(p) for p in page.locator("#comment-list > li.comment").evaluate_all("els => els.map(e => e.dataset.pos)")]
    assert order == sorted(order)


def test_map_point_and_legend_filter_the_list(page, base_url, wd):
    digest = wd.store.get_digest(wd.seed_id)
    page.goto(f"{base_url}/articles/{wd.seed_id}#h-map")
    wait_map(page)
    points = page.locator("#opinion-map .scatterlayer .point")
    assert points.count() == len(wd.seed_entry.comments)
    # click the legend entry of the last group
    legend = page.locator("#opinion-map .legend .traces")
    assert legend.count() == len(digest.groups) + (1 if any(s.group is None for s in digest.comments) else 0)
    target = max(digest.groups, key=lambda g: g.id)  # traces are in group-id order
    legend.nth(len(digest.groups) - 1).locator(".legendtoggle").click()
    page.wait_for_function(f"document.getElementById('group').value === '{target.id}'")
    positions = sorted(int(p) for p in visible_items(page).evaluate_all("els => els.map(e => e.dataset.pos)"))
    assert positions == sorted(target.members)
    # hover and click the most isolated point (so that it is the one under the mouse)
    stats = [s for s in digest.comments if s.group is not None]
    span_x = (max(s.x for s in stats) - min(s.x for s in stats)) or 1.0
    span_y = (max(s.y for s in stats) - min(s.y for s in stats)) or 1.0

    def nearest(a):
        return min(((a.x - b.x) / span_x) ** 2 + ((a.y - b.y) / span_y) ** 2 for b in digest.comments if b is not a)

    stat = max(stats, key=nearest)
    group_ids = sorted(g.id for g in digest.groups)
    members = sorted(next(g for g in digest.groups if g.id == stat.group).members)
    trace = page.locator("#opinion-map .scatterlayer .trace").nth(group_ids.index(stat.group))
    box = trace.locator(".point").nth(members.index(stat.position)).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#opinion-map .hoverlayer .hovertext", timeout=5000)
    hover = page.locator("#opinion-map .hoverlayer .hovertext").text_content()
    assert f"#{stat.position + 1} ▲{stat.up} ▼{stat.down}" in hover
    shot(page, "map-hover")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(f"document.getElementById('group').value === '{stat.group}'")
    positions = sorted(int(p) for p in visible_items(page).evaluate_all("els => els.map(e => e.dataset.pos)"))
    assert positions == members


def test_search_and_open_hit(page, base_url, wd):
    page.goto(base_url + "/")
    assert page.locator(".home-section").count() == 3
    shot(page, "home")
    page.fill("#home-q", "半導体")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?**")
    marks = page.locator(".snippet mark").all_inner_texts()
    assert marks and set(marks) == {"半導体"}
    shot(page, "search")
    page.locator(".hit-title").first.click()
    page.wait_for_url(f"**/articles/{wd.seed_id}**")
    assert page.locator("h1").inner_text() == wd.seed_entry.title
    anchor = page.url.split("#", 1)[1] if "#" in page.url else None
    if anchor:
        assert "半導体" in page.locator(f"#{anchor}").inner_text()


def test_keyboard_navigation(page, base_url, wd):
    digest = wd.store.get_digest(wd.seed_id)
    page.goto(f"{base_url}/articles/{wd.seed_id}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    group = digest.groups[0]
    page.locator(f"#group-{group.id} .filter-button").focus()
    page.keyboard.press("Enter")
    assert visible_items(page).count() == len(group.members)
    page.locator("#sort").focus()
    page.keyboard.press("End")  # the last option: 元の順
    order = [int(p) for p in page.locator("#comment-list > li.comment").evaluate_all("els => els.map(e => e.dataset.pos)")]
    assert order == sorted(order)


def test_phone_layout_has_no_horizontal_scroll(browser, base_url, wd):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    pg = context.new_page()
    for path in [f"/articles/{wd.seed_id}", "/", "/search?q=AI"]:
        pg.goto(base_url + path)
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    pg.goto(f"{base_url}/articles/{wd.seed_id}")
    wait_map(pg)
    shot(pg, "phone-article")
    context.close()


def test_xss_fixtures_never_run(page, base_url, wd):
    page.goto(f"{base_url}/articles/{wd.xss_id}")
    assert page.locator("h1").inner_text() == XSS_TITLE
    texts = page.locator("#comment-list .comment-text").all_inner_texts()
    assert sorted(t.strip() for t in texts) == sorted(t for t, _, _ in XSS_COMMENTS)
    assert page.locator("img").count() == 0
    assert page.locator("a.original").count() == 0, "javascript: URL is not linked"
    if page.locator("#opinion-map").count():
        wait_map(page)
        for i in range(page.locator("#opinion-map .scatterlayer .point").count()):
            box = page.locator("#opinion-map .scatterlayer .point").nth(i).bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert page.locator("#opinion-map img, #opinion-map script").count() == 0
    shot(page, "xss-article")
    page.goto(f"{base_url}/search?q=alert")
    assert page.locator(".hit").count() > 0
    assert page.locator("img").count() == 0
    page.goto(base_url + "/")
    assert page.get_by_text(XSS_TITLE).count() >= 1
    assert page.dialogs == [], page.dialogs
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []


def test_report_file_opens_offline_with_map(browser, tmp_path, wd):
    out = tmp_path / "report.html"
    r = subprocess.run(
        [sys.executable, "-m", "matome.cli", "report", str(wd.seed_id), "--db", str(wd.path), "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    requests: list[str] = []

    def guard(route):
        requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.add_init_script(CSP_PROBE)
    pg.goto(Path(out).as_uri())
    wait_map(pg)
    assert pg.locator("#opinion-map svg .scatterlayer .point").count() == len(wd.seed_entry.comments)
    assert requests == [Path(out).as_uri()], "the report fetched nothing else"
    assert pg.evaluate("window.__csp") == []
    group = wd.store.get_digest(wd.seed_id).groups[0]
    pg.locator(f"#group-{group.id} .filter-button").click()
    assert visible_items(pg).count() == len(group.members)
    pg.locator("#opinion-map").scroll_into_view_if_needed()
    shot(pg, "report-offline")
    assert dialogs == []
    context.close()


def test_long_thread_is_sorted_and_filtered_by_the_server(page, wd, monkeypatch):
    from matome.web import render
    from matome.web.app import create_app
    from test_web_fixtures import running_server

    monkeypatch.setattr(render, "MAX_LIST", 10)
    digest = wd.store.get_digest(wd.seed_id)
    with running_server(create_app(wd.store)) as url:
        page.goto(f"{url}/articles/{wd.seed_id}")
        assert page.locator("#comment-list > li.comment").count() == 10
        assert f"{len(wd.seed_entry.comments)} 件のうち上位 10 件" in page.locator("#list-status").inner_text()
        with page.expect_navigation():
            page.select_option("#sort", "down")
        downs = [int(t) for t in page.locator("#comment-list .n-down").all_inner_texts()]
        assert downs == sorted((c.votes.down for c in wd.seed_entry.comments), reverse=True)[:10]
        group = max(digest.groups, key=lambda g: len(g.members))
        with page.expect_navigation():
            page.locator(f"#group-{group.id} .filter-button").click()
        positions = [int(p) for p in visible_items(page).evaluate_all("els => els.map(e => e.dataset.pos)")]
        assert set(positions) <= set(group.members) and len(positions) == min(10, len(group.members))
        assert "sort=down" in page.url and f"group={group.id}" in page.url


def test_fine_group_filter_in_a_two_level_digest(page, base_url, wd):
    digest = wd.store.get_digest(wd.big_id)
    fine = [g for g in digest.groups if g.parent is not None]
    sub = max(fine, key=lambda g: len(g.members))
    page.goto(f"{base_url}/articles/{wd.big_id}")
    wait_map(page)
    card = page.locator(f"#group-{sub.parent}")
    card.locator("details.subgroups summary").click()
    card.locator(f"[data-filter-group='{sub.id}']").click()
    positions = sorted(int(p) for p in visible_items(page).evaluate_all("els => els.map(e => e.dataset.pos)"))
    assert positions == sorted(sub.members)
    assert sub.label in page.locator("#list-status").inner_text()
    # the map fades every point outside the fine group
    opacities = page.evaluate("document.getElementById('opinion-map').data.map(t => t.marker.opacity)")
    faded = sum(1 for trace in opacities for o in trace if o < 0.5)
    assert faded == len(wd.store.get_entry(wd.big_id).comments) - len(sub.members)
    shot(page, "two-level-filtered")
    assert page.errors == [] and page.evaluate("window.__csp") == []


def test_long_thread_pages_and_its_map_shows_every_point(page, wd, monkeypatch):
    from matome.web import render
    from matome.web.app import create_app
    from test_web_fixtures import running_server

    monkeypatch.setattr(render, "MAX_LIST", 10)
    downs = sorted((c.votes.down for c in wd.seed_entry.comments), reverse=True)
    with running_server(create_app(wd.store)) as url:
        page.goto(f"{url}/articles/{wd.seed_id}?sort=down")
        wait_map(page)
        points = page.evaluate("document.getElementById('opinion-map').data.reduce((n, t) => n + t.x.length, 0)")
        assert points == len(wd.seed_entry.comments)
        with page.expect_navigation():
            page.locator('nav.pager a[rel="next"]').click()
        assert "page=2" in page.url
        assert [int(t) for t in page.locator("#comment-list .n-down").all_inner_texts()] == downs[10:20]
        assert "11〜20 件目" in page.locator("#list-status").inner_text()
        # a change of order starts again at page 1
        with page.expect_navigation():
            page.select_option("#sort", "up")
        assert "page=" not in page.url
        ups = [int(t) for t in page.locator("#comment-list .n-up").all_inner_texts()]
        assert ups == sorted((c.votes.up for c in wd.seed_entry.comments), reverse=True)[:10]
        assert page.errors == [] and page.evaluate("window.__csp") == []
