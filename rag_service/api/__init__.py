"""The HTTP face of the service: FastAPI app, routers (one per resource) and the chat page."""
