"""Tests that run the spec through tools nobody on this project wrote."""
