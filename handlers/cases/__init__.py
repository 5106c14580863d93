"""Use cases: what the product does, each inside the caller's unit of work (one transaction, one commit)."""
