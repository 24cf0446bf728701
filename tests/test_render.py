"""The render pipeline as a user runs it: parameter errors, HTML/Markdown/figures/index, failing notebooks, sweeps
over base seeds, up-to-date skips, staged installs, kernel start-up retries and a render killed half-way.

Most tests render tiny notebooks (a parameters cell and one line of work) from a temporary folder (`--notebooks`),
so they exercise the renderer, not the sections; one renders section 01 in the smoke profile end to end."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from conftest import REPO
from nbformat.v4 import new_code_cell, new_notebook

from lab_utils import render
from lab_utils.render import manifest, outputs, plan
from lab_utils.report import index


@pytest.mark.parametrize(
    "args, message",
    [
        (["--profile", "huge"], "profile='huge' is not allowed"),
        (["-p", "profile", "huge"], "profile='huge' is not allowed"),
        (["--seed", "x"], "seed='x' is not allowed"),
        (["--seeds", "3-1"], "the range 3-1 is empty"),
        (["--seeds", "0,a"], "--seeds '0,a' is not allowed"),
        (["--seed", "1", "--seeds", "0,1"], "not both"),
        (["--jobs", "0"], "--jobs 0 is not allowed"),
        (["--only", "99"], "no notebook numbered 99"),
        (["--only", "01", "-p", "n_seeds", "0"], "n_seeds=0 is not allowed"),
        (["--only", "01", "-p", "warp", "9"], "-p warp: no selected notebook has a parameter of that name"),
    ],
)
def test_bad_parameters_fail_fast(args, message, tmp_path):
    t0 = time.time()
    p = subprocess.run(
        [sys.executable, "-m", "lab_utils.render", "--out", str(tmp_path), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert p.returncode == 2
    assert message in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert time.time() - t0 < 120
    assert not list(tmp_path.iterdir()), "nothing may run or be written"


def test_ray_backend_without_ray_says_how_to_install(tmp_path, monkeypatch, capsys):
    from lab_utils.render import ray_backend

    monkeypatch.setattr(ray_backend, "available", lambda: False)
    rc = render.main(["--backend", "ray", "--profile", "smoke", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "pip install -r requirements-ray.txt" in err[0]
    assert not (tmp_path / "out").exists()


# ---- tiny notebooks ------------------------------------------------------------------------------------------

PARAMS = 'profile = "quick"\ndevice = "auto"\nseed = 0\nlabel = "a"'

WRITE_METRICS = textwrap.dedent("""\
    import json, os, pathlib, random
    out = pathlib.Path(os.environ["LAB_REPORTS"]) / NAME
    out.mkdir(parents=True, exist_ok=True)
    (out / f"table_{label}.csv").write_text("x," + label)
    (pathlib.Path(os.environ["LAB_REPORTS"]) / "_static").mkdir(exist_ok=True)
    (pathlib.Path(os.environ["LAB_REPORTS"]) / "_static" / "shared.js").write_text("//")
    random.seed(seed)
    value = random.random()
    (out / "metrics.json").write_text(json.dumps({
        "section": NAME, "profile": profile, "seed": seed, "seeds": [seed], "device": device,
        "headline": {"value": value, "seed x2": 2 * seed},
        "claims": [{"id": "c.one", "report": "000", "verdict": "holds" if seed % 2 else "contradicted"}]}))
    print("threads", os.environ["LAB_THREADS"])
    """)


def tiny_notebook(path: Path, body: str) -> Path:
    nb = new_notebook(cells=[new_code_cell(PARAMS), new_code_cell(body.replace("NAME", repr(path.stem)))])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def nbs(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    return folder


@pytest.fixture
def fixed_source(monkeypatch):
    """Other engineers edit lab_utils while tests run: pin the code digests so keys only change on purpose."""
    monkeypatch.setattr(plan, "source_digest", lambda package=None: "fixed")
    monkeypatch.setattr(plan, "notebook_code_digest", lambda notebook: "fixed")
    monkeypatch.setattr(plan, "converter_digest", lambda: "converter-1")


def rendered(out: Path, *args: str) -> tuple[int, str, str]:
    """Run the renderer in-process on the tiny notebooks; returns (exit code, stdout, stderr)."""
    import contextlib
    import io

    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        rc = render.main(["--profile", "smoke", "--device", "cpu", "--out", str(out), *args])
    return rc, so.getvalue(), se.getvalue()


def test_failing_notebook_is_reported_and_others_go_on(tmp_path, nbs, fixed_source):
    tiny_notebook(nbs / "01_bad.ipynb", 'raise RuntimeError("boom")')
    tiny_notebook(nbs / "02_good.ipynb", WRITE_METRICS)
    out = tmp_path / "out"
    rc, so, err = rendered(out, "--notebooks", str(nbs))
    assert rc == 1
    assert "FAILED 01_bad seed 0: RuntimeError: boom" in err and "02_good" not in err
    assert "summary: 2 executed, 0 converted, 0 up to date, 1 failed" in so
    assert "boom" in (out / "01_bad.html").read_text()
    assert (out / "02_good.html").exists() and (out / "02_good" / "table_a.csv").exists()
    assert (out / "_static" / "shared.js").is_file(), "files for all sections are installed too"
    assert json.loads((out / "02_good" / "render.json").read_text())["status"] == "ok"
    idx = (out / "index.md").read_text()
    assert re.search(r"01_bad.*\| failed \|.*boom", idx) and re.search(r"02_good.*\| ok \|", idx)
    # a failed execution is tried again; the good one is up to date
    rc, so, _ = rendered(out, "--notebooks", str(nbs))
    assert rc == 1 and "summary: 1 executed, 0 converted, 1 up to date, 1 failed" in so and "[failed before]" in so


def test_sweep_parallel_index_up_to_date_and_force(tmp_path, nbs, fixed_source):
    tiny_notebook(nbs / "01_one.ipynb", WRITE_METRICS)
    tiny_notebook(nbs / "02_two.ipynb", WRITE_METRICS)
    out = tmp_path / "out"
    rc, so, err = rendered(out, "--notebooks", str(nbs), "--seeds", "0-2", "--jobs", "2")
    assert rc == 0, err
    assert len(re.findall(r"\] start ", so)) == 6 and len(re.findall(r"\] ok ", so)) == 6
    for seed in (0, 1, 2):
        for name in ("01_one", "02_two"):
            m = json.loads((out / "seeds" / str(seed) / name / "metrics.json").read_text())
            assert m["seed"] == seed
            assert (out / "seeds" / str(seed) / f"{name}.html").is_file()
            man = json.loads((out / "seeds" / str(seed) / name / "render.json").read_text())
            assert man["threads"] == plan.threads_per_job(2) and man["status"] == "ok"
        assert (out / "seeds" / str(seed) / "index.md").is_file()
    assert not (out / "index.md").exists(), "a sweep does not touch the single-seed index"
    idx = (out / "seeds" / "index.md").read_text()
    # seed x2 over seeds 0, 1, 2: mean 2, sample sd 2
    assert "seed x2: 2 ± 2 (n = 3)" in idx
    assert "| c.one | 000 | 01_one | 1 / 2 / 0 / 0 | 3 |" in idx
    assert "[2](2/02_two.md)" in idx
    summaries = index.sweep_summaries(
        {s: out / "seeds" / str(s) for s in (0, 1, 2)},
        {s: manifest.rendered(out / "seeds" / str(s), ["01_one", "02_two"]) for s in (0, 1, 2)},
    )
    h = {x.label: x for x in summaries[0].headline}["seed x2"]
    assert (h.mean, h.sd, h.n) == (2.0, 2.0, 3) and summaries[0].ok == (0, 1, 2)

    t0 = time.time()
    rc, so, _ = rendered(out, "--notebooks", str(nbs), "--seeds", "0-2", "--jobs", "2")
    assert rc == 0 and "summary: 0 executed, 0 converted, 6 up to date, 0 failed" in so and " start " not in so
    assert time.time() - t0 < 60

    tiny_notebook(nbs / "02_two.ipynb", WRITE_METRICS + "\nprint('changed')")
    rc, so, _ = rendered(out, "--notebooks", str(nbs), "--seeds", "0-2", "--jobs", "2")
    assert "summary: 3 executed, 0 converted, 3 up to date, 0 failed" in so and "[changed: notebook]" in so
    rc, so, _ = rendered(out, "--notebooks", str(nbs), "--seeds", "1", "--only", "01", "--force")
    assert "summary: 1 executed, 0 converted, 0 up to date" in so and "[--force]" in so


def test_stale_figures_never_survive_and_knobs_change_the_key(tmp_path, nbs, fixed_source):
    tiny_notebook(nbs / "01_one.ipynb", WRITE_METRICS)
    out = tmp_path / "out"
    assert rendered(out, "--notebooks", str(nbs))[0] == 0
    assert (out / "01_one" / "table_a.csv").exists()
    # a new parameter value is a new key; the old figure must not survive the new execution
    rc, so, _ = rendered(out, "--notebooks", str(nbs), "-p", "label", "b")
    assert rc == 0 and "summary: 1 executed" in so
    assert (out / "01_one" / "table_b.csv").exists() and not (out / "01_one" / "table_a.csv").exists()


def test_converter_change_converts_again_without_executing(tmp_path, nbs, fixed_source, monkeypatch):
    tiny_notebook(nbs / "01_one.ipynb", WRITE_METRICS)
    out = tmp_path / "out"
    assert rendered(out, "--notebooks", str(nbs))[0] == 0
    before = json.loads((out / "01_one" / "render.json").read_text())
    metrics = (out / "01_one" / "metrics.json").read_bytes()
    monkeypatch.setattr(plan, "converter_digest", lambda: "converter-2")
    rc, so, err = rendered(out, "--notebooks", str(nbs))
    assert rc == 0, err
    assert "summary: 0 executed, 1 converted, 0 up to date, 0 failed" in so and " start " not in so
    assert "[changed: converter]" in so
    after = json.loads((out / "01_one" / "render.json").read_text())
    assert after["converter"] == "converter-2" and after["key"] == before["key"]
    assert after["seconds"] == before["seconds"] and after["finished"] == before["finished"]  # the same execution
    assert (out / "01_one" / "metrics.json").read_bytes() == metrics and (out / "01_one" / "table_a.csv").exists()
    assert manifest.rendered_one(out, "01_one").status == "ok"  # every listed file there with its checksum
    rc, so, _ = rendered(out, "--notebooks", str(nbs))
    assert "summary: 0 executed, 0 converted, 1 up to date" in so
    # without the stored executed notebook (a fresh clone) there is nothing to convert: it executes
    (out / ".executed" / "01_one.ipynb").unlink()
    monkeypatch.setattr(plan, "converter_digest", lambda: "converter-3")
    rc, so, _ = rendered(out, "--notebooks", str(nbs))
    assert "summary: 1 executed" in so and "[changed: converter, no executed notebook stored]" in so


def test_code_change_executes_and_its_reason_is_named(tmp_path, nbs, fixed_source, monkeypatch):
    tiny_notebook(nbs / "01_one.ipynb", WRITE_METRICS)
    out = tmp_path / "out"
    assert rendered(out, "--notebooks", str(nbs))[0] == 0
    monkeypatch.setattr(plan, "notebook_code_digest", lambda notebook: "edited")
    rc, so, _ = rendered(out, "--notebooks", str(nbs))
    assert rc == 0 and "summary: 1 executed" in so and "[changed: code]" in so


def test_notices_go_to_the_log_not_the_report(tmp_path, nbs, fixed_source):
    tiny_notebook(
        nbs / "01_one.ipynb",
        WRITE_METRICS
        + textwrap.dedent("""\
        from lab_utils.core import notice
        notice.log("cache entry " + "abc.pt is unreadable (EOFError); recomputing it")
        """),
    )
    out = tmp_path / "out"
    rc, so, err = rendered(out, "--notebooks", str(nbs))
    assert rc == 0, err
    assert "cache entry abc.pt" in (out / ".executed" / "01_one.log").read_text()
    assert "cache entry abc" not in (out / "01_one.html").read_text() + (out / "01_one.md").read_text()
    assert "1 notice in" in so


def test_interrupted_install_leaves_old_outputs_or_incomplete_never_a_mix(tmp_path, nbs, fixed_source, monkeypatch):
    tiny_notebook(nbs / "01_one.ipynb", WRITE_METRICS)
    out = tmp_path / "out"
    assert rendered(out, "--notebooks", str(nbs))[0] == 0
    old_html = (out / "01_one.html").read_bytes()
    real_replace = outputs._replace

    def dying_replace(src, dst):  # the render is killed after the new folder is in, before the HTML
        if str(dst).endswith(".html"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(outputs, "_replace", dying_replace)
    rc, so, err = rendered(out, "--notebooks", str(nbs), "-p", "label", "b")
    assert rc == 130 and "interrupted" in err
    monkeypatch.setattr(outputs, "_replace", real_replace)
    assert (out / "01_one.html").read_bytes() == old_html  # the old HTML, but ...
    assert manifest.rendered_one(out, "01_one").status == "incomplete"  # ... not passed off as complete
    assert "| incomplete |" in (out / "index.md").read_text()
    rc, so, _ = rendered(out, "--notebooks", str(nbs), "-p", "label", "b")
    assert rc == 0 and "[incomplete]" in so and manifest.rendered_one(out, "01_one").status == "ok"
    assert (out / "01_one.html").read_bytes() != old_html


FLAKY_KERNEL = textwrap.dedent("""\
    import os, sys
    counter = os.path.join(os.environ["FLAKY_DIR"], "starts")
    with open(counter, "a") as f:
        f.write("x")
    if os.path.getsize(counter) % 2 == 1:   # every other start dies before answering, like a port clash
        sys.exit(1)
    from ipykernel import kernelapp
    kernelapp.launch_new_instance(argv=sys.argv[1:])
    """)


def test_kernel_start_failures_are_retried_in_parallel(tmp_path, nbs, fixed_source, monkeypatch):
    """A kernel that dies at start-up (as with a ZMQ port clash) is started again; no execution is lost."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (tmp_path / "flaky.py").write_text(FLAKY_KERNEL)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, str(tmp_path / "flaky.py"), "-f", "{connection_file}"],
                "display_name": "flaky",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("FLAKY_DIR", str(tmp_path))
    monkeypatch.setenv("LAB_KERNEL_START_TIMEOUT", "60")
    for i in (1, 2, 3):
        tiny_notebook(nbs / f"0{i}_n.ipynb", WRITE_METRICS)
    out = tmp_path / "out"
    rc, so, err = rendered(out, "--notebooks", str(nbs), "--jobs", "2")
    assert rc == 0, err
    assert len((tmp_path / "starts").read_text()) >= 4, "the flaky kernel was used and failed at least once"
    attempts = [json.loads((out / f"0{i}_n" / "render.json").read_text())["attempts"] for i in (1, 2, 3)]
    assert all(a >= 1 for a in attempts) and max(attempts) >= 2
    assert "kernel starts" in so


SLOW_METRICS = WRITE_METRICS + "\nimport time\ntime.sleep(3)\n"


def test_render_killed_half_way_resumes_to_the_same_metrics(tmp_path, nbs):
    """Kill the whole render (driver, workers, kernels) after its first execution; the second run finishes the
    rest, and the metrics equal those of an uninterrupted render."""
    for i in (1, 2):
        tiny_notebook(nbs / f"0{i}_n.ipynb", SLOW_METRICS)
    cmd = [
        sys.executable,
        "-m",
        "lab_utils.render",
        "--profile",
        "smoke",
        "--device",
        "cpu",
        "--notebooks",
        str(nbs),
        "--seeds",
        "0,1",
    ]
    whole = tmp_path / "whole"
    assert subprocess.run(cmd + ["--out", str(whole)], cwd=REPO, capture_output=True).returncode == 0

    killed = tmp_path / "killed"
    p = subprocess.Popen(
        cmd + ["--out", str(killed)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    for line in p.stdout:
        if "] ok " in line:
            break
    time.sleep(1.0)  # the second execution is running now
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    done = [m for m in (killed / "seeds").rglob("metrics.json")]
    assert 1 <= len(done) < 4, "killed half-way"
    time.sleep(2.0)  # let the orphaned worker notice and exit
    r = subprocess.run(cmd + ["--out", str(killed)], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert re.search(r"summary: \d executed", r.stdout)
    for seed in (0, 1):
        for i in (1, 2):
            a = json.loads((whole / "seeds" / str(seed) / f"0{i}_n" / "metrics.json").read_text())
            b = json.loads((killed / "seeds" / str(seed) / f"0{i}_n" / "metrics.json").read_text())
            assert a == b
    assert not list((killed / "seeds").rglob("staging/*")), "leftover staging folders were cleared"


def test_sweep_summary_statistics_and_overlap(tmp_path):
    """The index's data side on hand-made folders: mean ± sample sd, n, claim tallies, failures, overlaps."""

    def fake(root: Path, name: str, status: str, metrics: dict | None):
        (root / name).mkdir(parents=True)
        if metrics is not None:
            (root / name / "metrics.json").write_text(json.dumps(metrics))
        (root / name / "render.json").write_text(json.dumps({"status": status, "seconds": 10.0, "error": "E"}))

    roots = {s: tmp_path / str(s) for s in (0, 1, 2, 3)}
    for s in (0, 1, 2):
        fake(
            roots[s],
            "01_x",
            "ok",
            {
                "seed": s,
                "seeds": [s, s + 1],
                "profile": "smoke",
                "device": "cpu",
                "headline": {"acc": [0.5, 0.7, 0.9][s], "tag": "big" if s else "small", "nan": None},
                "claims": [{"id": "k", "report": "001", "verdict": ["holds", "holds", "undecided"][s]}],
            },
        )
    fake(roots[3], "01_x", "failed", None)
    (s,) = index.sweep_summaries(roots, {seed: manifest.rendered(r, ["01_x"]) for seed, r in roots.items()})
    assert s.ok == (0, 1, 2) and s.failed == ((3, "E"),) and s.missing == ()
    acc, tag, nan = s.headline
    assert math.isclose(acc.mean, 0.7) and math.isclose(acc.sd, 0.2) and acc.n == 3
    assert tag.n == 0 and tag.text == "small (1), big (2)" and nan.n == 0
    (t,) = s.claims
    assert (t.id, t.holds, t.contradicted, t.undecided, t.n) == ("k", 2, 0, 1, 3)
    assert s.overlapping_seeds
    md, _ = index.write_sweep_index(
        tmp_path, roots, {seed: manifest.rendered(r, ["01_x"]) for seed, r in roots.items()}
    )
    text = md.read_text()
    assert "acc: 0.7 ± 0.2 (n = 3)" in text and "not independent" in text
    assert "3/4 ok; failed: 3" in text


def test_render_01_smoke_end_to_end(tmp_path):
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab_utils.render",
            "--profile",
            "smoke",
            "--device",
            "cpu",
            "--only",
            "01",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "LAB_CACHE": str(tmp_path / "cache")},
    )
    assert p.returncode == 0, p.stderr[-2000:]
    name = "01_function_fitting"
    html = (tmp_path / f"{name}.html").read_text()
    assert "<img" in html and "Function fitting" in html
    md = (tmp_path / f"{name}.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert links and all((tmp_path / link).is_file() for link in links)
    metrics = json.loads((tmp_path / name / "metrics.json").read_text())
    assert metrics["profile"] == "smoke"
    assert (tmp_path / name / "fits.png").is_file()
    idx = (tmp_path / "index.md").read_text()
    assert f"[{name}]({name}.md) | ok |" in idx and "smoke / 0 / cpu" in idx
    assert (tmp_path / "index.html").read_text().count("<tr>") >= 2
    assert (tmp_path / ".executed" / f"{name}.ipynb").is_file()


def test_tuple_knobs_reach_papermill_as_lists():
    """papermill writes a tuple into the notebook as its string: -p values go as (nested) lists."""
    from lab_utils.render.cli import _literal

    assert _literal("(8, 16)") == [8, 16] and _literal("[(1, 2), (3, 4)]") == [[1, 2], [3, 4]]
    assert _literal("0.5") == 0.5 and _literal("cosine") == "cosine" and _literal("None") is None


def test_fingerprint_compares_equal_to_its_stored_copy(tmp_path):
    """The manifest stores the fingerprint as JSON: a profile's tuples must not read as a change of settings."""
    nb = REPO / "notebooks" / "01_function_fitting.ipynb"
    (ex,) = plan.plan([nb], [0], tmp_path, sweep=False, profile="quick", device="cpu", knobs={})
    stored = json.loads(json.dumps(ex.fingerprint, default=str))
    assert stored == ex.fingerprint and any(isinstance(v, list) for v in ex.fingerprint["settings"].values())
