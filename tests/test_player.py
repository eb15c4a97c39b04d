"""The .html player in a real browser (headless Chromium driven over WebDriver): it loads without
an error, plays, pauses, steps with the slider and the keys, draws exactly the GIF's frames as
Pillow decodes them, fits narrow containers and fetches nothing. Skipped where no Chromium and
chromedriver are installed; .ci/run installs them and runs these in its slow step."""
import base64
import io
import json
import re
import shutil
import subprocess
import time
import urllib.request

import numpy as np
import pytest
from conftest import gif_frames
from PIL import Image

import sgd_viz
from sgd_viz_engine import player
from surfaces import SURFACES

pytestmark = pytest.mark.xdist_group("player")     # its module-scoped fixtures once

CHROMIUM = next(filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])),
                None)
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=800,900"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"     # the W3C WebDriver element key
KEYS = {"left": "\ue012", "right": "\ue014", "home": "\ue011", "end": "\ue010", "space": " "}


def BROWSER(test):
    """A test in Chromium: slow (a browser starts many processes), run by .ci/run's second step;
    skipped where no Chromium and chromedriver are installed."""
    return pytest.mark.slow(pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                               reason="needs chromium and chromedriver")(test))


class Browser:
    """A WebDriver session in headless Chromium, spoken to in plain HTTP."""

    def __init__(self, folder):
        # chromedriver picks a free port and says which on its standard output when it is
        # ready (its log goes to a file): waited for on the pipe, not by the clock
        self.driver = subprocess.Popen([CHROMEDRIVER, "--port=0", f"--log-path={folder}.log"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       text=True)
        said, started = [], None
        for line in self.driver.stdout:
            said.append(line)
            if started := re.search(r"started successfully on port (\d+)", line):
                break
        assert started, said
        self.url = f"http://127.0.0.1:{started.group(1)}"
        options = {"binary": CHROMIUM, "args": [*FLAGS, f"--user-data-dir={folder}"]}
        session = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"}}}})
        self.url += f"/session/{session['sessionId']}"

    def call(self, method, path, body=None):
        request = urllib.request.Request(self.url + path, method=method, data=None if body is None
                                         else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as answer:   # against a hang
            return json.load(answer)["value"]

    def run(self, script, *args):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def element(self, selector):
        return self.call("POST", "/element", {"using": "css selector", "value": selector})[ELEMENT]

    def click(self, selector):
        self.call("POST", f"/element/{self.element(selector)}/click", {})

    def press(self, key, selector=".sgd-player"):
        self.call("POST", f"/element/{self.element(selector)}/value", {"text": KEYS[key]})

    def log(self, kind):
        return self.call("POST", "/se/log", {"type": kind})

    def close(self):
        try:
            self.call("DELETE", "")
        finally:
            self.driver.terminate()
            self.driver.wait(timeout=300)
            self.driver.stdout.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    browser = Browser(tmp_path_factory.mktemp("profile"))
    yield browser
    browser.close()


def pixels_of(gif):
    """The frames of a GIF as Pillow composites them, RGB."""
    return [pixels for pixels, _ in gif_frames(gif)]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The default scene's page, the GIF it carries, and that GIF's frames."""
    path = tmp_path_factory.mktemp("page") / "run.html"
    assert sgd_viz.main(["--quiet", "--out", str(path)]) == 0
    gif = base64.b64decode(re.search(r'src="data:image/gif;base64,([^"]*)"',
                                     path.read_text()).group(1))
    return path, gif, pixels_of(gif)


def test_the_page_carries_the_gif_once_in_at_most_one_and_a_half_times_its_size(page):
    path, gif, _ = page
    text = path.read_text()
    assert path.stat().st_size <= 1.5 * len(gif)
    assert text.count("base64,") == 1 and len(re.findall(r"\b(?:src|href)\s*=", text)) == 1
    assert re.search(r'<img [^>]*src="data:', text) and not re.search(r"<img [^>]*hidden", text)
    assert re.search(r"<canvas [^>]*hidden", text) and 'class="sgd-bar" hidden' in text
    text = text.replace(base64.b64encode(gif).decode(), "")       # before any script runs:
                                                                  # the GIF, no dead controls
    for fetching in ["http", "url(", "@import", "fetch(", "XMLHttpRequest", "import(",
                     "WebSocket", "<link", "<iframe"]:
        assert fetching not in text
    assert not re.search(r"//\S", text)       # no //host/path


def frame_shown(browser):
    return int(browser.run("return document.querySelector('.sgd-player input').value"))


def pixels_shown(browser):
    """The canvas's pixels, RGBA."""
    url = browser.run("return document.querySelector('.sgd-player canvas').toDataURL()")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def assert_shows(browser, frames, k):
    assert frame_shown(browser) == k
    pixels = pixels_shown(browser)
    assert (pixels[..., 3] == 255).all()
    np.testing.assert_array_equal(pixels[..., :3], frames[k])


def wait_for(condition):
    """Ask the page until `condition` holds; the deadline only turns a hang into a failure."""
    deadline = time.monotonic() + 300
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def wait_in_page(milliseconds):
    """Return once a timer of the page set now fires: after every timer of the page due
    before it (a browser runs its timers in the order they are due), however busy the
    machine is."""
    return {"script": "setTimeout(arguments[arguments.length - 1], arguments[0])",
            "args": [milliseconds]}


def load(browser, path):
    """The page at `path` freshly loaded, its script run: the canvas and controls shown, the
    GIF hidden."""
    browser.call("POST", "/window/rect", {"width": 800, "height": 900})
    browser.log("performance")                  # the requests so far, read and dropped
    browser.call("POST", "/url", {"url": path.as_uri()})
    wait_for(lambda: browser.run("return !document.querySelector('.sgd-bar').hidden"))
    assert browser.run("var p = document.querySelector('.sgd-player');"
                       "return [p.querySelector('img').hidden, p.querySelector('canvas').hidden]"
                       ) == [True, False]


@pytest.fixture
def loaded(browser, page):
    load(browser, page[0])
    return page[2]


@BROWSER
def test_the_page_plays_and_pauses_without_an_error(browser, loaded):
    frames = loaded
    assert len(frames) > 10
    browser.run("var speed = document.querySelector('.sgd-player select');"
                "speed.value = '4'; speed.dispatchEvent(new Event('change'))")
    start = frame_shown(browser)
    wait_for(lambda: frame_shown(browser) > start + 2)      # playing on its own
    browser.click("[data-do=play]")                          # pause
    held = frame_shown(browser)
    before = pixels_shown(browser)
    browser.call("POST", "/execute/async", wait_in_page(500))   # ten frames' time at 4x
    assert frame_shown(browser) == held
    np.testing.assert_array_equal(pixels_shown(browser), before)
    np.testing.assert_array_equal(before[..., :3], frames[held])
    browser.click("[data-do=play]")                          # and on again
    wait_for(lambda: frame_shown(browser) != held)
    assert [entry for entry in browser.log("browser") if entry["level"] == "SEVERE"] == []


@BROWSER
def test_the_slider_and_the_keys_show_exactly_the_gifs_frames(browser, loaded):
    frames = loaded
    browser.click("[data-do=play]")                          # pause
    last = len(frames) - 1
    for k in [last, 0, 5, 4, last - 1, 1, 9, 30, 29, 17]:     # back and forth, across copies
        browser.run("var slider = document.querySelector('.sgd-player input');"
                    "slider.value = arguments[0]; slider.dispatchEvent(new Event('input'))", k)
        assert_shows(browser, frames, k)
    for key, k in [("home", 0), ("right", 1), ("right", 2), ("left", 1), ("end", last),
                   ("left", last - 1), ("right", last), ("right", last)]:
        browser.press(key)
        assert_shows(browser, frames, k)
    label = browser.run("return document.querySelector('.sgd-player output').value")
    steps = sgd_viz.STEPS or SURFACES[sgd_viz.SURFACE].lesson.steps     # None: the lesson's
    assert label == f"step {steps} / {steps}"
    browser.press("space")                                   # plays, from the last frame
    wait_for(lambda: frame_shown(browser) != last)
    browser.press("space")
    held = frame_shown(browser)
    assert_shows(browser, frames, held)
    assert [entry for entry in browser.log("browser") if entry["level"] == "SEVERE"] == []


@BROWSER
def test_the_player_fits_a_narrow_window_and_fetches_nothing(browser, loaded, page):
    browser.call("POST", "/window/rect", {"width": 400, "height": 700})
    wide = browser.run("var p = document.querySelector('.sgd-player');"
                       "return [document.documentElement.scrollWidth, window.innerWidth,"
                       " p.querySelector('canvas').getBoundingClientRect().width,"
                       " p.querySelector('.sgd-bar').getBoundingClientRect().right]")
    page_width, window_width, canvas_width, bar_right = wide
    assert page_width == window_width == canvas_width
    assert bar_right <= window_width
    requests = [json.loads(entry["message"])["message"] for entry in browser.log("performance")]
    fetched = {message["params"]["request"]["url"] for message in requests      # by the page,
               if message["method"] == "Network.requestWillBeSent"                 # not by the
               and message["params"]["documentURL"] == page[0].as_uri()}          # browser's UI
    assert page[0].as_uri() in fetched
    assert {url for url in fetched if not url.startswith("data:")} == {page[0].as_uri()}


def noise_gif(seed, size):
    """Interlaced frames of noise, each with a palette of its own (a full LZW table, long runs,
    odd sizes: none of which the project's own GIFs happen to use today)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(5):
        pixels = rng.integers(0, 256, size[::-1], dtype=np.uint8)
        pixels[:, : 40 + 10 * k] = k
        frame = Image.fromarray(pixels, "P")
        frame.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tolist())
        frames.append(frame)
    data = io.BytesIO()
    frames[0].save(data, "GIF", save_all=True, append_images=frames[1:], interlace=True,
                   duration=[40, 30, 20, 30, 40], loop=0, disposal=1, optimize=False)
    return data.getvalue()


def set_slider(browser, k, within=""):
    browser.run(f"var slider = document.querySelector('{within} .sgd-player input');"
                "slider.value = arguments[0]; slider.dispatchEvent(new Event('input'))", k)


@BROWSER
def test_the_player_decodes_any_gif_pillow_writes(browser, tmp_path):
    blocks = noise_gif(0, (123, 91))
    path = tmp_path / "any.html"
    path.write_text(player.page(blocks, range(5), "noise", (123, 91)))
    load(browser, path)
    browser.click("[data-do=play]")                          # pause
    decoded = pixels_of(blocks)
    for k in [4, 0, 3, 1, 2]:
        set_slider(browser, k)
        assert_shows(browser, decoded, k)


@BROWSER
def test_players_on_one_page_play_on_their_own(browser, tmp_path):
    """As in a notebook: each player's script finds its own, keys go to the focused one."""
    sizes = {"a": (100, 60), "b": (90, 70)}
    gifs = {name: noise_gif(seed, sizes[name]) for seed, name in enumerate(sizes)}
    path = tmp_path / "two.html"
    path.write_text("<!DOCTYPE html><html><body>" + "".join(
        f'<section id="{name}">{player.player(gif, range(5), name, sizes[name])}</section>'
        for name, gif in gifs.items()) + "</body></html>")
    browser.call("POST", "/url", {"url": path.as_uri()})
    wait_for(lambda: browser.run("return [...document.querySelectorAll('.sgd-bar')]"
                                 ".every(bar => !bar.hidden)"))
    for name in gifs:
        browser.click(f"#{name} [data-do=play]")            # pause each
    set_slider(browser, 3, "#b")
    set_slider(browser, 1, "#a")
    browser.press("right", "#a .sgd-player")
    shown = browser.run("return ['a', 'b'].map(name => [+document.querySelector("
                        "'#' + name + ' input').value, document.querySelector('#' + name + "
                        "' canvas').toDataURL()])")
    for (k, url), (name, gif) in zip(shown, gifs.items(), strict=True):
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
        assert k == {"a": 2, "b": 3}[name]
        np.testing.assert_array_equal(pixels[..., :3], pixels_of(gif)[k])
