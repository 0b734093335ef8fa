"""nmr-xl: billing-compliance checks for 97112 and the timed therapy codes."""

__version__ = "0.1.0"
