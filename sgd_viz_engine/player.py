"""The offline player: an animated GIF, carried once, in HTML that plays, pauses, steps, scrubs it.

The HTML shows the GIF in an <img>, which animates before any script runs (and where scripts
are off, as in a notebook opened untrusted). Its script decodes that same GIF (the LZW of the
GIF format, in plain JavaScript that every browser runs) into a <canvas>, swaps it in and adds
the controls: play/pause, step back and forward, a slider that shows the optimizer step, the
speed (0.25x to 4x) and loop on/off; the keys space, left, right, home and end. It fetches
nothing: no network, no other file, no font. The same GIF and steps give the same bytes.
"""
import base64
import html

SPEEDS = (0.25, 0.5, 1, 2, 4)

ICONS = {               # 16x16 SVG paths drawn in the text's color
    "play": "M4 2l10 6-10 6z",
    "pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "back": "M2 2h2v12H2zM14 2v12L5 8z",
    "forward": "M12 2h2v12h-2zM2 2v12l9-6z",
}

STYLE = """\
.sgd-player { margin: 0 auto; font: 13px/1.4 system-ui, sans-serif; }
.sgd-player:focus { outline: none; }
.sgd-player:focus-visible { outline: 2px solid #0072b2; outline-offset: 2px; }
.sgd-player img, .sgd-player canvas { display: block; width: 100%; height: auto; }
.sgd-player [hidden] { display: none !important; }
.sgd-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 8px; padding: 6px 8px; }
.sgd-bar button { display: inline-flex; align-items: center; justify-content: center;
  width: 32px; height: 28px; padding: 0; border: 1px solid rgba(128, 128, 128, 0.6);
  border-radius: 4px; background: transparent; color: inherit; cursor: pointer; }
.sgd-bar svg { width: 14px; height: 14px; fill: currentColor; }
.sgd-bar input[type=range] { flex: 1 1 140px; min-width: 100px; margin: 0; }
.sgd-bar output { min-width: 7.5em; font-variant-numeric: tabular-nums; }
.sgd-bar select { font: inherit; color: inherit; background: transparent; }
.sgd-bar select option { color: initial; }
.sgd-bar label { display: inline-flex; align-items: center; gap: 3px; }"""

SCRIPT = r"""
(function (root) {
  "use strict";
  // --- the GIF: blocks, then the LZW-coded pixels of each frame ------------------------
  function decode(bytes) {
    var at = 6, frames = [], control = {};
    function word() { at += 2; return bytes[at - 2] | bytes[at - 1] << 8; }
    function colors(count) {       // palette as 32-bit pixels, in the machine's byte order
      var rgba = new Uint8Array(1024);
      for (var i = 0; i < count; i++, at += 3) {
        rgba.set(bytes.subarray(at, at + 3), 4 * i);
        rgba[4 * i + 3] = 255;
      }
      return new Uint32Array(rgba.buffer);
    }
    function blocks() {             // the data sub-blocks from `at`, joined
      var start = at, size = 0, data, into = 0;
      for (; bytes[at]; at += bytes[at] + 1) size += bytes[at];
      data = new Uint8Array(size);
      for (at = start; bytes[at]; at += bytes[at] + 1) {
        data.set(bytes.subarray(at + 1, at + 1 + bytes[at]), into);
        into += bytes[at];
      }
      at++;
      return data;
    }
    if (String.fromCharCode.apply(null, bytes.subarray(0, 3)) !== "GIF") throw "not a GIF";
    var width = word(), height = word(), flags = bytes[at];
    at += 3;
    var global = flags & 0x80 ? colors(2 << (flags & 7)) : new Uint32Array(256);
    while (at < bytes.length) {
      var kind = bytes[at++];
      if (kind === 0x21) {          // an extension: keep the graphic control one
        if (bytes[at] === 0xf9) {
          control = {disposal: bytes[at + 2] >> 2 & 7, delay: bytes[at + 3] | bytes[at + 4] << 8,
                     transparent: bytes[at + 2] & 1 ? bytes[at + 5] : -1};
        }
        at++;
        blocks();
      } else if (kind === 0x2c) {   // an image
        var frame = {x: word(), y: word(), w: word(), h: word(), disposal: control.disposal || 0,
                     delay: control.delay > 1 ? control.delay : 10, transparent:
                     control.transparent === undefined ? -1 : control.transparent};
        flags = bytes[at++];
        frame.colors = flags & 0x80 ? colors(2 << (flags & 7)) : global;
        var size = bytes[at++];
        frame.indices = lzw(blocks(), size, frame.w * frame.h);
        if (flags & 0x40) frame.indices = deinterlace(frame.indices, frame.w, frame.h);
        frames.push(frame);
        control = {};
      } else break;                 // the trailer
    }
    return {width: width, height: height, frames: frames};
  }
  function lzw(data, least, count) {
    var out = new Uint8Array(count), prefix = new Uint16Array(4096),
        suffix = new Uint8Array(4096), first = new Uint8Array(4096), length = new Uint16Array(4096),
        clear = 1 << least, size = least + 1, next = clear + 2, old = -1, bits = 0, held = 0,
        done = 0, i, code;
    for (i = 0; i < clear; i++) { suffix[i] = first[i] = i; length[i] = 1; }
    for (i = 0; i < data.length && done < count; i++) {
      held |= data[i] << bits;
      bits += 8;
      while (bits >= size && done < count) {
        code = held & (1 << size) - 1;
        held >>>= size;
        bits -= size;
        if (code === clear) { size = least + 1; next = clear + 2; old = -1; continue; }
        if (code === clear + 1) return out;
        if (old >= 0 && next < 4096) {
          if (code > next) throw "bad LZW code";
          prefix[next] = old;
          suffix[next] = first[code === next ? old : code];
          first[next] = first[old];
          length[next] = length[old] + 1;
          if (++next === 1 << size && size < 12) size++;
        }
        old = code;
        for (var end = done + length[code], k = end - 1, c = code; k >= done; k--, c = prefix[c]) {
          if (k < count) out[k] = suffix[c];     // the string of a code is written backwards
        }
        done = end;
      }
    }
    return out;
  }
  function deinterlace(rows, w, h) {
    var out = new Uint8Array(rows.length), from = 0;
    [[0, 8], [4, 8], [2, 4], [1, 2]].forEach(function (pass) {
      for (var y = pass[0]; y < h; y += pass[1], from += w) {
        out.set(rows.subarray(from, from + w), y * w);
      }
    });
    return out;
  }

  // --- the picture: frames drawn over each other, a copy kept every few frames to seek from
  var img = root.querySelector("img"), canvas = root.querySelector("canvas"),
      bar = root.querySelector(".sgd-bar"), slider = bar.querySelector("input"),
      loop = bar.querySelector("input[type=checkbox]"), speed = bar.querySelector("select"),
      label = bar.querySelector("output"), playButton = bar.querySelector("[data-do=play]"),
      steps = root.getAttribute("data-steps").split(",");
  var source = atob(img.src.slice(img.src.indexOf(",") + 1)), bytes = new Uint8Array(source.length);
  for (var i = 0; i < source.length; i++) bytes[i] = source.charCodeAt(i);
  var gif = decode(bytes), frames = gif.frames, width = gif.width, height = gif.height,
      pixels = new Uint32Array(width * height), before = null, shown = -1, kept = [],
      every = Math.max(8, Math.ceil(frames.length * pixels.length * 4 / 64e6)),   // 64 MB of copies
      image = new ImageData(new Uint8ClampedArray(pixels.buffer), width, height);
  canvas.width = width;             // the GIF's own size, whatever the page said
  canvas.height = height;
  var context = canvas.getContext("2d");
  function fill(frame, color) {
    for (var y = frame.y; y < Math.min(frame.y + frame.h, height); y++)
      pixels.fill(color, y * width + frame.x, y * width + Math.min(frame.x + frame.w, width));
  }
  function draw(k) {                // frame k over the frame shown, k - 1
    var last = frames[shown], frame = frames[k], clear = frame.transparent;
    if (last && last.disposal === 2) fill(last, 0);
    if (last && last.disposal === 3 && before) pixels.set(before);
    before = frame.disposal === 3 ? pixels.slice() : null;
    for (var y = 0, j = 0; y < frame.h; y++) {
      for (var x = 0, at = (frame.y + y) * width + frame.x; x < frame.w; x++, j++, at++) {
        var index = frame.indices[j];
        if (index !== clear && frame.x + x < width && frame.y + y < height) {
          pixels[at] = frame.colors[index];
        }
      }
    }
    shown = k;
    if (k % every === 0 && !kept[k / every]) {
      kept[k / every] = {pixels: pixels.slice(), before: before};
    }
  }
  function seek(k) {
    if (k < shown || k > shown + every) {
      var copy = kept[Math.floor(k / every)];
      pixels.set(copy.pixels);
      before = copy.before;
      shown = Math.floor(k / every) * every;
    }
    while (shown < k) draw(shown + 1);
  }
  for (i = 0; i < frames.length; i++) draw(i);

  // --- the controls ------------------------------------------------------------------------
  var timer = null;
  function show(k) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    seek(k);
    context.putImageData(image, 0, 0);
    slider.value = k;
    label.value = "step " + steps[k] + " / " + steps[steps.length - 1];
  }
  function tick() {
    if (shown === frames.length - 1 && !loop.checked) return pause();
    show(shown === frames.length - 1 ? 0 : shown + 1);
    timer = setTimeout(tick, frames[shown].delay * 10 / +speed.value);
  }
  function play() {
    if (shown === frames.length - 1 && !loop.checked) show(0);
    clearTimeout(timer);
    timer = setTimeout(tick, frames[shown].delay * 10 / +speed.value);
    playing(true);
  }
  function pause() {
    clearTimeout(timer);
    timer = null;
    playing(false);
  }
  function toggle() { if (timer === null) play(); else pause(); }
  function step(by) { pause(); show(shown + by); }
  function playing(yes) {
    playButton.children[0].toggleAttribute("hidden", yes);     // SVG has no .hidden
    playButton.children[1].toggleAttribute("hidden", !yes);
    playButton.setAttribute("aria-label", yes ? "pause" : "play");
  }
  slider.max = frames.length - 1;
  slider.addEventListener("input", function () { pause(); show(+slider.value); });
  bar.querySelector("[data-do=back]").addEventListener("click", function () { step(-1); });
  bar.querySelector("[data-do=forward]").addEventListener("click", function () { step(1); });
  playButton.addEventListener("click", toggle);
  canvas.addEventListener("click", function () { root.focus(); toggle(); });
  document.addEventListener("keydown", function (event) {
    var target = event.target, mine = root.contains(target),
        alone = (target === document.body || target === document.documentElement) &&
                document.querySelectorAll(".sgd-player").length === 1;
    if (!(mine || alone) || event.altKey || event.ctrlKey || event.metaKey ||
        target.tagName === "SELECT") return;
    var key = event.key,
        native = /^(BUTTON|INPUT)$/.test(target.tagName) && target.type !== "range";
    if (key === " " && !native) toggle();
    else if (key === "ArrowLeft" || key === "ArrowRight") step(key === "ArrowLeft" ? -1 : 1);
    else if (key === "Home" || key === "End") {
      pause();
      show(key === "Home" ? 0 : frames.length - 1);
    }
    else return;
    event.preventDefault();
  });
  img.hidden = true;
  canvas.hidden = bar.hidden = false;
  show(0);
  if (!(window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches)) play();
})(document.currentScript.parentNode);
"""


def icon(name, hidden=False):
    return (f'<svg viewBox="0 0 16 16" aria-hidden="true"{" hidden" * hidden}>'
            f'<path d="{ICONS[name]}"/></svg>')


def player(gif, steps, title, size):
    """The player as an HTML fragment (a notebook's output, or a page's body): `gif` the
    animated GIF's bytes, `steps` the optimizer step that each of its frames shows, `title`
    its text alternative, `size` (width, height) its largest size in pixels; it shrinks to fit
    its container."""
    width, height = size
    text = html.escape(" ".join(title.split()))
    speeds = "".join(f'<option value="{speed:g}"{" selected" * (speed == 1)}>{speed:g}x</option>'
                     for speed in SPEEDS)
    return (f'<div class="sgd-player" tabindex="0" style="max-width: {width}px" '
            f'data-steps="{",".join(str(int(step)) for step in steps)}">\n'
            f"<style>\n{STYLE}\n</style>\n"
            f'<img width="{width}" height="{height}" alt="{text}" '
            f'src="data:image/gif;base64,{base64.b64encode(gif).decode("ascii")}">\n'
            f'<canvas width="{width}" height="{height}" hidden role="img" '
            f'aria-label="{text}"></canvas>\n'
            '<div class="sgd-bar" hidden>\n'
            f'<button type="button" data-do="play" aria-label="play" title="play or pause '
            f'(space)">{icon("play")}{icon("pause", hidden=True)}</button>\n'
            f'<button type="button" data-do="back" aria-label="step back" title="step back '
            f'(left arrow)">{icon("back")}</button>\n'
            f'<button type="button" data-do="forward" aria-label="step forward" title="step '
            f'forward (right arrow)">{icon("forward")}</button>\n'
            '<input type="range" min="0" max="0" value="0" aria-label="frame">\n'
            '<output>step 0</output>\n'
            f'<select aria-label="speed" title="speed">{speeds}</select>\n'
            '<label><input type="checkbox" checked> loop</label>\n'
            "</div>\n"
            f"<script>{SCRIPT}</script>\n"
            "</div>")


def page(gif, steps, title, size, background="white", color="black"):
    """A page that needs nothing else: the player (see player) on `background`, its controls
    in `color`."""
    text = html.escape(" ".join(title.split()))
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{text}</title>\n"
            f"<style>body {{ margin: 0; background: {html.escape(background)}; "
            f"color: {html.escape(color)}; }}</style>\n"
            f"</head>\n<body>\n{player(gif, steps, title, size)}\n</body>\n</html>\n")
