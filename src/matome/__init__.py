"""matome: digest Japanese news articles and their reader comments."""

__version__ = "0.1.0"
