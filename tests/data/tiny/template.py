"""Seed program of the tiny test problem."""


# EVOLVE-BLOCK-START
def f(x):
    return x


# EVOLVE-BLOCK-END
