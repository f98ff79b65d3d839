"""Conformance kit: check any server against the Protocol Conversations contract (`protocol-kit verify`)."""
