"""Process edges: configuration, CLI, wiring and the Telegram/VK channel adapters."""
