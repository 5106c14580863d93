"""Telegram channel on aiogram 3: updates → neutral inputs, neutral replies → Bot API calls."""
