"""voxpop — hear every customer, understand them offline, act, measure, close the loop."""

__version__ = "0.1.0"
