"""Importers that turn other version-control histories into mic sessions."""
