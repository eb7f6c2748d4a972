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


def test_each_slider_redraws_the_one_picture_and_its_code(tmp_path):
    """Each slider reruns alone (its own fragment) and writes into the picture and code shared by all: moving
    two different sliders leaves one picture and one code block, both from every slider's value."""
    from bench.browser_harness import Browser, Server
    from tests.conftest import ROOT

    runs = tmp_path / "runs"
    write_generator_run(runs, "g")
    with Server([str(ROOT / "app" / "main.py"), "--", "--runs-dir", str(runs)]) as srv, Browser() as b:
        with b.page(srv.url + "/latent?run=g") as p:
            page = p.page
            page.wait_for_selector("[data-testid='stImage'] img", timeout=120_000)
            page.get_by_text("Copy as Python").click()
            page.wait_for_selector("[data-testid='stCode']", timeout=30_000)
            pictures = []
            for name, key in (("direction 3", "ArrowRight"), ("direction 1", "ArrowLeft")):
                old = page.locator("[data-testid='stImage'] img").first.get_attribute("src")
                page.locator("[data-testid='stSlider']").filter(has_text=name).locator("input").focus()
                page.keyboard.press(key)
                page.wait_for_function("old => document.querySelector(\"[data-testid='stImage'] img\").src !== old",
                                       arg=old, timeout=30_000)
                pictures.append(old)
            page.wait_for_function("() => document.querySelector(\"[data-testid='stCode']\").innerText"
                                   ".includes('[-0.1, 0.0, 0.1')", timeout=30_000)
            assert page.locator("[data-testid='stCode']").count() == 1
            # moves queued faster than the server reruns: the last picture and code still come, from every slider
            for name in ("direction 2", "direction 4"):
                page.locator("[data-testid='stSlider']").filter(has_text=name).locator("input").focus()
                for _ in range(3):
                    page.keyboard.press("ArrowRight")
            page.wait_for_function("() => document.querySelector(\"[data-testid='stCode']\").innerText"
                                   ".includes('[-0.1, 0.3, 0.1, 0.3')", timeout=30_000)
            page.wait_for_timeout(1500)  # (nothing left to come)
            assert page.locator("[data-testid='stCode']").count() == 1
            assert page.locator("[data-testid='stImage'] img").first.get_attribute("src").startswith("data:image")
            assert page.locator("[data-testid='stImage'] img").count() == 2  # the picture and the strip
            assert page.locator("[data-testid='stException']").count() == 0
            assert len(set(pictures)) == 2
