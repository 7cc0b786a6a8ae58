"""Zhushida core: the kernel every other package and plugin stands on."""
