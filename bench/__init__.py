"""The reproducible benchmark of issue 9 (`make bench`); not part of the served project."""
