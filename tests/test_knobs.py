"""Every knob the render accepts (each field of the section's profile, `render.plan.knob_names`) reaches the run.

Each notebook's parameters cell, a cell that injects the knob as papermill does, and the notebook's start cell are
executed in a plain namespace (no kernel, no training: the start cell only resolves the settings), then the run's
resolved profile must hold the injected value, and so must the `config` that metrics.json records.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import typing

import pytest
from conftest import NOTEBOOKS
from papermill.translators import PythonTranslator

from lab_utils import sections
from lab_utils.core.profiles import PROFILE_NAMES
from lab_utils.core.session import ParameterError, Run
from lab_utils.render.plan import knob_names
from lab_utils.report.metrics import write_metrics

NAMES = [nb.stem for nb in NOTEBOOKS]


def start_cells(nb) -> tuple[str, str]:
    """The sources of the `parameters` cell and of the cell after it (the one that calls start)."""
    cells = json.loads(nb.read_text())["cells"]
    i = next(i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", []))
    return "".join(cells[i]["source"]), "".join(cells[i + 1]["source"])


def _within(meta: typing.Mapping, value: float) -> bool:
    return meta.get("min", -float("inf")) <= value <= meta.get("max", float("inf"))


def other_value(field: dataclasses.Field, value: typing.Any) -> typing.Any:
    """A valid value of the knob, different from `value`, as -p NAME VALUE would give it (lists, not tuples)."""
    meta = field.metadata
    if isinstance(value, bool):
        return not value
    if "choices" in meta:  # None is no choice: as a knob it means "the profile's value"
        return next((c for c in meta["choices"] if c != value and c is not None), value)
    if isinstance(value, tuple):
        shorter = value[:-1] if value else (1,)
        return json.loads(json.dumps(shorter))  # nested tuples as lists too
    if isinstance(value, int):
        candidates = [value + 1, value - 1]
    elif isinstance(value, float):
        candidates = [value * 0.5, value * 2, value + 0.5, value - 0.5]
    else:
        raise AssertionError(f"{field.name}: no rule to change a {type(value).__name__} knob")
    return next(c for c in candidates if c != value and _within(meta, c))


def as_setting(value: typing.Any) -> typing.Any:
    """The injected value as the resolved profile holds it (lists become tuples)."""
    return tuple(as_setting(v) for v in value) if isinstance(value, list) else value


def execute_start(nb, params: dict[str, typing.Any]) -> Run:
    """Run the parameters cell, papermill's injected cell for `params` and the start cell; return `run`."""
    parameters, start = start_cells(nb)
    namespace: dict[str, typing.Any] = {"__name__": "__main__"}
    for source in (parameters, PythonTranslator.codify(params), start):
        exec(compile(source, nb.name, "exec"), namespace)
    return namespace["run"]


@pytest.fixture(autouse=True)
def reports(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_REPORTS", str(tmp_path))
    return tmp_path


def test_the_render_accepts_the_profile_fields():
    for nb in NOTEBOOKS:
        base = sections.profiles(nb.stem)["quick"]
        assert knob_names(nb) == {f.name for f in dataclasses.fields(base)}, nb.name


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_no_knob_offers_none_as_a_choice(nb):
    """A knob set to None takes the profile's value (the parameters cell's default), so a choice None could never
    be selected by -p NAME None: it would be accepted and ignored."""
    fields = dataclasses.fields(sections.profiles(nb.stem)["quick"])
    bad = [f.name for f in fields if None in f.metadata.get("choices", ())]
    assert not bad, f"{nb.name}: knobs {bad} list None as a choice; name that setting, e.g. 'constant'"


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_every_accepted_knob_changes_the_resolved_profile(nb, profile):
    base = sections.profiles(nb.stem)[profile]
    fields = {f.name: f for f in dataclasses.fields(base)}
    missed = []
    for name in sorted(knob_names(nb)):
        value = other_value(fields[name], getattr(base, name))
        if value == getattr(base, name):
            missed.append(f"{name} (no value but the profile's {value!r} can be set)")
            continue
        run = execute_start(nb, {"profile": profile, "device": "cpu", "seed": 0, name: value})
        want = dataclasses.replace(base, **{name: as_setting(value)})
        if run.cfg != want or getattr(run.cfg, name) == getattr(base, name):
            missed.append(f"{name}={value!r} (run has {getattr(run.cfg, name)!r})")
    assert not missed, f"{nb.name} --profile {profile}: knobs that did not reach the run: {', '.join(missed)}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_metrics_config_records_every_knob(nb):
    base = sections.profiles(nb.stem)["full"]
    knobs = {f.name: other_value(f, getattr(base, f.name)) for f in dataclasses.fields(base)}
    run = execute_start(nb, {"profile": "full", "device": "cpu", "seed": 1, **knobs})
    assert run.profile == "full" and run.seed == 1 and run.device.type == "cpu"
    config = json.loads(write_metrics(run, {"headline": {}}).read_text())["config"]
    assert config == knobs


def test_start_reads_only_parameters_from_the_namespace():
    """Names that are not parameters (imports, helpers) are ignored; keywords win over the namespace."""
    namespace = {"profile": "smoke", "seed": 2, "n_seeds": 3, "np": object(), "unrelated": [1]}
    run = sections.start("01_function_fitting", namespace, n_seeds=4)
    assert (run.profile, run.seed, run.cfg.n_seeds) == ("smoke", 2, 4)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_unknown_keyword_knob_is_one_parameter_error_line(nb):
    with pytest.raises(ParameterError) as err:
        sections.start(nb.stem, {"profile": "smoke"}, n_tset=64)
    msg = str(err.value)
    assert msg.startswith(f"n_tset=64 is not a parameter of {nb.stem}: use one of ") and "\n" not in msg


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_bad_injected_knob_is_one_parameter_error_line(nb):
    """A knob that the parameters cell does not list is still checked when papermill injects it."""
    parameters, _ = start_cells(nb)
    listed = {t.id for s in ast.parse(parameters).body for t in s.targets}
    name = next(n for n in sorted(knob_names(nb)) if n not in listed)
    with pytest.raises(ParameterError) as err:
        execute_start(nb, {"profile": "smoke", name: "not a value"})
    assert str(err.value).startswith(f"{name}='not a value' is not allowed") and "\n" not in str(err.value)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_no_later_cell_assigns_a_parameter_name(nb):
    """start reads its parameters from the notebook's globals: a later cell that assigned a knob's name would
    change what a re-run of the start cell reads in an interactive session."""
    cells = json.loads(nb.read_text())["cells"]
    _, start = start_cells(nb)
    after = cells[next(i for i, c in enumerate(cells) if "".join(c["source"]) == start) + 1 :]
    read = knob_names(nb) | {"profile", "device", "seed"}
    for c in after:
        if c["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(c["source"]))):
            names = [node.id] if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) else []
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [(a.asname or a.name).split(".")[0] for a in node.names]
            assert not set(names) & read, f"{nb.name}: a later cell assigns {sorted(set(names) & read)}"
