"""lab_utils: everything the notebook series runs on.

Modules, in the order a notebook meets them:
    session    -- resolve and validate notebook parameters, seed, pick the device, open the report folder
    profiles   -- the smoke / quick / full settings of every section (frozen dataclasses)
    data       -- MNIST, CIFAR-10 and 1-D regression targets as preloaded tensors
    models     -- MLPs, small CNNs, parameter matching (ResNet-20 lives in resnet)
    train      -- one flat training loop with history, snapshots and divergence detection
    cache      -- trained models and histories cached by a hash of their config
    probes     -- Hessian, loss surfaces, Jacobian sensitivity
    plotting   -- one seaborn theme and save_fig
    report     -- metrics.json, result tables, the index of all sections
    experiments -- one module per section: the experiment a notebook chapter runs
"""
