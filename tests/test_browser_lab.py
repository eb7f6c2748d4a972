"""The Latent lab in Chromium: a slider moved with the mouse, then one click on "Link to this view", puts that
value into the address bar (the newcomer issue saw the previous values after the first click)."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.fixtures import write_generator_run

pytestmark = pytest.mark.browser


def test_one_click_links_the_slider_just_moved(tmp_path):
    from bench.browser_harness import Browser, Server
    from tests.conftest import ROOT

    runs = tmp_path / "runs"
    write_generator_run(runs, "g")
    with Server([str(ROOT / "app" / "main.py"), "--", "--runs-dir", str(runs)]) as srv, Browser() as b:
        with b.page(srv.url + "/") as p:
            page = p.page
            page.get_by_role("link", name="Latent lab").click()  # arriving as a user does, from the sidebar
            page.wait_for_selector("[data-testid='stImage'] img", timeout=120_000)
            slider = page.locator("[data-testid='stSlider']").filter(has_text="direction 2")
            box = slider.bounding_box()
            x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.62
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + box["width"] * 0.06, y, steps=5)
            page.mouse.up()
            shown = float(slider.inner_text().split()[2])
            page.get_by_role("button", name="Link to this view").click()
            page.wait_for_function("() => location.search.includes('amounts=0%2C0.') || "
                                   "location.search.includes('amounts=0,0.')", timeout=30_000)
            amounts = parse_qs(urlparse(page.url).query)["amounts"][0].split(",")
    assert shown > 0 and float(amounts[1]) == shown and all(float(a) == 0 for i, a in enumerate(amounts) if i != 1)
