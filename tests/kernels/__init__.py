"""Kernel tests (a package so that test_<op>.py names do not clash with tests/golden)."""
