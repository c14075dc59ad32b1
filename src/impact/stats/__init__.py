"""Pure statistics on arrays and tidy frames: effect sizes and paired tests, mixed models,
reliability, rates and intervals, power and MDE, WWC standards, attrition models.

Knows nothing of programmes, codebooks or the indicator contract; imports no other
subpackage of :mod:`impact`, so every function can be checked against an independent
computation in isolation.
"""
