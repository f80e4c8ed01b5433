"""Hearth's composition root: settings, app factory, lifespan, CLI and routes."""
