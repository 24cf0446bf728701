"""04 capacity: how train and test performance change with the number of parameters.

profile  the smoke / quick / full settings (PROFILES)
compute  the experiment, its figures and its verdicts
"""

NAME = "04_capacity"
