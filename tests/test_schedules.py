"""Tests for schedules.py: rates against torch.optim.lr_scheduler's, recorded in
tests/data/torch_schedules.json by tests/data/record_torch_schedules.py."""
import json
import os

import numpy as np
import pytest

from sgd_viz_engine.schedules import SCHEDULES, schedule, spec

with open(os.path.join(os.path.dirname(__file__), "data", "torch_schedules.json")) as _file:
    TORCH = json.load(_file)


@pytest.mark.parametrize("case", TORCH["rates"], ids=lambda case: case["schedule"])
def test_rates_equal_torchs(case):
    made = schedule(case["schedule"], case["given"], case["lr"], case["steps"])
    np.testing.assert_array_max_ulp(made.rates, np.array(case["rates"]), maxulp=1)
    if case["momenta"] is None:
        assert made.momenta is None
    else:
        np.testing.assert_array_max_ulp(made.momenta, np.array(case["momenta"]), maxulp=1)


def test_torch_cases_cover_every_schedule_of_torch_that_ships():
    # a schedule added later is compared once its cases are recorded (see the README's recipe)
    shipped = {"step", "exponential", "cosine", "warm-restarts", "warmup", "onecycle"}
    assert {case["schedule"] for case in TORCH["rates"]} >= shipped
    assert shipped <= {name for name, (torch_name, *_) in SCHEDULES.items() if torch_name}


@pytest.mark.parametrize("name", SCHEDULES)
def test_defaults_give_a_rate_for_every_step_that_starts_at_the_groups(name):
    made = schedule(name, {}, 0.2, 48)
    assert made.rates.shape == (48,) and np.all(made.rates >= 0)
    if name not in ("warmup", "onecycle"):      # those two start low and climb
        assert made.rates[0] == 0.2
    if name == "constant":
        assert np.all(made.rates == 0.2)
    else:
        assert made.rates[-1] < made.rates.max() or name == "warmup"


@pytest.mark.parametrize("text, words", [
    ("cosin", ["cosine"]), ("cosine:Tmax=3", ["T_max"]), ("step:step_size=0", ["step_size"]),
    ("warmup:start_factor=2", ["start_factor", "(0, 1]"]), ("onecycle:total_steps=5", ["5"]),
    ("onecycle:anneal_strategy=sin", ["cos or linear"]), ("cosine:eta_min", ["KEY=VALUE"]),
])
def test_a_bad_schedule_says_what_is_allowed(text, words):
    with pytest.raises(ValueError) as error:
        schedule(*spec(text), 0.1, 20)
    assert all(word in str(error.value) for word in words), str(error.value)
