"""One module per report section: the experiments its notebook runs, as plain functions."""
