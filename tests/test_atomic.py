"""Nothing lost: output appears whole or not at all; the same arguments give the same bytes."""
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, SCRIPT, ctrl_c_on_import, script_with

import sgd_viz

TINY = ["--balls", "12", "--steps", "6", "--size", "160x120", "--quiet"]
PRECIOUS = b"GIF89a precious, embedded somewhere"


def test_same_arguments_same_bytes(tmp_path):
    a, b, c = tmp_path / "a.gif", tmp_path / "b.gif", tmp_path / "c.gif"
    assert sgd_viz.main([*TINY, "--out", str(a)]) == 0
    assert sgd_viz.main([*TINY, "--out", str(b)]) == 0
    assert sgd_viz.main([*TINY, "--seed", "1", "--out", str(c)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_the_default_run_writes_the_same_bytes_in_another_process(tmp_path):
    # end to end, as a user runs it: `python sgd_viz.py` with the settings block as it is, in a
    # folder of its own, against the same run in this process
    child = subprocess.run([sys.executable, SCRIPT], cwd=tmp_path,
                           capture_output=True, text=True)
    assert child.returncode == 0 and child.stderr == "", child.stderr
    assert child.stdout.startswith("wrote sgd.gif ")
    assert sgd_viz.main(["--quiet", "--out", str(tmp_path / "here.gif")]) == 0
    assert (tmp_path / "sgd.gif").read_bytes() == (tmp_path / "here.gif").read_bytes()


def test_a_failure_mid_render_keeps_the_old_file(tmp_path, full_disk_after):
    old = tmp_path / "old.gif"
    old.write_bytes(PRECIOUS)
    result = subprocess.run([sys.executable, SCRIPT, *TINY, "--out",
                             str(old)], capture_output=True, text=True,
                            preexec_fn=full_disk_after(4000))
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"sgd_viz.py: error: cannot write {old}: File too large\n"
    assert old.read_bytes() == PRECIOUS
    assert os.listdir(tmp_path) == ["old.gif"]


def test_poster_png_is_written_atomically(tmp_path):
    poster = tmp_path / "poster.png"
    assert sgd_viz.main([*TINY, "--out", str(poster)]) == 0
    assert poster.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.listdir(tmp_path) == ["poster.png"]


@pytest.mark.slow           # a process for each signal
@pytest.mark.parametrize("signum, trajectories", [(signal.SIGINT, []),
                                                   (signal.SIGTERM, ["--save-trajectories",
                                                                     "t.csv"]),
                                                   (signal.SIGHUP, [])])
def test_a_signal_mid_render_keeps_the_old_file_and_leaves_no_temporary(tmp_path, signum,
                                                                         trajectories):
    old = tmp_path / "sgd.gif"
    old.write_bytes(PRECIOUS)
    process = subprocess.Popen(
        [sys.executable, SCRIPT, "--steps", "3000", "--frames", "3000",
         "--noise", "1", "--size", "320x240", "--balls", "50", "--quiet", "--out", str(old),
         *trajectories], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Interrupt the render once it has written frames into its temporary GIF (a file that
    # only grows); the deadline only turns a hang into a failure.
    deadline = time.monotonic() + 600
    while not any(name.endswith(".gif") and name != "sgd.gif" and os.path.getsize(tmp_path / name)
                  for name in os.listdir(tmp_path)):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    process.send_signal(signum)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 128 + signum, err
    assert err == f"sgd_viz.py: interrupted by {signal.Signals(signum).name}; {old} is unchanged\n"
    assert old.read_bytes() == PRECIOUS
    assert os.listdir(tmp_path) == ["sgd.gif"]


SWALLOWING = '''
import signal


def surface(x, y):
    """x^2 + y^2; once the program handles SIGTERM, it gets one, and its exception is lost"""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        try:
            signal.raise_signal(signal.SIGTERM)
        except KeyboardInterrupt:
            pass
        if FAILS:
            raise TypeError("what the work does next fails")
    return x ** 2 + y ** 2
'''


@pytest.mark.parametrize("fails, outcome", [(True, "is unchanged"), (False, "was written")])
def test_a_signal_whose_exception_a_library_swallows_still_stops_the_run(tmp_path, monkeypatch,
                                                                          fails, outcome):
    # numpy before 1.25 swallows an exception raised while it reads an object's array interface
    # (Pillow's images have one): a signal's, arriving there, is lost, and the work fails later
    # with an error of its own (seen on the floors, as an internal error), or goes on to the
    # end. Here the surface does the same.
    (tmp_path / "swallowing.py").write_text(f"FAILS = {fails}\n{SWALLOWING}")
    monkeypatch.syspath_prepend(str(tmp_path))
    script = script_with(tmp_path, SURFACE="__import__('swallowing').surface",
                         BOUNDS="((-2, 2), (-2, 2))")
    old = tmp_path / "old.gif"
    old.write_bytes(PRECIOUS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, str(tmp_path)])}
    done = subprocess.run([sys.executable, script.__file__, *TINY, "--out", str(old)], env=env,
                          capture_output=True, text=True, timeout=600)  # only against a hang
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert done.stderr.endswith(f"interrupted by SIGTERM; {old} {outcome}\n"), done.stderr
    assert (old.read_bytes() == PRECIOUS) == fails


def test_ctrl_c_while_the_libraries_load_stops_without_a_traceback(tmp_path):
    # Ctrl-C arrives as the script imports tqdm (the first library it loads, see conftest)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": ctrl_c_on_import(tmp_path / "slow")}
    done = subprocess.run([sys.executable, SCRIPT, "--out", str(out / "x.gif")], env=env,
                          capture_output=True, text=True, timeout=600)      # only against a hang
    assert done.returncode == -signal.SIGINT and done.stderr == ""
    assert os.listdir(out) == []


def test_an_interrupt_after_the_rename_says_the_file_was_written(tmp_path, monkeypatch, capsys):
    out = tmp_path / "sgd.gif"
    out.write_bytes(PRECIOUS)

    def work(plan):
        out.write_bytes(b"GIF89a new")
        raise KeyboardInterrupt

    monkeypatch.setattr(sgd_viz, "work", work)
    assert sgd_viz.main([*TINY, "--out", str(out)]) == 130
    assert capsys.readouterr().err == f"sgd_viz.py: interrupted by SIGINT; {out} was written\n"


def test_new_files_get_the_usual_permissions_and_old_files_keep_theirs(tmp_path):
    fresh, kept = tmp_path / "fresh.gif", tmp_path / "kept.gif"
    kept.write_bytes(PRECIOUS)
    kept.chmod(0o640)
    umask = os.umask(0o022)
    try:
        assert sgd_viz.main([*TINY, "--out", str(fresh)]) == 0
        assert sgd_viz.main([*TINY, "--out", str(kept)]) == 0
    finally:
        os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o644
    assert kept.stat().st_mode & 0o777 == 0o640
