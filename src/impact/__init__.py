"""Impact ITIP: impact measurement of the CMQ-E ICI outreach actions."""
__version__ = "0.1.0"
