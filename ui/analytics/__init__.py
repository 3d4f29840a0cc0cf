"""The Streamlit side of the analytics pages: sync with progress, the cached cycles, filters, cards,
charts, drill-down and exports.

Every number comes from `dashboard.analytics`, computed on one `Cycles` per (cache file, cache
generation, settings): the cards, charts, tables and CSV files of a page are the same rule applied
to the same rows. Data always comes from the cache of the session's own credential, so a scoped
user sees only its inboxes. Contact, device and agent names are only ever shown through
`st.dataframe`, `st.text` or chart data, never as Markdown.

Modules: formatting, sync, names, filters, cards, drill, charts, settings, tables.
"""

from ui.analytics.cards import CARD_LABELS, CARDS, backlog_cards, show_cards
from ui.analytics.charts import (
    agent_frt_chart,
    chart_png,
    distribution_chart,
    download_button,
    export_buttons,
    frt_chart,
    heatmap_chart,
    period_drill,
    period_keys,
    pick_chart,
    selected,
    selected_day,
    selected_rows,
    volume_chart,
)
from ui.analytics.drill import Drill, cycle_columns, display_cycles, drill_frame, local_times
from ui.analytics.filters import View, filter_bar, rule_caption, timezone_source, today
from ui.analytics.formatting import COUNT, DAY_NAMES, UNANSWERED, WEEKDAY_NAMES, duration, durations, minutes
from ui.analytics.names import Names, device_names, names, people_caption
from ui.analytics.settings import SETTINGS_ERRORS, SETTINGS_KEYS, edited_rows, settings_panel
from ui.analytics.sync import (
    DEFAULT_DAYS,
    STATUS_EVERY_S,
    cache_for,
    cycles,
    ensure_synced,
    period_window,
    settings_for,
    sync_bar,
    sync_status,
)
from ui.analytics.tables import (
    KEY_COLUMNS,
    agent_display,
    agents_online,
    breakdown_display,
    group_drill,
    group_name,
    open_by_inbox,
    quiet_refresh,
    take_row_drill,
    waiting_display,
)

__all__ = [
    "CARDS", "CARD_LABELS", "COUNT", "DAY_NAMES", "DEFAULT_DAYS", "Drill",
    "KEY_COLUMNS", "Names", "SETTINGS_ERRORS", "SETTINGS_KEYS", "STATUS_EVERY_S", "UNANSWERED",
    "View", "WEEKDAY_NAMES", "agent_display", "agent_frt_chart", "agents_online", "backlog_cards",
    "breakdown_display", "cache_for", "chart_png", "cycle_columns", "cycles", "device_names", "display_cycles",
    "distribution_chart", "download_button", "drill_frame", "duration", "durations", "edited_rows",
    "ensure_synced", "export_buttons", "filter_bar", "frt_chart", "group_drill", "group_name", "heatmap_chart",
    "local_times", "minutes", "names", "open_by_inbox", "people_caption", "period_drill", "period_keys",
    "period_window", "pick_chart", "quiet_refresh", "rule_caption", "selected", "selected_day", "selected_rows",
    "settings_for", "settings_panel", "show_cards", "sync_bar", "sync_status", "take_row_drill",
    "timezone_source", "today", "volume_chart", "waiting_display",
]
