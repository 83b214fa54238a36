"""Tests of skvae.nn."""
