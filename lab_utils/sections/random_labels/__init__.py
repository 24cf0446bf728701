"""03 random labels: networks memorise labels that carry no information (Zhang et al. 2017).

profile  the smoke / quick / full settings (PROFILES)
compute  the experiment, its figures and its verdicts
"""

NAME = "03_random_labels"
