"""The reference implementation of the Protocol Conversations API."""
