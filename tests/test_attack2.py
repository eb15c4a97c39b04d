"""Promises under attack, round two (issue 24): special files never replaced, outputs checked
before the work, divergence never erased, rates that are verified, messages for people."""
import os
import pathlib
import re
import signal
import stat
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from conftest import SCRIPT, ctrl_c_on_import, listing, plan_of, refused, script_with
from PIL import Image

import sgd_viz
from sgd_viz_engine.plan import PlanError, estimate, make_plan

TINY = ["--balls", "4", "--steps", "3", "--frames", "3", "--size", "64x64", "--quiet"]


# --- 1, 4, 16: outputs checked before the work ------------------------------------------------

def shapes(folder):
    """File-system shapes that an output must never replace or follow into a late error, by
    the flag they are given to."""
    os.mkfifo(folder / "fifo.gif")
    os.mkfifo(folder / "fifo.csv")
    os.symlink("fifo.gif", folder / "to_fifo.gif")
    os.symlink("missing/x.gif", folder / "to_missing_folder.gif")
    os.symlink("loop_b.gif", folder / "loop_a.gif")
    os.symlink("loop_a.gif", folder / "loop_b.gif")
    (folder / "t.csv").write_bytes(b"old trajectories")
    os.symlink("t.csv", folder / "to_t.gif")
    return [(["--out", "fifo.gif"], "not a regular file"),
            (["--out", "to_fifo.gif"], "not a regular file"),
            (["--out", "x.gif", "--save-trajectories", "fifo.csv"], "not a regular file"),
            (["--out", "to_missing_folder.gif"], "does not exist"),
            (["--out", "loop_a.gif"], "symlink loop"),
            (["--out", "nonexistent/../x.gif"], "does not exist"),
            (["--out", "to_t.gif", "--save-trajectories", "t.csv"], "--out 'to_t.gif' writes")]


def test_special_files_links_and_late_failures_are_refused_before_the_work(tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args, words in shapes(tmp_path):
        before = listing(tmp_path)
        err = refused([*TINY, *args], capsys)
        assert words in err, (args, err)
        assert listing(tmp_path) == before, args


def test_a_link_to_a_device_is_refused_by_the_plan_without_touching_it(tmp_path):
    os.symlink(os.devnull, tmp_path / "null.gif")
    with pytest.raises(PlanError, match="not a regular file"):
        plan_of(["--out", str(tmp_path / "null.gif")])
    os.symlink(os.devnull, tmp_path / "null.csv")
    with pytest.raises(PlanError, match="not a regular file"):
        plan_of(["--save-trajectories", str(tmp_path / "null.csv")])


def test_a_deleted_current_folder_is_refused_in_one_line():
    def in_a_deleted_folder():      # as a shell whose folder was removed runs the script
        folder = tempfile.mkdtemp()
        os.chdir(folder)
        os.rmdir(folder)

    done = subprocess.run([sys.executable, SCRIPT, "--out", "x.gif"], capture_output=True,
                          text=True, preexec_fn=in_a_deleted_folder)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and "no longer exists" in done.stderr


def test_a_nul_character_in_an_output_name_is_refused():
    for name in ("out", "save_trajectories"):
        with pytest.raises(PlanError, match="NUL"):
            make_plan({**sgd_viz.settings(), "quiet": True,
                       name: "a\x00." + ("gif" if name == "out" else "csv")})


# --- 5, 15: the Python API forces as the command line does -------------------------------------

def test_the_api_keeps_a_read_only_file_unless_forced_and_says_how(tmp_path):
    old = tmp_path / "old.gif"
    old.write_bytes(b"precious")
    old.chmod(stat.S_IRUSR)
    animation = sgd_viz.animate(balls=3, steps=2, frames=2, size=(64, 64))
    with pytest.raises(PlanError, match=r"force=True"):
        animation.save(old)
    assert old.read_bytes() == b"precious"
    animation.save(old, force=True)
    assert old.read_bytes()[:6] == b"GIF89a"
    with pytest.raises(PlanError, match=r"force=True"):
        sgd_viz.animate(balls=1_000_000, steps=100_000)
    assert sgd_viz.animate(balls=3, steps=2, force=True).plan.balls == 3


@pytest.mark.parametrize("keywords", [
    dict(batch_size=5), dict(labels="a,b,c"), dict(balls=1_000_000, steps=100_000),
    dict(surface="sqrt(x)", bounds="-1,1,-1,1")])
def test_the_apis_messages_name_keywords_not_flags(keywords):
    with pytest.raises(PlanError) as raised:
        sgd_viz.animate(**keywords)
    assert "--" not in str(raised.value), raised.value


def test_saving_over_a_read_only_file_names_the_call_and_its_keyword(tmp_path):
    old = tmp_path / "old.gif"
    old.write_bytes(b"precious")
    old.chmod(stat.S_IRUSR)
    with pytest.raises(PlanError, match=r"^save\('.*old.gif'\): .* add force=True") as raised:
        sgd_viz.animate(balls=3, steps=2, frames=2, size=(64, 64)).save(old)
    assert "--" not in str(raised.value)


# --- 20, 21: names in any case, suggestions, short echoes, numpy values ------------------------

@pytest.mark.parametrize("args, field, value", [
    (["--layout", "3D"], "layout", "3d"), (["--init", "ZEROS"], "init", ["zeros"]),
    (["--theme", "Dark"], "theme", "dark"), (["--color", "BASIN"], "color", "basin")])
def test_names_are_read_in_any_case(args, field, value):
    assert getattr(plan_of(args), field) == value


def test_auto_and_presets_are_read_in_any_case():
    assert plan_of(["--lr", "AUTO", "--optimizer", "adam"]).groups[0].rate_reason.startswith("auto")
    assert plan_of(["--preset", "SADDLE"]).out == "saddle.gif"
    with pytest.raises(PlanError, match="did you mean saddle"):
        sgd_viz.animate(preset="saddel")


def test_a_dotfile_name_is_told_to_need_a_name(capsys):
    err = refused(["--out", ".gif"], capsys)
    assert "needs a name before .gif" in err and "must end in" not in err


def test_a_long_value_is_echoed_short(capsys):
    long = "a" * 1000
    for args in (["--out", long], ["--layout", long], ["--" + long], ["--lr", long]):
        err = refused(args, capsys)
        assert len(err) < 500 and ("1000 characters" in err or "1002 characters" in err), err


def test_numpy_values_are_read_as_python_values():
    animation = sgd_viz.animate(lr=np.array([0.1, 0.2]), anneal=np.True_, balls=np.int64(3),
                                steps=2, noise=np.float32(0.5))
    assert list(animation.trajectories) == ["sgd lr=0.1", "sgd lr=0.2"]
    assert animation.plan.anneal is True and animation.plan.balls == 3


# --- 9, 10: the settings block, through a copy of the script -----------------------------------

def test_a_percent_sign_in_a_default_is_shown_by_help(tmp_path, capsys):
    script = script_with(tmp_path, OUT="'50%.gif'")
    assert script.main(["--help"]) == 0
    assert "50%.gif" in capsys.readouterr().out


def test_a_nul_character_in_the_settings_block_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    script = script_with(tmp_path, OUT=repr("a\x00.gif"))
    assert script.main(TINY) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NUL" in err


# --- 17, 18: formulas -------------------------------------------------------------------------

def test_a_flat_sum_within_the_node_limit_is_a_formula():
    surface = plan_of(["--surface", "+".join(["x"] * 101)]).surface
    assert surface.f(np.array([1.0, 0.0])) == 101.0
    surface = plan_of(["--surface=" + "-" * 499 + "x"]).surface       # 500 nodes, 500 deep
    assert surface.grad(np.array([1.0, 0.0])).tolist() == [-1.0, 0.0]


@pytest.mark.parametrize("text, hint", [("\uff58^2 + y^2", "did you mean x?"),
                                        ("\U0001d465^2 + y^2", "did you mean x?"),
                                        ("\u03c0*x^2", "did you mean pi?")])
def test_letters_that_the_title_cannot_draw_are_refused_with_the_plain_one(text, hint, capsys):
    err = refused(["--surface", text], capsys)
    assert hint in err and "column 1" in err


# --- 2, 7, 12, 13: divergence kept, rates that exist and keep the balls -----------------------

def run_main(args, capsys):
    """main()'s status, result lines and notes for `args` (exit 0 expected)."""
    assert sgd_viz.main([*TINY, *args]) == 0
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err.splitlines()


def test_balls_that_diverge_at_the_first_step_are_shown_diverged(tmp_path, capsys):
    out = tmp_path / "x.gif"
    printed, notes = run_main(["--optimizer", "rmsprop:alpha=2", "--lr", "0.01", "--balls", "20",
                               "--steps", "10", "--out", str(out)], capsys)
    assert printed[0].endswith("20 diverged"), printed
    assert any("20 of 20 balls" in note for note in notes), notes
    with Image.open(out) as gif:
        assert gif.n_frames >= 2


def test_rmsprop_with_alpha_above_1_runs_as_torch_does(tmp_path, capsys):
    # torch 2.13.0: RMSprop(alpha=1.5) is accepted and its first step on x^2 + y^2 from
    # (1, 2) is [nan, nan] (alpha < 0 raises "Invalid alpha value")
    from optimizers import OPTIMIZERS
    rmsprop = OPTIMIZERS["rmsprop"](lr=0.01, alpha=1.5)
    x = np.array([[1.0, 2.0]])
    with np.errstate(invalid="ignore"):
        stepped, _ = rmsprop.update(x, 2 * x, rmsprop.init(x))
    assert np.isnan(stepped).all()
    printed, notes = run_main(["--optimizer", "rmsprop:alpha=1.5", "--out",
                               str(tmp_path / "x.gif")], capsys)
    assert printed[0].endswith("4 diverged") and "trial run" in printed[1]
    assert sgd_viz.animate(optimizer="rmsprop:alpha=1.5", balls=3, steps=2).plan.balls == 3


def test_the_automatic_rate_exists_where_the_curvature_underflows(tmp_path, capsys):
    printed, _ = run_main(["--surface", "exp(-x^2-y^2)*1e-310", "--out",
                           str(tmp_path / "x.gif")], capsys)
    assert printed[0].endswith("0 diverged") and "flat surface" in printed[1]


def test_the_automatic_rate_and_the_advice_keep_mini_batched_balls(tmp_path, capsys):
    flags = ["--surface", "linear_regression", "--batch-size", "1", "--optimizer", "momentum",
             "--balls", "20", "--steps", "60", "--out", str(tmp_path / "x.gif")]
    printed, notes = run_main(flags, capsys)
    assert printed[0].endswith(" 0 diverged"), printed
    printed, notes = run_main([*flags, "--lr", "1.32"], capsys)
    assert printed[0].endswith("20 diverged")
    advice = notes[0].rpartition("--lr ")[2].rstrip(")")
    printed, notes = run_main([*flags, "--lr", advice], capsys)
    assert printed[0].endswith(" 0 diverged") and notes == []


# --- 6, 14: the pair replaced together; a result line that cannot be printed ---------------------

def test_a_signal_between_the_two_renames_waits_until_both_are_done(tmp_path, monkeypatch,
                                                                     capsys):
    out, table = tmp_path / "x.gif", tmp_path / "x.csv"
    out.write_bytes(b"old picture")
    table.write_bytes(b"old trajectories")
    real_replace = os.replace

    def replace_then_terminate(source, target):      # SIGTERM right after the first rename
        real_replace(source, target)
        if os.fspath(target).endswith(".gif"):
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(os, "replace", replace_then_terminate)
    status = sgd_viz.main([*TINY, "--out", str(out), "--save-trajectories", str(table)])
    assert status == 128 + signal.SIGTERM
    assert out.read_bytes()[:6] == b"GIF89a" and table.read_bytes().startswith(b"group,step")
    assert "was written" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["x.csv", "x.gif"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_closed_or_full_standard_output_is_not_a_failure_to_write(tmp_path):
    out = tmp_path / "old.gif"
    command = [sys.executable, SCRIPT, *TINY, "--out", str(out)]
    with open("/dev/full", "w") as full:
        done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0 and "was written" in done.stderr and "Trace" not in done.stderr
    assert out.read_bytes()[:6] == b"GIF89a"
    out.unlink()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child.stdout.close()                            # the reader has gone, as with `| true`
    error = child.stderr.read()
    child.stderr.close()
    assert child.wait() == 0 and "Trace" not in error and "cannot write" not in error, error
    assert out.read_bytes()[:6] == b"GIF89a"


@pytest.mark.parametrize("flag", ["--list", "--help"])
def test_the_list_and_the_help_stop_quietly_when_their_reader_leaves(flag):
    child = subprocess.Popen([sys.executable, SCRIPT, flag], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    child.stdout.close()                            # the reader has gone, as with `| head -1`
    error = child.stderr.read()
    child.stderr.close()
    assert child.wait() == 0 and error == ""


def installed_command(folder):
    """The command of pyproject.toml's [project.scripts] as pip's wrapper calls it: its
    function imported, then called with sys.argv[0] the command's path."""
    text = pathlib.Path(SCRIPT).with_name("pyproject.toml").read_text(encoding="utf-8")
    name, module, function = re.search(r'^([\w-]+) = "([\w.]+):(\w+)"', text.partition(
        "[project.scripts]")[2], flags=re.M).groups()
    path = folder / name
    path.write_text(f"import re, sys\nfrom {module} import {function}\n"
                    "sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                    f"sys.exit({function}())\n", encoding="utf-8")
    return name, path


def test_the_installed_command_names_itself_and_stops_quietly_on_ctrl_c_while_loading(
        tmp_path):
    name, command = installed_command(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.path.dirname(SCRIPT)}
    done = subprocess.run([sys.executable, command, "--balls", "0"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith(f"{name}: error: argument --balls")
    # a library that is loaded before the work, on its import, is interrupted by Ctrl-C
    env["PYTHONPATH"] = os.pathsep.join([ctrl_c_on_import(tmp_path / "slow"), env["PYTHONPATH"]])
    done = subprocess.run([sys.executable, command, *TINY, "--out", str(tmp_path / "x.gif")],
                          env=env, capture_output=True, text=True)
    assert done.returncode == -signal.SIGINT and done.stderr == ""
    assert not (tmp_path / "x.gif").exists()


# --- 11: the estimate counts the heroes -----------------------------------------------------------

def test_the_estimate_counts_the_heroes():
    # issue 24: 149 s measured, 2.1 s estimated before the heroes were counted (the case is in
    # benchmarks/estimate.py's RECORDED)
    flags = ("--steps 100000 --balls 10 --size 320x240 --optimizer sgd,adam,momentum,rmsprop "
             "--noise 0.5").split()
    none, one, ten = (estimate(plan_of([*flags, *hero], force=True))[0]
                      for hero in ([], ["--hero", "1"], ["--hero", "10"]))
    assert none < one < ten and ten > 2 * none
