"""Adapters that turn the data given to fit/evaluate/predict into arrays per input and output."""
