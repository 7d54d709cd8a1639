"""The Events API endpoints."""

from mparticle.apis.events_api import EventsApi

__all__ = ["EventsApi"]
