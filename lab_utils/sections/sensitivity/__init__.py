"""06 sensitivity: one CNN per batch size; test accuracy and loss, input sensitivity (mean Frobenius norm of the

profile  the smoke / quick / full settings (PROFILES)
compute  the experiment, its figures and its verdicts
"""

NAME = "06_sensitivity"
