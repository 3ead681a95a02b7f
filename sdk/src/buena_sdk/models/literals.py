"""The fixed sets of values the reference gives for ``sort``, ``order`` and ``status``.

Parameters and request fields are typed with them, so a type checker catches
``list_leads(sort="created")`` before the server does. Nothing is checked at run time that
was not before: a wrong value still reaches the server, which answers 400 naming it (an SDK
older than a server that learns a new value can still send it, with a ``# type: ignore``).
Response fields stay ``str``, so a value a newer server adds still parses.
"""

from typing import TYPE_CHECKING, Literal

LeadStatus = Literal["active", "inactive", "contacted"]
LeadSort = Literal["created_at", "updated_at", "first_name", "last_name"]
SortOrder = Literal["asc", "desc"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
JobStatus = Literal["pending", "running", "completed", "failed", "canceled"]
VoiceCloneStatus = Literal["processing", "ready", "failed"]

if TYPE_CHECKING:
    LeadStatusField = LeadStatus
else:
    # A request field is validated as the plain string it always was.
    LeadStatusField = str
