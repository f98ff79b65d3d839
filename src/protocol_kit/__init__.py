"""protocol-kit: the contract toolkit for the Protocol Conversations API."""

__version__ = "0.1.0"
