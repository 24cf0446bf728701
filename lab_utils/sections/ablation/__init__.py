"""07 ablation: ResNet-20 with and without skip connections and BatchNorm, trained on CIFAR-10, then probed.

profile  the smoke / quick / full settings (PROFILES)
compute  the experiment, its figures and its verdicts
"""

NAME = "07_ablation"
