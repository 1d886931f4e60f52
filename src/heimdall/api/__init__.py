"""The HTTP and WebSocket edge: ``create_app(settings, platform=...)`` builds the FastAPI app."""
