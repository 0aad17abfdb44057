"""``voxpop demo``: a fictional café-bakery chain's six months of feedback, and a store to explore it.

The data is synthetic, written for voxpop (see ``ATTRIBUTION.md``): ``generate`` composes it from a
hand-written phrase bank with a seeded RNG; ``installer.install`` writes it into a store with departments, users
and a lived-in inbox.
"""
