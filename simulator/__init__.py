"""mensetsu: a Japanese mock-interview voice simulator."""

__version__ = "0.1.0"
