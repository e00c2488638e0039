"""Security of the door itself: headers, trusted proxies, request size limits, CORS."""
