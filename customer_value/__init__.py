"""Predicted customer value: BG/NBD and Gamma-Gamma models and the CLV tables. No Dagster."""
