"""03 random labels: prose, claim checks and metrics, computed from a `compute.Results` object only.

Every verdict comes from a rule of `lab_utils.core.stats` applied to per-seed values, and the rule is stated
next to it. Reference numbers are read from the registry (`lab_utils.references.random_labels`).
"""

from __future__ import annotations

from ... import models
from ...core import stats
from ...core.data import CHANCE_ACCURACY, CHANCE_LOSS
from ...references import claim
from ...references.setting import NOT_STATED
from ...report import claims
from ...report.claims import ClaimCheck
from ...report.fmt import count, num, pct
from ...report.metrics import spread
from .compute import (
    OPTIMIZER,
    PERMUTED,
    PERMUTED_TRUE_TEST,
    RANDOM_BOTH,
    SCHEDULER,
    TRUE_AND_PERMUTED,
    FCSizes,
    HighLR,
    Memorization,
    Results,
    SeedRuns,
    cnn_spec,
    epochs_to_fit,
    fc_spec,
    model_text,
    spec_001,
)

ACC_TOL = 0.05  # "at a reported accuracy" / "at chance": within 5 percentage points
NEAR_END = 0.8  # "near the end": the last fifth of the budget (epoch 40 of 50 to the end)


# ---- small helpers ----------------------------------------------------------------------------------------------


def fits(runs: SeedRuns, threshold: float) -> list[int | None]:
    """Per seed: the first evaluated epoch with training accuracy >= threshold (None: never)."""
    return [epochs_to_fit(runs.epoch, accs, threshold) for accs in runs.train_acc]


def _epochs_list(values: list[int | None]) -> str:
    return ", ".join("never" if v is None else str(v) for v in values)


def n_converged(runs: SeedRuns) -> int:
    return sum(c.converged for c in runs.convergence)


def all_runs(res: Results) -> list[tuple[str, SeedRuns]]:
    """(experiment, runs) for every setting of the section."""
    m, f = res.memorization, res.fc
    return (
        [("000", m.true), ("000", m.permuted), ("001", res.high_lr.permuted)]
        + [("002", r) for r in f.in_range]
        + [("002 beyond", r) for r in f.beyond]
    )


# ---- the scale ---------------------------------------------------------------------------------------------------


def _stated(setting: dict, key: str, fmt=str) -> str:
    v = setting.get(key, NOT_STATED)
    return "not stated" if v == NOT_STATED else fmt(v)


def _recipe(setting: dict) -> str:
    """A report's recipe in words, from its registry setting ("not stated" where it leaves a key open)."""
    opt = _stated(setting, "optimizer", lambda v: {"adam": "Adam", "sgd": "SGD", "adamw": "AdamW"}.get(v, v))
    return (
        f"{_stated(setting, 'data')}, {_stated(setting, 'n_train', lambda v: f'{v:,} training images')}; "
        f"{setting['model']}; optimizer {opt}, lr {_stated(setting, 'lr', lambda v: f'{v:g}')}, batch "
        f"{_stated(setting, 'batch_size')}; {setting.get('epochs', 'not stated')} epochs; {setting['labels']}"
    )


def scale_table(cfg) -> str:
    """Markdown: each report's own setting next to this profile's (parameter counts from the specs, no training)."""
    s0, s1, s2 = (
        claim(i).setting
        for i in ("000.random_labels.memorizes", "001.random_labels.memorizes", "002.random_labels.fc_at_chance")
    )
    lo, hi = (p.value for p in s2["n_params_range"])
    n = models.spec_n_params
    sizes = ", ".join(f"{n(fc_spec(w)):,}" for w in sorted(cfg.fc_widths))
    beyond = ", ".join(f"{n(fc_spec(w)):,}" for w in sorted(cfg.fc_widths_beyond))
    rows = [
        "| experiment | the report's setting | this run |",
        "|---|---|---|",
        f"| 000: CNN, true vs permuted labels | {_recipe(s0)} | {cfg.n_train:,} MNIST images; conv "
        f"{list(cfg.cnn_channels)} + hidden {cfg.cnn_hidden} ({n(cnn_spec(cfg)):,} parameters); {cfg.epochs} epochs; "
        f"Adam lr {cfg.lr:g}, batch {cfg.batch_size} (the optimizer, learning rate and batch size are our choice) |",
        f"| 001: permuted labels, Adam lr 1e-2 | {_recipe(s1)} | {cfg.n_train_001:,} images; conv "
        f"{list(cfg.channels_001)} + global average pooling ({n(spec_001(cfg)):,} parameters; the widths are our "
        f"choice); Adam lr {cfg.lr_001:g}, batch {cfg.batch_001}, {cfg.epochs_001} epochs |",
        f"| 002: FC nets, random train and test labels | {_recipe(s2)}; five nets of {lo:,} to {hi:,} parameters | "
        f"{cfg.n_train_fc:,} MNIST images; one hidden layer, {sizes} parameters"
        + (f" (and {beyond} beyond the report's range)" if beyond else "")
        + f"; Adam lr {cfg.lr_fc:g}, batch {cfg.batch_fc} (our choice), {cfg.epochs_fc} epochs |",
    ]
    return "\n".join(rows)


def scale_note(cfg, seeds: list[int]) -> str:
    return (
        f"Every setting runs on {count(len(seeds), 'seed')} ({', '.join(map(str, seeds))}); a seed sets the "
        "initialisation, the minibatch order and the label shuffle. Fewer training images make memorizing easier "
        "(fewer labels to store, more parameters per label) but also give fewer optimizer steps per epoch, so at a "
        "reduced scale a verdict says what happens *at this scale*; the `full` profile runs the reports' own "
        f"sizes. 'Fitted' means a training accuracy of at least {pct(cfg.fit_threshold, 0)}."
    )


# ---- per-experiment prose ----------------------------------------------------------------------------------------


def memorization_text(m: Memorization, cfg) -> str:
    t, p = m.true, m.permuted
    tr_acc, te_acc = stats.mean_interval(p.at("train_acc")), stats.mean_interval(p.at("test_acc"))
    rise = stats.mean_interval([b - a for a, b in zip(p.at("test_loss", p.epoch[0]), p.at("test_loss"))])
    trend = stats.direction_verdict(rise, +1)
    return (
        f"After {p.epoch[-1]} epochs the permuted labels reach a training accuracy of {tr_acc.text(100, ' %')} and a "
        f"training loss of {stats.mean_interval(p.at('train_loss')).text()} (chance: {num(CHANCE_LOSS, 4)}). "
        f"First epoch with training accuracy ≥ {pct(cfg.fit_threshold, 0)}, per seed: "
        f"{_epochs_list(fits(p, cfg.fit_threshold))} with the permuted labels, "
        f"{_epochs_list(fits(t, cfg.fit_threshold))} with the true ones. The test accuracy of the permuted runs is "
        f"{te_acc.text(100, ' %')} (chance {pct(CHANCE_ACCURACY, 0)}), against "
        f"{stats.mean_interval(t.at('test_acc')).text(100, ' %')} with the true labels. Their test loss changes by "
        f"{rise.text()} nats from epoch {p.epoch[0]} to the end: "
        + {
            stats.HOLDS: "it rises, as the network grows confident about labels that say nothing about the test "
            "images.",
            stats.CONTRADICTED: "it falls, which memorising labels independent of the images cannot explain.",
            stats.UNDECIDED: "the interval includes zero, so no rise is established at this budget.",
        }[trend]
    )


def high_lr_text(h: HighLR, cfg) -> str:
    p = h.permuted
    acc = stats.mean_interval(p.at("train_acc"))
    collapsed = sum(1 for row in p.train_acc if row[-1] <= CHANCE_ACCURACY + ACC_TOL)
    return (
        f"With report 001's recipe (Adam lr {cfg.lr_001:g}, batch {cfg.batch_001}, {cfg.epochs_001} epochs) on "
        f"{h.n_train:,} images the training accuracy on permuted labels ends at {acc.text(100, ' %')}, the training loss "
        f"at {stats.mean_interval(p.at('train_loss')).text()}, the test accuracy at "
        f"{stats.mean_interval(p.at('test_acc')).text(100, ' %')}. "
        + (
            f"{collapsed} of {count(len(p.seeds), 'seed')} end within {100 * ACC_TOL:.0f} pp of chance on the training "
            "labels: at this learning rate the net can stall at predicting the most frequent label. Report 001 does "
            "not give its net's width, so this is a finding about this net at this scale, not about the report's."
            if collapsed
            else "No seed stays at chance on the training labels."
        )
    )


def fc_text(f: FCSizes, cfg) -> str:
    rows = []
    for r in f.in_range + f.beyond:
        rows.append(
            f"{r.n_params:,} parameters: train accuracy {pct(stats.mean_interval(r.at('train_acc')).mean, 1)}, "
            f"train loss {num(stats.mean_interval(r.at('train_loss')).mean)}"
        )
    return (
        f"After {cfg.epochs_fc} epochs on {f.n_train:,} images with random labels (mean over seeds): "
        + "; ".join(rows)
        + f". The test labels are random too, so the test accuracy can only be at chance "
        f"({', '.join(pct(stats.mean_interval(r.at('test_acc')).mean, 1) for r in f.in_range + f.beyond)})."
    )


def convergence_text(res: Results) -> str:
    """Which end points meet the minimum criterion, with the numbers it was judged on."""
    crit = res.memorization.permuted.convergence[0].criterion
    parts = []
    for exp, r in all_runs(res):
        loss = stats.mean_interval([c.train_loss for c in r.convergence]).mean
        grad = stats.mean_interval([c.grad_norm for c in r.convergence]).mean
        parts.append(
            f"{exp} {r.name} ({r.n_params:,} params): {n_converged(r)}/{len(r.seeds)} "
            f"(mean loss {num(loss, 3)}, ‖∇L‖ {num(grad, 2)})"
        )
    return (
        f"**End points.** An end point counts as a minimum of the training loss when {crit} (full batch, eval "
        f"mode, after the last epoch). Runs meeting it: {'; '.join(parts)}. The claims checked here are about what "
        "a fixed budget of epochs reaches, as the reports' were; a run that does not meet the criterion had not "
        "reached a minimum when its budget ended, so its numbers are not those of a fitted net."
    )


def closing(res: Results) -> str:
    """The section's finding in numbers: what memorising cost compared with learning the true labels."""
    cfg, m = res.cfg, res.memorization
    thr = cfg.fit_threshold
    e_t, e_p = fits(m.true, thr), fits(m.permuted, thr)

    def when(es: list[int | None], budget: int) -> str:
        got = [e for e in es if e is not None]
        if not got:
            return f"not within {budget} epochs in any seed"
        return f"at epoch {sum(got) / len(got):.1f} on average" + (
            f" ({count(len(es) - len(got), 'seed')} not within {budget})" if len(got) < len(es) else ""
        )

    big = (res.fc.in_range + res.fc.beyond)[-1]
    return (
        f"**In numbers.** With the same CNN and optimiser, the true labels reach {pct(thr, 0)} training accuracy "
        f"{when(e_t, m.true.epoch[-1])}, the permuted ones {when(e_p, m.permuted.epoch[-1])}, while the test "
        f"accuracy of the permuted runs stays at {pct(stats.mean_interval(m.permuted.at('test_acc')).mean, 1)}. "
        f"Among the FC nets on {res.fc.n_train:,} random labels, the largest ({big.n_params:,} parameters, "
        f"{big.n_params / res.fc.n_train:.1f} per training label) ends at "
        f"{pct(stats.mean_interval(big.at('train_acc')).mean, 1)} training accuracy after {big.epoch[-1]} epochs. "
        "Since the architecture and the optimiser are the same for true and random labels, an explanation of why "
        "the true-label run generalises has to involve the data, not only the model class."
    )


# ---- claim checks ------------------------------------------------------------------------------------------------


def ours(runs: SeedRuns, model: str, *, n_train: int, n_test: int, lr: float, batch_size: int, labels: str, **extra):
    """Our setting of one experiment in the registry's keys (`references.setting`), from the runs the verdict uses:
    the model in words (`compute.model_text`), its parameter count, the data and recipe it was trained with."""
    return dict(
        model=model,
        n_params=runs.n_params,
        data="MNIST",
        n_train=n_train,
        n_test=n_test,
        optimizer=OPTIMIZER,
        lr=lr,
        batch_size=batch_size,
        scheduler=SCHEDULER,
        epochs=runs.epoch[-1],
        seeds=len(runs.seeds),
        labels=labels,
        **extra,
    )


def memorized(runs: SeedRuns, level: float) -> claims.Precondition:
    """The precondition of a claim about what happens *while* labels are memorized: the 95 % interval of the
    per-seed final training accuracy lies above `level`."""
    iv = stats.mean_interval(runs.at("train_acc"))
    return claims.Precondition(
        f"the permuted training labels are memorized: training accuracy surely above {pct(level, 0)}",
        bool(iv.n >= 2 and iv.lo > level),
        f"training accuracy {iv.text(100, ' %')}",
    )


def _check_000(m: Memorization, cfg) -> list[ClaimCheck]:
    p, t = m.permuted, m.true
    kw = dict(n_train=m.n_train, n_test=cfg.n_test, lr=cfg.lr, batch_size=cfg.batch_size)
    model = model_text(cnn_spec(cfg), "head")
    acc = p.at("train_acc")
    iv = stats.mean_interval(acc)
    c1 = claims.check(
        "000.random_labels.memorizes",
        stats.direction_verdict(iv, +1, cfg.fit_threshold),
        rule=f"direction: holds when the 95 % interval of the per-seed training accuracy on permuted labels after the "
        f"last epoch lies above the fit threshold {pct(cfg.fit_threshold, 0)}, contradicted when it lies below",
        ours=f"train acc {iv.text(100, ' %')} after {p.epoch[-1]} epochs on {m.n_train:,} images; train loss "
        f"{num(stats.mean_interval(p.at('train_loss')).mean)}",
        reproduced={"train_acc_pct": 100 * iv.mean, "epochs": p.epoch[-1]},
        setting=ours(p, model, labels=PERMUTED, **kw),
        train_acc=acc,
        interval=iv,
        train_loss=p.at("train_loss"),
        threshold=cfg.fit_threshold,
    )
    e_true, e_perm = fits(t, cfg.fit_threshold), fits(p, cfg.fit_threshold)
    censor = t.epoch[-1] + 1  # "not within the budget" counts as the epoch after it
    lead = [(ep if ep is not None else censor) - (et if et is not None else censor) for et, ep in zip(e_true, e_perm)]
    iv_lead = stats.mean_interval(lead)
    c2 = claims.check(
        "000.random_labels.true_labels_fast",
        stats.direction_verdict(iv_lead, +1),
        rule=f"direction: 'quickly' is read as 'sooner than the permuted labels'; holds when the 95 % interval of the "
        f"per-seed difference (first epoch with train acc ≥ {pct(cfg.fit_threshold, 0)} on permuted labels minus "
        f"on true labels; never within the budget counts as epoch {censor}) lies above 0, contradicted when it "
        "lies below",
        ours=f"first epoch with train acc ≥ {pct(cfg.fit_threshold, 0)}, per seed: true labels "
        f"{_epochs_list(e_true)}, permuted {_epochs_list(e_perm)} (budget {t.epoch[-1]}); difference "
        f"{iv_lead.text()} epochs",
        reproduced={"epochs": t.epoch[-1]},
        setting=ours(t, model, labels=TRUE_AND_PERMUTED, **kw),
        epochs_to_fit_true=e_true,
        epochs_to_fit_permuted=e_perm,
        lead=lead,
        interval=iv_lead,
    )
    return [c1, c2]


def _check_001(h: HighLR, cfg) -> list[ClaimCheck]:
    p = h.permuted
    ref_acc = claim("001.random_labels.memorizes").numbers["train_acc_pct"] / 100
    acc = p.at("train_acc")
    iv = stats.mean_interval(acc)
    setting = ours(
        p,
        model_text(spec_001(cfg), "blocks"),
        n_train=h.n_train,
        n_test=cfg.n_test,
        lr=cfg.lr_001,
        batch_size=cfg.batch_001,
        labels=PERMUTED_TRUE_TEST,
    )
    premise = memorized(p, ref_acc - ACC_TOL)
    c1 = claims.check(
        "001.random_labels.memorizes",
        stats.direction_verdict(iv, +1, ref_acc - ACC_TOL),
        rule=f"direction: holds when the 95 % interval of the per-seed training accuracy after the last epoch lies "
        f"above {pct(ref_acc - ACC_TOL, 0)} (the report's {pct(ref_acc, 0)} less {100 * ACC_TOL:.0f} pp), "
        "contradicted when it lies below",
        ours=f"train acc {iv.text(100, ' %')}, train loss {num(stats.mean_interval(p.at('train_loss')).mean)} after "
        f"{p.epoch[-1]} epochs on {h.n_train:,} images",
        reproduced={"train_acc_pct": 100 * iv.mean, "epochs": p.epoch[-1]},
        setting=setting,
        train_acc=acc,
        interval=iv,
        train_loss=p.at("train_loss"),
    )
    rise = [b - a for a, b in zip(p.at("test_loss", p.epoch[0]), p.at("test_loss"))]
    iv_rise = stats.mean_interval(rise)
    rho = [stats.correlation(p.epoch, row).r for row in p.test_loss]
    c2 = claims.check(
        "001.random_labels.test_loss_rises",
        stats.direction_verdict(iv_rise, +1),
        rule="direction: holds when the 95 % interval of the per-seed rise of the test loss (last epoch minus first "
        "epoch) lies above 0, contradicted when it lies below; tested only while the labels are memorized (the "
        "precondition)",
        ours=f"test loss rise {iv_rise.text()} nats; Spearman ρ(epoch, test loss) per seed "
        f"{', '.join(num(r, 2) for r in rho)}",
        reproduced={"epochs": p.epoch[-1]},
        setting=setting,
        precondition=premise,
        rise=rise,
        interval=iv_rise,
        spearman_per_seed=rho,
    )
    ref_te = claim("001.random_labels.test_acc").numbers["test_acc_pct"] / 100
    te = p.at("test_acc")
    iv_te = stats.mean_interval([a - ref_te for a in te])
    iv_chance = stats.mean_interval([a - CHANCE_ACCURACY for a in te])
    c3 = claims.check(
        "001.random_labels.test_acc",
        stats.equivalence_verdict(iv_te, ACC_TOL),
        rule=f"equivalence: holds when the 95 % interval of the per-seed test accuracy minus the report's "
        f"{pct(ref_te, 0)} lies within ±{100 * ACC_TOL:.0f} pp, contradicted when it lies wholly outside; tested "
        "only while the labels are memorized (the precondition)",
        ours=f"test acc {stats.mean_interval(te).text(100, ' %')}; minus the report's {pct(ref_te, 0)}: {iv_te.pp()}; "
        f"minus chance ({pct(CHANCE_ACCURACY, 0)}): {iv_chance.pp()}",
        reproduced={"test_acc_pct": 100 * stats.mean_interval(te).mean},
        setting=setting,
        precondition=premise,
        test_acc=te,
        minus_report=iv_te,
        minus_chance=iv_chance,
    )
    return [c1, c2, c3]


def _check_002(f: FCSizes, cfg) -> list[ClaimCheck]:
    ref = claim("002.random_labels.fc_at_chance").numbers
    chance = ref["acc_pct"] / 100
    per_size = {}
    for r in f.in_range:
        iv = stats.mean_interval([a - chance for a in r.at("train_acc")])
        per_size[r.n_params] = (iv, stats.equivalence_verdict(iv, ACC_TOL))
    largest = f.in_range[-1]
    acc_l = largest.at("train_acc")
    loss_l = stats.mean_interval(largest.at("train_loss"))
    setting = fc_setting(f, largest, cfg)
    c1 = claims.check(
        "002.random_labels.fc_at_chance",
        stats.joint_verdict([v for _, v in per_size.values()]),
        rule=f"equivalence per net, joined: a net is at chance when the 95 % interval of its per-seed final training "
        f"accuracy minus {pct(chance, 0)} lies within ±{100 * ACC_TOL:.0f} pp (not at chance when wholly "
        "outside); the claim holds when every net is at chance, contradicted when any net is surely not",
        ours=f"{f.n_train:,} images, {largest.epoch[-1]} epochs: "
        + "; ".join(f"{n:,} params: train acc − chance {iv.pp()} → {v}" for n, (iv, v) in per_size.items()),
        reproduced={
            "params_min": f.in_range[0].n_params,
            "params_max": largest.n_params,
            "epochs": largest.epoch[-1],
            "train_loss": loss_l.mean,
            "acc_pct": 100 * stats.mean_interval(acc_l).mean,
        },
        setting=setting,
        per_size={n: {"acc_minus_chance": iv, "verdict": v} for n, (iv, v) in per_size.items()},
        chance_loss=CHANCE_LOSS,
    )
    iv_l = stats.mean_interval(acc_l)
    c2 = claims.check(
        "002.random_labels.not_memorized",
        stats.direction_verdict(iv_l, -1, cfg.fit_threshold),
        rule=f"direction on the largest net of the report's range: holds when the 95 % interval of its per-seed "
        f"final training accuracy lies below the fit threshold {pct(cfg.fit_threshold, 0)}, contradicted when "
        "it lies above",
        ours=f"{largest.n_params:,} params: train acc {iv_l.text(100, ' %')} after {largest.epoch[-1]} epochs on "
        f"{f.n_train:,} images",
        reproduced={"epochs": largest.epoch[-1]},
        setting=setting,
        train_acc=acc_l,
        interval=iv_l,
    )
    e0 = largest.near(NEAR_END)
    trend = [b - a for a, b in zip(largest.at("train_acc", e0), acc_l)]
    iv_t = stats.mean_interval(trend)
    c3 = claims.check(
        "002.random_labels.largest_starts",
        stats.direction_verdict(iv_t, +1),
        rule=f"direction: holds when the 95 % interval of the largest net's per-seed training-accuracy change from "
        f"epoch {e0} to the last epoch lies above 0, contradicted when it lies below",
        ours=f"{largest.n_params:,} params: train acc change epoch {e0} → {largest.epoch[-1]}: {iv_t.pp()}",
        reproduced={"params_max": largest.n_params, "epochs": largest.epoch[-1]},
        setting=setting,
        change=trend,
        interval=iv_t,
        from_epoch=e0,
    )
    return [c1, c2, c3, _check_002_beyond(f, cfg)]


def fc_setting(f: FCSizes, net: SeedRuns, cfg, nets: list[SeedRuns] | None = None) -> dict:
    """Our setting of the FC experiment, with `net` the one a claim is judged on and `nets` the sizes (the report's
    range: the smallest and largest parameter count)."""
    nets = f.in_range if nets is None else nets
    return ours(
        net,
        model_text(fc_spec(cfg.fc_widths[0]), "kind"),
        n_train=f.n_train,
        n_test=cfg.n_test,
        lr=cfg.lr_fc,
        batch_size=cfg.batch_fc,
        labels=RANDOM_BOTH,
        n_params_range=[nets[0].n_params, nets[-1].n_params],
    )


def _check_002_beyond(f: FCSizes, cfg) -> ClaimCheck:
    """The report's expectation, on the largest net beyond its range; not tested without one."""
    cid = "002.random_labels.larger_memorizes"
    report_max = claim("002.random_labels.fc_at_chance").numbers["params_max"]
    big = (f.beyond or f.in_range)[-1]
    premise = claims.Precondition(
        f"a net larger than the report's largest ({report_max:,} parameters) was trained",
        big.n_params > report_max,
        f"largest net trained: {big.n_params:,} parameters",
    )
    iv_tr = stats.mean_interval(big.at("train_acc"))
    chance = claim(cid).numbers["acc_pct"] / 100
    iv_te = stats.mean_interval([a - chance for a in big.at("test_acc")])
    parts = [stats.direction_verdict(iv_tr, +1, cfg.fit_threshold), stats.equivalence_verdict(iv_te, ACC_TOL)]
    return claims.check(
        cid,
        stats.joint_verdict(parts),
        rule=f"joint, on the largest net beyond the report's range after the same {big.epoch[-1]} epochs: holds when "
        f"the 95 % interval of its per-seed training accuracy lies above {pct(cfg.fit_threshold, 0)} (direction) "
        f"and that of its test accuracy minus {pct(chance, 0)} within ±{100 * ACC_TOL:.0f} pp (equivalence); "
        "contradicted when either part is. Only 'larger' is tested, not 'longer'",
        ours=f"{big.n_params:,} params: train acc {iv_tr.text(100, ' %')}; test acc − chance {iv_te.pp()}",
        reproduced={"train_acc_pct": 100 * iv_tr.mean, "acc_pct": 100 * (iv_te.mean + chance)},
        setting={k: v for k, v in fc_setting(f, big, cfg).items() if k != "n_params_range"},
        precondition=premise,
        train_acc=big.at("train_acc"),
        test_acc=big.at("test_acc"),
        parts=parts,
    )


def checks(res: Results) -> list[ClaimCheck]:
    """Every registry claim of this section, checked on this run."""
    cfg = res.cfg
    return _check_000(res.memorization, cfg) + _check_001(res.high_lr, cfg) + _check_002(res.fc, cfg)


def verdict_summary(checks_: list[ClaimCheck]) -> str:
    c = claims.counts(checks_)
    untested = (
        f" {c[stats.NOT_TESTED]} {'is' if c[stats.NOT_TESTED] == 1 else 'are'} not tested: a different experiment "
        "from the report's, or a run that does not meet what the claim presumes (the reason is in its row)."
        if c[stats.NOT_TESTED]
        else ""
    )
    return (
        f"Of {len(checks_)} claims, {c['holds']} hold, {c['contradicted']} are contradicted and {c['undecided']} "
        f"are undecided at this scale.{untested} The rule behind each verdict is in the last column; a verdict is "
        "decided only when the 95 % interval over seeds (Student t, sample sd) is clear of the claim's boundary, "
        "so one seed never decides."
    )


# ---- metrics -----------------------------------------------------------------------------------------------------


def _summary(exp: str, r: SeedRuns, threshold: float) -> dict:
    return {
        "experiment": exp,
        "setting": r.name,
        "n_params": r.n_params,
        "seeds": r.seeds,
        **{f"final_{k}": r.at(k) for k in ("train_loss", "train_acc", "test_loss", "test_acc")},
        "epochs_to_fit": fits(r, threshold),
        "diverged_at_epoch": r.diverged_at_epoch,
        "convergence": r.convergence,
    }


def metrics(res: Results) -> dict:
    """metrics.json content (besides what write_metrics adds): per-setting per-seed finals, convergence records and
    the headline for the index."""
    thr = res.cfg.fit_threshold
    m, f = res.memorization, res.fc
    headline = {
        "000 permuted labels: train acc": spread(m.permuted.at("train_acc"), "%", 100),
        "000 permuted labels: test acc": spread(m.permuted.at("test_acc"), "%", 100),
        "001 recipe: train acc": spread(res.high_lr.permuted.at("train_acc"), "%", 100),
        f"002 FC {f.in_range[-1].n_params:,} params: train acc": spread(f.in_range[-1].at("train_acc"), "%", 100),
    }
    if f.beyond:
        headline[f"002 FC {f.beyond[-1].n_params:,} params: train acc"] = spread(f.beyond[-1].at("train_acc"), "%", 100)
    return {
        "fit_threshold": thr,
        "settings": [_summary(exp, r, thr) for exp, r in all_runs(res)],
        "convergence": [
            {"experiment": exp, "setting": r.name, "seed": s, **vars(c)}
            for exp, r in all_runs(res)
            for s, c in zip(r.seeds, r.convergence)
        ],
        "headline": headline,
    }
