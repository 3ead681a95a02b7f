from buena_sdk.models._page import Page
from buena_sdk.models.event import Event


class ListEventsResponse(Page[Event]):
    """One page of the account's events, newest first (the server keeps
    events 30 days by default)."""
