"""Filled by the issue that builds this app; the package exists so the import contracts can name it."""
