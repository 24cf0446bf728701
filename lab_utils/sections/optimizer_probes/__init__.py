"""08 optimizer probes: train one small CIFAR-10 CNN with SGD, SGD+momentum and AdamW from the same

profile  the smoke / quick / full settings (PROFILES)
compute  the experiment, its figures and its verdicts
"""

NAME = "08_optimizer_probes"
