"""What the product does, channel-neutral: dialogs, use cases, the signal lifecycle, texts."""
