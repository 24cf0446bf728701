"""Every notebook: stored clean, one literal `parameters` cell, validates its parameters, and runs in smoke."""

from __future__ import annotations

import ast
import json
import math

import pytest
from conftest import NOTEBOOKS, execute

NAMES = [nb.stem for nb in NOTEBOOKS]


def cells(nb):
    return json.loads(nb.read_text())["cells"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_name.ipynb"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_stored_without_outputs(nb):
    for c in cells(nb):
        if c["cell_type"] == "code":
            assert not c.get("outputs") and c.get("execution_count") is None, f"{nb.name} has outputs"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_one_literal_parameters_cell(nb):
    cs = cells(nb)
    tagged = [i for i, c in enumerate(cs) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{nb.name}: {len(tagged)} cells tagged 'parameters'"
    src = "".join(cs[tagged[0]]["source"])
    names = {}
    for stmt in ast.parse(src).body:
        assert isinstance(stmt, ast.Assign), f"{nb.name}: parameters cell holds only assignments"
        names[stmt.targets[0].id] = ast.literal_eval(stmt.value)  # raises if not a literal
    assert {"profile", "device", "seed"} <= set(names)
    assert names["profile"] == "quick" and names["device"] == "auto"
    knobs = {k: v for k, v in names.items() if k not in ("profile", "device", "seed")}
    assert all(v is None for v in knobs.values()), f"{nb.name}: knobs default to None (take the profile's value)"
    from nbformat.v4 import new_code_cell
    from papermill.translators import PythonTranslator  # what papermill and `papermill --help-notebook` see

    cell = new_code_cell(src)
    assert [p.name for p in PythonTranslator.inspect(cell)] == list(names), "papermill cannot parse a line"
    following = "".join(cs[tagged[0] + 1]["source"])
    assert "sections import start" in following and "start(" in following, (
        f"{nb.name}: the cell after the parameters must call lab_utils.sections.start"
    )
    assert "globals())" in following, f"{nb.name}: start must read the parameters from the notebook's globals()"
    from lab_utils import sections  # start reads profile, device, seed and the profile's fields, nothing else

    read = {"profile", "device", "seed"} | {f for f in sections.profiles(nb.stem)["quick"].__dataclass_fields__}
    assert set(names) <= read, f"{nb.name}: parameters {sorted(set(names) - read)} are not read by start"


@pytest.mark.parametrize("name", NAMES)
def test_smoke_run_writes_metrics_and_figures(smoke_run, name):
    metrics, section_dir = smoke_run(name)
    assert metrics["section"] == name
    assert metrics["profile"] == "smoke" and metrics["seed"] == 0 and metrics["device"] == "cpu"
    assert 0 < metrics["elapsed_s"] < 600
    assert metrics.get("headline"), "metrics.json needs a headline for the index"
    for v in metrics["headline"].values():
        if isinstance(v, dict):  # a spread over seeds (report.metrics.spread)
            assert set(v) == {"mean", "sd", "n", "unit"} and v["n"] >= 1 and v["mean"] is not None
            v = v["mean"]
        assert v is None or isinstance(v, (int, float, str))
        assert not (isinstance(v, float) and math.isnan(v))
    assert list(section_dir.glob("*.png")), "no figure written"


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"profile": "huge"}, "profile='huge' is not allowed"),
        ({"device": "tpu"}, "device='tpu' is not allowed"),
        ({"seed": -3}, "seed=-3 is not allowed"),
    ],
)
def test_bad_parameter_stops_with_clear_line(tmp_path, bad, message):
    import papermill as pm

    params = {"profile": "smoke", "device": "cpu", "seed": 0, **bad}
    with pytest.raises(pm.PapermillExecutionError) as err:
        execute(NOTEBOOKS[0], tmp_path, tmp_path / "cache", params)
    assert err.value.ename == "ParameterError"
    assert message in err.value.evalue


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_no_model_training_or_probe_code_in_notebooks(nb):
    """Chapters call lab_utils; functions, classes and loops live there, not in the notebook."""
    for c in cells(nb):
        if c["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(c["source"]))):
            assert not isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.While, ast.Lambda)
            ), f"{nb.name}: {type(node).__name__} in a code cell"
