"""Reports of a verification run: terminal, JUnit XML, JSON and self-contained HTML."""
