"""lab_utils: everything the notebook series runs on, in layers whose imports point one way (down):

    render       execute every notebook, convert it to its report, write the index       (the application)
    sections/    one package per chapter: profile, compute, figures, text                 (uses all below)
    probes/      measurements of trained networks: Hessian, landscapes, noise, paths, ... (uses models, core)
    report/      plotting, number formats, claim checks, metrics.json, index, conversion   (uses core, references)
    models/      the model kinds (MLP, CNN, ResNet-20) and trained-and-cached runs         (uses core)
    core/        session, paths, progress, data, params, train, cache, stats              (uses references only)
    references/  the registry of the reference reports' claims and numbers                 (imports nothing)

tests/test_layers.py walks the import graph and fails on a cycle or an arrow pointing up.
"""
