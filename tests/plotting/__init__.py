"""Tests of skvae.plotting."""
