"""05 interpolation: the straight line between a small-batch and a large-batch minimum, and the same line after

profile  the smoke / quick / full settings (PROFILES)
compute  the experiment, its figures and its verdicts
"""

NAME = "05_interpolation"
