"""The staff console (工作台): a server-rendered web application for hall staff (issue 17).

An adapter over :mod:`banshi`, like the Rasa actions and the WeChat channel: see README.md.
"""

from console.app import DEFAULT_PORT, create_app, serve
from console.services import (
    CardTone,
    CardView,
    ConsolePage,
    ConsoleServices,
    ConversationReader,
    DashboardCard,
    PageRoute,
    StaffUser,
    SyncTrigger,
)

__all__ = [
    "DEFAULT_PORT",
    "CardTone",
    "CardView",
    "ConsolePage",
    "ConsoleServices",
    "ConversationReader",
    "DashboardCard",
    "PageRoute",
    "StaffUser",
    "SyncTrigger",
    "create_app",
    "serve",
]
