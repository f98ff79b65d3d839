"""The bundled OpenAPI document, shipped as package data of `protocol_kit.openapi`."""
