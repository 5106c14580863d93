"""Outbox delivery workers, rate limiting, retries and scheduled jobs; defines the Sender protocol."""
