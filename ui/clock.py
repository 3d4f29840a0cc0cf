"""The page's clock (dashboard/clock.py) in the display timezone: the workspace's setting, else the browser's.

The setting is the one the analytics pages edit (their "Timezone" setting, dashboard/preferences.py),
so every page shows the same message at the same hour.
"""

from __future__ import annotations

import streamlit as st

from dashboard import preferences
from dashboard.clock import Clock
from dashboard.connection import Workspace


def clock_for(workspace: Workspace) -> Clock:
    settings = preferences.analytics_settings(workspace.workspace_id).resolved(st.context.timezone)
    return Clock(settings.timezone_name)


def zone_caption(clock: Clock) -> None:
    """Names the zone once on the page, and where it comes from."""
    st.caption(f"{clock.note} Change the timezone in the Analytics settings.")
