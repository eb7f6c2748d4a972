"""The package's version, at the bottom of the house: the run-folder contract writes it into config.json."""

__version__ = "0.3.0"
