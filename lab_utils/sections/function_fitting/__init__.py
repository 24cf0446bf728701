"""01 function fitting: shallow vs deep networks with (nearly) the same number of parameters.

profile  the smoke / quick / full settings (PROFILES)
compute  the experiment, its figures and its verdicts
"""

NAME = "01_function_fitting"
