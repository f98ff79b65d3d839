"""Scaffolding written once for the tests and the benches: servers, command lines, spec variants."""
