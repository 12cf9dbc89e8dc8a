"""The playground in a real browser: headless Chromium, driven by Selenium, against the CLI's server.

Only the system's ``chromium`` and ``chromedriver`` are used (``apt-get install
chromium chromium-driver``; ``.ci/run`` does it when it can): the driver's path
is given, so Selenium Manager never runs, and ``SE_OFFLINE`` forbids it to
download anything anyway. Chromium is kept off the network: every request but
those to this machine goes to a proxy that is not there. Without the browser
the tests are skipped, saying so. A screenshot of the page is saved under the
test's temporary folder, and copied to ``$TEXTGEN_LAB_SCREENSHOT`` when that is
set (``scripts/playground_screenshot.sh`` makes ``docs/playground.png`` this way).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _playground_runs import FOUR_RUNS, free_port, save_tiny_runs

from lab.playground.units import count_words

pytest.importorskip("starlette", reason="the playground extra is not installed")
pytest.importorskip("uvicorn", reason="the playground extra is not installed")
pytest.importorskip("selenium", reason="selenium (the test extra) is not installed")

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM = next((p for p in map(shutil.which, BROWSERS) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no chromium/chromedriver on PATH (apt-get install chromium chromium-driver)",
)
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, prose_text: str) -> Iterator[str]:
    """``textgen-lab playground`` on four tiny runs (word and character units), in a
    subprocess on a free loopback port."""
    runs = save_tiny_runs(tmp_path_factory.mktemp("runs"), prose_text, FOUR_RUNS)
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lab", "playground", *map(str, runs), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "api/models", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the playground did not start: {log.read_text()}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    saved = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager may not fetch a browser or a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in (
        "--headless=new",
        "--no-sandbox",  # as root in a container
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1200",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--no-pings",
        # Loopback bypasses a proxy; everything else would go to this closed port.
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        if saved is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = saved


def _wait(driver: webdriver.Chrome, check: Any, message: str) -> Any:
    # The page redraws its bars after every change: an element found a moment ago may be
    # replaced before it is read, so a stale one means "look again", not a failure.
    return WebDriverWait(
        driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,)
    ).until(lambda d: check(d), message=message)


def _settled(driver: webdriver.Chrome) -> None:
    """Wait until no redraw is pending: the refresh counter holds still for a while
    (a run of key presses queues several)."""
    last = [-1, 0.0]

    def still(d: webdriver.Chrome) -> bool:
        now, count = time.monotonic(), _counter(d, "refreshes")
        if count != last[0]:
            last[:] = [count, now]
            return False
        return now - last[1] >= 0.5

    _wait(driver, still, "the page kept redrawing")


def _click_bar(driver: webdriver.Chrome, model: str, index: int) -> None:
    """Click bar ``index`` of ``model``, finding it again if a redraw replaced it."""

    def click(d: webdriver.Chrome) -> bool:
        d.find_elements(By.CSS_SELECTOR, f'.model[data-model="{model}"] .bar-row')[index].click()
        return True

    _wait(driver, click, f"could not click bar {index} of {model}")


def _step_text(driver: webdriver.Chrome, model: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f'.model[data-model="{model}"] .step-text').text


def _counter(driver: webdriver.Chrome, name: str) -> int:
    value = driver.find_element(By.TAG_NAME, "body").get_attribute(f"data-{name}")
    return int(value or 0)


def _bars(driver: webdriver.Chrome, model: str) -> list[tuple[str, float, float]]:
    _settled(driver)

    def read(d: webdriver.Chrome) -> list[tuple[str, float, float]]:
        rows = d.find_elements(By.CSS_SELECTOR, f'.model[data-model="{model}"] .bar-row')
        return [
            (
                r.get_attribute("data-token") or "",
                float(r.get_attribute("data-prob") or 0),
                float(r.get_attribute("data-sampled-prob") or 0),
            )
            for r in rows
        ]

    return _wait(driver, read, f"no bars for {model}")


def _after_refresh(driver: webdriver.Chrome, action: Any) -> None:
    """Do ``action`` (which changes a setting) and wait for the bars to be redrawn."""
    before = _counter(driver, "refreshes")
    action()
    _wait(driver, lambda d: _counter(d, "refreshes") > before, "the bars were not redrawn")


def _open(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url)
    _wait(
        driver,
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true",
        "the page did not load its models",
    )


def _outputs(driver: webdriver.Chrome) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".model .output")]


def test_the_page_lets_you_watch_the_models_choose(
    server: str, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    _open(browser, server)
    panels = browser.find_elements(By.CSS_SELECTOR, ".model")
    assert [p.get_attribute("data-model") for p in panels] == list(FOUR_RUNS)
    assert len(_bars(browser, "word-lstm")) == 10

    # Greedy: the same text every time, and one token with all the "after" mass.
    _after_refresh(browser, browser.find_element(By.ID, "greedy").click)
    assert [after for *_, after in _bars(browser, "word-lstm") if after > 0] == [1.0]
    for click in (1, 2):
        browser.find_element(By.ID, "generate").click()
        _wait(browser, lambda d, n=click: _counter(d, "generated") == n, "no generation")
        if click == 1:
            first = _outputs(browser)
    assert _outputs(browser) == first and all(text.startswith("Alice") for text in first)
    _after_refresh(browser, browser.find_element(By.ID, "greedy").click)

    # Moving the temperature slider redraws the "after" bars, never the "before" ones.
    plain = _bars(browser, "word-lstm")
    slider = browser.find_element(By.ID, "temperature")
    _after_refresh(browser, lambda: slider.send_keys(Keys.HOME))  # the coldest setting
    assert browser.find_element(By.ID, "temperature-value").text == "0.05"
    cold = _bars(browser, "word-lstm")
    _after_refresh(browser, lambda: slider.send_keys(Keys.END))  # the hottest
    hot = _bars(browser, "word-lstm")
    assert [b[:2] for b in cold] == [b[:2] for b in plain] == [b[:2] for b in hot]
    assert cold[0][2] > plain[0][2] > hot[0][2]

    # Picking a bar takes that token; "Sample next" draws one.
    _after_refresh(browser, lambda: [slider.send_keys(Keys.ARROW_LEFT) for _ in range(44)])
    _settled(browser)
    text_before = _step_text(browser, "word-lstm")
    _click_bar(browser, "word-lstm", 1)
    _wait(
        browser,
        lambda d: _step_text(d, "word-lstm") != text_before,
        "picking a token did not extend the walk",
    )
    walk = _step_text(browser, "markov")
    _wait(
        browser,
        lambda d: bool(
            d.find_element(By.CSS_SELECTOR, '.model[data-model="markov"] .sample').click() or True
        ),
        "could not press Sample next",
    )
    _wait(
        browser,
        lambda d: len(_step_text(d, "markov")) > len(walk),
        "sampling did not extend the walk",
    )

    # The surprisal heat map: one coloured span per token, under every model.
    browser.find_element(By.ID, "generate").click()
    browser.find_element(By.ID, "surprisal-go").click()
    _wait(
        browser,
        lambda d: all(
            p.find_elements(By.CSS_SELECTOR, ".heat span")
            for p in d.find_elements(By.CSS_SELECTOR, ".model")
        ),
        "no heat map",
    )
    summary = _wait(
        browser,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, '.model[data-model="word-lstm"] .heat-summary').text
        ),
        "no heat-map summary",
    )
    assert "bits/char" in summary
    assert browser.find_element(By.ID, "error").is_displayed() is False
    _save_screenshot(browser, tmp_path / "playground.png")


def _set_text(driver: webdriver.Chrome, element_id: str, text: str) -> None:
    box = driver.find_element(By.ID, element_id)
    box.clear()
    box.send_keys(text)


def _show_surprisal(driver: webdriver.Chrome) -> None:
    before = _counter(driver, "surprisals")
    driver.find_element(By.ID, "surprisal-go").click()
    _wait(driver, lambda d: _counter(d, "surprisals") > before, "no surprisal shown")


def _generate(driver: webdriver.Chrome) -> None:
    before = _counter(driver, "generated")
    driver.find_element(By.ID, "generate").click()
    _wait(driver, lambda d: _counter(d, "generated") > before, "no generation")


@pytest.mark.parametrize("width", [1280, 700])
def test_four_panels_wrap_without_a_page_wide_scrollbar(
    server: str, browser: webdriver.Chrome, width: int, tmp_path: Path
) -> None:
    browser.set_window_size(width, 1000)
    try:
        _open(browser, server)
        assert len(browser.find_elements(By.CSS_SELECTOR, ".model")) == 4
        _set_text(browser, "max-words", "60")
        _generate(browser)
        # A long unbroken run of letters: the character model's heat map is one span per
        # letter with no space to break at, the case that ran under the next panel.
        _set_text(browser, "surprisal-text", "Alice " + "zyxwvquux" * 30 + " said.")
        _show_surprisal(browser)
        page = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert page[0] <= page[1], f"the page scrolls sideways at {width} px: {page}"
        for panel in browser.find_elements(By.CSS_SELECTOR, ".model"):
            inner = browser.execute_script(
                "return [arguments[0].scrollWidth, arguments[0].clientWidth]", panel
            )
            assert inner[0] <= inner[1] + 1, (
                f"{panel.get_attribute('data-model')} overflows: {inner}"
            )
        _save_screenshot(browser, tmp_path / f"playground-{width}.png")
    finally:
        browser.set_window_size(1280, 1200)


def test_surprisal_is_in_bits_per_char_with_a_legend_and_spelled_unknowns(
    server: str, browser: webdriver.Chrome
) -> None:
    _open(browser, server)
    legend = browser.find_element(By.ID, "legend")
    assert legend.is_displayed() and "bits per character" in legend.text
    assert [s.text for s in legend.find_elements(By.CSS_SELECTOR, ".scale span")][-1] == "8+"
    assert "outside the model's vocabulary" in legend.text and "spelling" in legend.text
    _set_text(browser, "surprisal-text", "Alice said Zyxwv quux.")
    _show_surprisal(browser)
    for panel in browser.find_elements(By.CSS_SELECTOR, ".model"):
        summary = panel.find_element(By.CSS_SELECTOR, ".heat-summary").text
        assert re.match(r"\d+\.\d{3} bits/char \(", summary), summary
        assert "perplexity" not in summary
        assert (
            float(
                panel.find_element(By.CSS_SELECTOR, ".heat-summary").get_attribute(
                    "data-bits-per-char"
                )
            )
            > 0
        )
    word = '.model[data-model="word-lstm"] .heat span'
    spans = {s.text: s for s in browser.find_elements(By.CSS_SELECTOR, word)}
    said, unknown = spans["said"], spans["Zyxwv"]
    assert "oov" in (
        unknown.get_attribute("class") or ""
    ) and "spell it out" in unknown.get_attribute("title")
    # An invented word pays for its letters: more bits per character than a word the model knows.
    assert float(unknown.get_attribute("data-bits-per-char")) > float(
        said.get_attribute("data-bits-per-char")
    )
    # Internal tokens are shown as text: a sentence end is a mark, never "<eos>".
    texts = [s.text for s in browser.find_elements(By.CSS_SELECTOR, ".heat span")]
    assert "<eos>" not in texts and "·" in texts


def test_the_next_token_panel_follows_the_prompt_after_generate(
    server: str, browser: webdriver.Chrome
) -> None:
    _open(browser, server)
    _settled(browser)
    _click_bar(browser, "word-lstm", 0)  # an old walk, one token past the first prompt
    _wait(browser, lambda d: _step_text(d, "word-lstm") != "Alice was", "the walk did not grow")
    _set_text(browser, "prompt", "The Queen said")
    _set_text(browser, "max-words", "12")
    _generate(browser)
    _settled(browser)
    for model in FOUR_RUNS:
        assert _step_text(browser, model) == "The Queen said", model
    # Lengths are in words for every model, the character model's included.
    for output in browser.find_elements(By.CSS_SELECTOR, ".model .output"):
        assert output.text.startswith("The Queen said")
        words = count_words(output.text) - count_words("The Queen said")
        assert 11 <= words <= 13, output.text  # 12 (a clitic may join or split at the seam)
    # The bars name tokens with no text in words and show quote markers as quotes.
    labels = browser.find_elements(By.CSS_SELECTOR, ".bar-row .token")
    assert not any(t.text in ("<eos>", "``", "↵", "␣") for t in labels)


def test_a_bad_setting_is_shown_on_the_page(server: str, browser: webdriver.Chrome) -> None:
    _open(browser, server)
    top_p = browser.find_element(By.ID, "top-p")
    top_p.send_keys("1.5")
    error = browser.find_element(By.ID, "error")
    _wait(browser, lambda d: error.is_displayed(), "no error shown for top-p 1.5")
    assert "top_p must be in (0, 1], not 1.5" in error.text
    top_p.send_keys(Keys.BACKSPACE * 3)
    _wait(browser, lambda d: not error.is_displayed(), "the error stayed after the fix")


def _save_screenshot(driver: webdriver.Chrome, path: Path) -> None:
    assert driver.save_screenshot(str(path)), "the screenshot was not written"
    assert path.stat().st_size > 10_000
    target = os.environ.get("TEXTGEN_LAB_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
