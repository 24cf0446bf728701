"""02 optimization: weight trajectories (PCA), gradient norms, and the minimal ratio of critical points.

profile  the smoke / quick / full settings (PROFILES)
compute  the experiment, its figures and its verdicts
"""

NAME = "02_optimization"
