"""Issue 8: kill -9 or SIGTERM at each stage, then a clean re-run gives identical outputs."""

import signal

import pytest

from pipelines.faults import CHECKPOINTS
from tests.faults.conftest import Run, data_bytes, flightdeck, latest, run_args

# What a stage needs redone for the run to reach it: the cache layers it must not find warm.
NEEDS = {"stage": (), "validate": ("extracts",), "kpi": ("extracts", "gate"), "publish": ("extracts", "gate", "kpi")}


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
@pytest.mark.parametrize("stage", CHECKPOINTS)
def test_a_run_stopped_at_any_stage_publishes_nothing_and_the_next_run_gives_the_same_outputs(
    baseline, tmp_path, stage, signum
):
    warehouse, out = baseline.workspace(tmp_path, layers=NEEDS[stage])
    stopped = Run(*run_args(baseline.inboxes["A"], out, warehouse),
                  env={"FLIGHTDECK_PAUSE_AT": stage, "FLIGHTDECK_PAUSE_FILE": str(tmp_path / "never")})  # fmt: skip
    stopped.wait_for(f"paused at {stage}")
    stopped.signal(signum)
    code = stopped.finish()
    if signum == signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:
        assert code == 2, stopped.stderr
        assert "interrupted by SIGTERM; nothing was published" in stopped.stderr
    assert latest(out) is None
    again = flightdeck(*run_args(baseline.inboxes["A"], out, warehouse))
    assert again.process.returncode == 0, again.stderr
    assert data_bytes(latest(out)) == data_bytes(baseline.versions["A"])
    leftovers = [p.name for p in (out / "versions").iterdir() if p.name.startswith(".")]
    assert leftovers == [] and not list(out.glob(".latest-*"))


def test_sigint_during_publish_is_reported_as_such(baseline, tmp_path):
    warehouse, out = baseline.workspace(tmp_path)
    stopped = Run(*run_args(baseline.inboxes["A"], out, warehouse),
                  env={"FLIGHTDECK_PAUSE_AT": "publish", "FLIGHTDECK_PAUSE_FILE": str(tmp_path / "never")})  # fmt: skip
    stopped.wait_for("paused at publish")
    stopped.signal(signal.SIGINT)
    assert stopped.finish() == 2
    assert "interrupted by SIGINT; nothing was published" in stopped.stderr
    assert latest(out) is None and not [p for p in (out / "versions").iterdir()]
