"""Repositories: every query the product needs, one class per kind of thing, reached from the unit of work."""
