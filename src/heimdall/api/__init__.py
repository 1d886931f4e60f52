"""The HTTP and WebSocket edge: ``create_app(settings, services=...)`` builds the FastAPI app."""
