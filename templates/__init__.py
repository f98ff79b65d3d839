"""Jinja2 templates of the generator, shipped as package data of `protocol_kit.templates`."""
