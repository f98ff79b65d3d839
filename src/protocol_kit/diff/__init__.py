"""`protocol-kit diff`: what a change of the spec does to clients, servers and webhook receivers."""

from .compare import compare
from .model import AUDIENCES, CLIENTS, RECEIVERS, SERVERS, Change, Level, Location, Report

__all__ = [
    "AUDIENCES",
    "CLIENTS",
    "RECEIVERS",
    "SERVERS",
    "Change",
    "Level",
    "Location",
    "Report",
    "compare",
]
