"""Seed program of the blind_probe test problem."""


# EVOLVE-BLOCK-START
def f(x):
    return 1


# EVOLVE-BLOCK-END
