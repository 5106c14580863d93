"""Open311 GeoReport v2 under /open311/v2/ on the instance's HTTP server (bot.open311.routes mounts it)."""
