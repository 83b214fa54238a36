"""skvae's test suite: one test module per package module."""
