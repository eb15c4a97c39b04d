"""Output files against what a reader of them sees: Pillow's and ffmpeg's decoders, sizes,
bytes, and the old file kept whenever the new one is not whole."""
import base64
import csv
import itertools
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import SCRIPT, gif_frames, sweep
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

import sgd_viz
from sgd_viz_engine import output
from sgd_viz_engine.gifwriter import GifWriter, make_palette
from sgd_viz_engine.videowriter import VideoError, VideoWriter
from surfaces import SURFACES

TINY = ["--balls", "6", "--steps", "3", "--size", "64x64", "--frames", "4", "--quiet"]
SMALL = ["--balls", "12", "--steps", "6", "--size", "160x120", "--quiet"]
PRECIOUS = b"precious old bytes"
FFMPEG = shutil.which("ffmpeg")


def test_html_is_the_same_bytes_every_run_and_carries_the_gif(tmp_path):
    """(tests/test_player.py plays the page in a browser)"""
    gif, page, again = tmp_path / "a.gif", tmp_path / "a.html", tmp_path / "b.html"
    for out in (gif, page, again):
        assert sgd_viz.main([*SMALL, "--out", str(out)]) == 0
    assert page.read_bytes() == again.read_bytes()
    sources = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page.read_text())
    assert len(sources) == 1 and sources[0].startswith("data:image/gif;base64,")
    assert base64.b64decode(sources[0].split(",", 1)[1]) == gif.read_bytes()


def fake_ffmpeg(folder, script):
    """An `ffmpeg` on PATH that runs `script` (sh) after reading all of its input."""
    folder.mkdir()
    path = folder / "ffmpeg"
    path.write_text("#!/bin/sh\ncat > /dev/null\n" + script)
    path.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


FAILING = "".join(f"echo 'ffmpeg noise line {k}' >&2\n" for k in range(6)) + \
    "echo 'Unknown encoder libx264' >&2\nexit 1\n"
SILENT = 'for last; do :; done\n: > "$last"\nexit 0\n'        # an empty file, "success"


@pytest.mark.parametrize("script, words", [(FAILING, "(exit status 1): Unknown encoder libx264"),
                                           (SILENT, "without writing a video"),
                                           ("exit 0\n", "without writing a video")])
def test_a_failing_ffmpeg_is_one_line_exit_2_and_keeps_the_old_file(
        tmp_path, monkeypatch, capsys, script, words):
    monkeypatch.setenv("PATH", fake_ffmpeg(tmp_path / "bin", script))
    out = tmp_path / "old.mp4"
    out.write_bytes(PRECIOUS)
    assert sgd_viz.main([*TINY, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "internal" not in err, err
    assert "noise" not in err
    assert out.read_bytes() == PRECIOUS
    assert sorted(os.listdir(tmp_path)) == ["bin", "old.mp4"]


def test_an_ffmpeg_gone_after_the_checks_is_a_video_error(tmp_path):
    writer = VideoWriter(fps=10, ffmpeg=str(tmp_path / "no-ffmpeg"))
    fig = Figure(figsize=(1, 1))
    with pytest.raises(VideoError, match="cannot run"):
        writer.setup(fig, str(tmp_path / "v.mp4"))


def ffprobe(path, entries):
    answer = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries", entries,
                             "-of", "default=noprint_wrappers=1:nokey=1", str(path)],
                            capture_output=True, text=True, check=True)
    return answer.stdout.split()


@pytest.mark.skipif(not (FFMPEG and shutil.which("ffprobe")), reason="needs ffmpeg, ffprobe")
def test_mp4_holds_first_and_last_frames_as_long_as_the_gif(tmp_path):
    gif, video, again = tmp_path / "a.gif", tmp_path / "a.mp4", tmp_path / "b.mp4"
    hold = ["--fps", "10", "--hold", "2"]
    for out in (gif, video, again):
        assert sgd_viz.main([*SMALL, *hold, "--out", str(out)]) == 0
    assert video.read_bytes() == again.read_bytes()
    gif_seconds = sum(duration for _, duration in gif_frames(gif)) / 1000
    frames, = ffprobe(video, "stream=nb_read_frames")
    assert int(frames) / 10 == pytest.approx(gif_seconds)      # 1 s first, 7 frames, 2 s hold


def test_gifs_over_the_readme_limit_get_one_note_naming_what_to_change(
        tmp_path, monkeypatch, capsys):
    out = tmp_path / "big.gif"
    assert sgd_viz.main([*TINY, "--out", str(out)]) == 0
    assert "note" not in capsys.readouterr().err
    monkeypatch.setattr(output, "BIG_GIF", out.stat().st_size - 1)
    assert sgd_viz.main([*TINY, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sgd_viz.py: note: ")
    assert all(flag in err for flag in ("--frames", "--size", "--trail"))


def test_orbit_frames_are_the_exact_mapping_or_within_the_fuzz_of_the_canvas(tmp_path):
    """A gradient that slides two pixels a frame: every pixel a viewer sees is either what the
    exact writer shows or within `fuzz` levels of the canvas, and the file is smaller."""
    fig = Figure(figsize=(1.6, 1.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ramp = np.linspace(0, 1, 400)[None, :] + np.linspace(0, 0.3, 120)[:, None]

    def draw(k):
        for image in list(ax.images):
            image.remove()
        ax.imshow(ramp[:, k:k + 160], cmap="viridis", vmin=0, vmax=1.3, aspect="auto")
        fig.canvas.draw()
        return np.array(fig.canvas.buffer_rgba())

    canvases = [draw(k) for k in range(0, 24, 2)]
    palette = make_palette(canvases[::5])
    sizes, shown = [], []
    for fuzz in (0, 12):
        path = tmp_path / f"fuzz{fuzz}.gif"
        writer = GifWriter(fps=10, palette=palette, fuzz=fuzz)
        writer.setup(fig, path)
        for k in range(0, 24, 2):
            draw(k)
            writer.grab_frame()
        writer.finish()
        sizes.append(path.stat().st_size)
        shown.append([pixels for pixels, duration in gif_frames(path)
                      for _ in range(duration // 100)])     # a frame per 100 ms shown
    assert sizes[1] < 0.8 * sizes[0]
    for exact, fuzzy, canvas in zip(*shown, canvases, strict=True):
        off = np.abs(fuzzy.astype(int) - canvas[..., :3]).max(axis=-1)
        assert np.all((fuzzy == exact).all(axis=-1) | (off <= 12))


def test_trajectories_are_replaced_only_with_the_picture(tmp_path, full_disk_after):
    out, table = tmp_path / "old.gif", tmp_path / "old.npz"
    out.write_bytes(PRECIOUS)
    table.write_bytes(PRECIOUS)
    # a file may grow to 2700 bytes: the .npz (2.2 kB) fits, the .gif (6 to 7 kB at 160x120 with
    # any matplotlib; 2.4 kB at 64x64 with matplotlib 3.8) does not
    result = subprocess.run([sys.executable, SCRIPT, *TINY,
                             "--size", "160x120", "--out", str(out), "--save-trajectories",
                             str(table)], capture_output=True, text=True,
                            preexec_fn=full_disk_after(2700))
    assert result.returncode == 1
    assert result.stderr == f"sgd_viz.py: error: cannot write {out}: File too large\n"
    assert out.read_bytes() == PRECIOUS and table.read_bytes() == PRECIOUS
    assert sorted(os.listdir(tmp_path)) == ["old.gif", "old.npz"]


def test_a_full_disk_while_writing_the_csv_names_the_csv(tmp_path, monkeypatch, capsys):
    out, table = tmp_path / "old.gif", tmp_path / "old.csv"
    out.write_bytes(PRECIOUS)

    class FullDisk:
        def __init__(self, file):
            pass

        def writerow(self, row):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(csv, "writer", FullDisk)
    assert sgd_viz.main([*TINY, "--out", str(out), "--save-trajectories", str(table)]) == 1
    err = capsys.readouterr().err
    assert err == f"sgd_viz.py: error: cannot write {table}: No space left on device\n"
    assert out.read_bytes() == PRECIOUS and sorted(os.listdir(tmp_path)) == ["old.gif"]


def test_npz_of_unequal_basin_groups_pads_with_nan_and_counts_the_balls(tmp_path):
    table = tmp_path / "t.npz"
    assert sgd_viz.main(["--balls", "40", "--steps", "30", "--size", "64x64", "--quiet",
                         "--color", "basin", "--out", str(tmp_path / "t.png"),
                         "--save-trajectories", str(table)]) == 0
    with np.load(table) as saved:
        data = dict(saved)
    balls, positions, losses = data["balls"], data["positions"], data["losses"]
    assert balls.sum() == 40 and len(set(balls.tolist())) > 1      # unequal groups
    assert len(data["labels"]) == len(balls) == len(positions)
    assert positions.shape[1:] == (31, balls.max(), 2) and data["steps"].shape == (len(balls), 31)
    surface = SURFACES[sgd_viz.SURFACE]
    for g, count in enumerate(balls):
        assert np.isfinite(positions[g, :, :count]).all()
        assert np.isnan(positions[g, :, count:]).all() and np.isnan(losses[g, :, count:]).all()
        assert not data["diverged"][g, :, count:].any()
        np.testing.assert_allclose(surface.f(positions[g, :, :count]), losses[g, :, :count],
                                   rtol=1e-12)


def test_a_symlinked_output_is_written_through_to_its_target(tmp_path):
    shared, docs = tmp_path / "shared", tmp_path / "docs"
    shared.mkdir()
    docs.mkdir()
    target = shared / "asset.gif"
    target.write_bytes(PRECIOUS)
    target.chmod(0o640)
    link = docs / "sgd.gif"
    link.symlink_to(os.path.join("..", "shared", "asset.gif"))
    assert sgd_viz.main([*TINY, "--out", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "shared", "asset.gif")
    assert target.read_bytes()[:6] == b"GIF89a" and target.stat().st_mode & 0o777 == 0o640
    assert os.listdir(docs) == ["sgd.gif"] and os.listdir(shared) == ["asset.gif"]


# Every layout, coloring, trajectory format and output kind appears with every value of each
# of the others at least once (a pairwise covering set): 16 runs instead of 96.
LAYOUTS = ["3d", "curve", "contour", "multiples"]
KINDS = ["gif", "png", "html", "mp4"]
COLORINGS = ["group", "basin"]
FORMATS = [None, "npz", "csv"]
COVERING = [(layout, kind, COLORINGS[(i + j) % 2], FORMATS[(i + 2 * j + j // 2) % 3])
            for i, layout in enumerate(LAYOUTS) for j, kind in enumerate(KINDS)]


def test_the_covering_set_covers_every_pair():
    values = [LAYOUTS, KINDS, COLORINGS, FORMATS]
    for a, b in itertools.combinations(range(4), 2):
        assert {(run[a], run[b]) for run in COVERING} == set(itertools.product(values[a],
                                                                               values[b]))


# the README's test command runs one case of each layout, kind, coloring and format (these, with
# or without ffmpeg); .ci/run's slow step every pair
FEW = [("3d", "gif"), ("curve", "mp4"), ("contour", "png"), ("multiples", "html")]


@pytest.mark.parametrize("layout, kind, coloring, trajectories",
                         sweep(COVERING, lambda case: case[:2] in FEW))
def test_every_layout_coloring_format_and_output_kind_works(
        tmp_path, layout, kind, coloring, trajectories):
    if kind == "mp4" and not FFMPEG:
        pytest.skip("needs ffmpeg")
    out = tmp_path / f"run.{kind}"
    extra = ["--save-trajectories", str(tmp_path / f"t.{trajectories}")] if trajectories else []
    assert sgd_viz.main([*TINY, "--layout", layout, "--color", coloring, "--surface",
                         "himmelblau", "--out", str(out), *extra]) == 0
    data = out.read_bytes()
    if kind == "gif":
        assert len(gif_frames(out)) >= 2
    elif kind == "png":
        with Image.open(out) as image:
            assert image.size == (64, 64)
    elif kind == "html":
        assert b'src="data:image/gif;base64,R0lGOD' in data
    else:
        assert data[4:8] == b"ftyp"
    if trajectories == "npz":
        with np.load(tmp_path / "t.npz") as saved:
            assert saved["balls"].sum() == 6
    elif trajectories == "csv":
        assert len((tmp_path / "t.csv").read_text().splitlines()) == 1 + 6 * 4
    assert len(os.listdir(tmp_path)) == 1 + bool(trajectories)


def test_orbit_keeps_greys_exact(tmp_path):
    """A pale color sweeping over a grey pane, within the fuzz of it, must not leave a haze
    behind: the grey comes back exactly."""
    fig = Figure(figsize=(1.6, 1.2), dpi=100, facecolor="#f0f0f0")
    FigureCanvasAgg(fig)
    patch = fig.add_artist(Rectangle((0, 0), 0.5, 1, color="#f4fbef"))     # 11 levels off
    fig.canvas.draw()
    palette = make_palette([np.array(fig.canvas.buffer_rgba())])
    path = tmp_path / "sweep.gif"
    writer = GifWriter(fps=10, palette=palette, fuzz=12)
    writer.setup(fig, path)
    for x in (0, 0.25, 0.5):
        patch.set_x(x)
        fig.canvas.draw()
        writer.grab_frame()
    writer.finish()
    (first, _), *_, (last, _) = gif_frames(path)
    assert (last[:, :80] == (0xf0, 0xf0, 0xf0)).all()
    assert (last[:, 80:] == first[0, 0]).all()          # the patch, as the palette shows it
