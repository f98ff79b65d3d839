"""Benchmarks of protocol-kit: each `python -m bench.<name>` measures, then rewrites its section of docs/benchmarks.md."""
