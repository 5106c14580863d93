"""The web channel: a chat page the portal embeds, served by the bot's own HTTP server."""
