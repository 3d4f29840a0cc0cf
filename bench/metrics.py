"""Every analytics metric for a 90-day range over a synthetic 1,000,000-message workspace.

Figures:
- `metrics_1m_seconds`: wall time of `all_metrics`, end to end from the raw frames (cycles, then
  every card, daily and weekly trend, heatmap, FRT distribution, per device/inbox/agent table, agent
  activity and the backlog, in both wall-clock and business-hours modes), with business hours
  configured (two intervals on weekdays, an overnight one on Friday, Saturday morning, holidays).
  Best of 5 runs, as `timeit` advises: other processes on the machine only ever add time;
- `metrics_1m_cpu_seconds`: the CPU time of this process for the best run (less sensitive to a busy
  machine);
- `metrics_1m_peak_mb`: peak resident memory of the process during the first run (VmHWM from /proc
  after resetting it, else resource.getrusage's ru_maxrss), the input frames and the interpreter
  included. tracemalloc is not used: pandas' string columns live in Arrow buffers it does not see;
- `metrics_1m_added_mb`: the part of that peak above the resident memory just before the run.

Everything runs in a fresh child process so the other benchmarks' memory does not count.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue as queue_module
import resource
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench import benchmark
from dashboard.analytics.cycles import build_cycles
from dashboard.analytics.metrics import (
    Filters,
    agent_activity,
    backlog,
    breakdown,
    frt_distribution,
    headline,
    heatmap,
    trends,
    waiting_now,
)
from dashboard.analytics.settings import AnalyticsSettings, BusinessHours

MESSAGES = 1_000_000
CONVERSATIONS = 40_000
DAYS = 120  # of synthetic history; the metrics cover the last 90
RANGE_DAYS = 90
END = pd.Timestamp("2026-06-30T00:00:00Z")
SEED = 20260630
RUNS = 5
CHILD_TIMEOUT_S = 900
SETTINGS = AnalyticsSettings(
    timezone="Asia/Jakarta",
    business_hours=BusinessHours.parse(
        {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "tue": [["08:00", "12:00"], ["13:00", "17:00"]],
         "wed": [["08:00", "12:00"], ["13:00", "17:00"]], "thu": [["08:00", "12:00"], ["13:00", "17:00"]],
         "fri": [["08:00", "12:00"], ["13:00", "17:00"], ["22:00", "06:00"]], "sat": [["09:00", "13:00"]]},
        holidays=["2026-04-03", "2026-05-01", "2026-05-14", "2026-05-27", "2026-06-01"]),
)


def synthetic_workspace(messages: int = MESSAGES, conversations: int = CONVERSATIONS,
                        seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(conversations, messages) frames as the sync cache produces them; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    conv_ids = np.arange(1, conversations + 1, dtype=np.int64)
    weights = rng.lognormal(0.0, 1.0, conversations)
    per_conv = rng.multinomial(messages - conversations, weights / weights.sum()) + 1
    conv_of = np.repeat(np.arange(conversations), per_conv)
    first = np.concatenate(([0], np.cumsum(per_conv)[:-1]))

    kind = rng.random(messages)
    gap_s = np.where(kind < 0.65, rng.exponential(180, messages),
                     np.where(kind < 0.90, rng.exponential(3600, messages), rng.uniform(86_400, 4 * 86_400, messages)))
    gap_ns = (gap_s * 1e9).astype(np.int64)
    gap_ns[first] = 0
    elapsed = np.cumsum(gap_ns)
    elapsed -= np.repeat(elapsed[first], per_conv)
    # Each conversation starts at a random time that keeps its last message before END.
    span_ns = DAYS * 86_400 * 10**9
    duration = elapsed[first + per_conv - 1]
    start = END.value - span_ns + (rng.random(conversations) * np.maximum(span_ns - duration, 0)).astype(np.int64)
    timestamp = start[conv_of] + elapsed

    from_me = rng.random(messages) < 0.5
    from_me[first] = rng.random(conversations) < 0.15  # most conversations start with the customer
    agents = rng.integers(1, 41, messages)
    api = rng.random(messages) < 0.1
    sender = pd.arrays.IntegerArray(np.where(from_me & ~api, agents, 0), ~from_me | api)
    media = np.array(["", "", "", "", "image", "audio", "document", "video", "sticker"])
    order = np.argsort(timestamp, kind="stable")
    message_id = np.empty(messages, dtype=np.int64)
    message_id[order] = np.arange(1, messages + 1)
    shuffled = rng.permutation(messages)  # rows arrive in no particular order
    message_frame = pd.DataFrame({
        "conversation_id": conv_ids[conv_of][shuffled],
        "id": message_id[shuffled],
        "from_me": from_me[shuffled],
        "timestamp": pd.DatetimeIndex(timestamp[shuffled].view("datetime64[ns]")).tz_localize("UTC"),
        "sender_user_id": sender[shuffled],
        "media_type": pd.array(media[rng.integers(0, media.size, messages)][shuffled], dtype="string"),
    })

    last = timestamp[first + per_conv - 1]
    solved = rng.random(conversations) < 0.6
    solved_at = np.where(solved, last + (rng.exponential(2 * 3600, conversations) * 1e9).astype(np.int64),
                         np.iinfo(np.int64).min)
    device = rng.integers(1, 9, conversations)
    inbox = pd.arrays.IntegerArray(device % 5 + 1, device % 5 == 0)
    contact = rng.integers(1, 30_001, conversations)
    names = "Contact " + pd.Series(contact).astype("string")
    conversation_frame = pd.DataFrame({
        "id": conv_ids,
        "contact_id": pd.array(contact, dtype="Int64"),
        "contact_name": names.astype("string"),
        "contact_phone": ("+6281" + pd.Series(contact + 10_000_000).astype("string")).astype("string"),
        "is_group": pd.array(rng.random(conversations) < 0.04, dtype="boolean"),
        "device_id": pd.array(device, dtype="Int64"),
        "device_name": ("Device " + pd.Series(device).astype("string")).astype("string"),
        "inbox_id": inbox,
        "status": pd.array(np.where(solved, "solved", "open"), dtype="string"),
        "created_at": pd.DatetimeIndex(start.view("datetime64[ns]")).tz_localize("UTC"),
        "solved_at": pd.DatetimeIndex(solved_at.view("datetime64[ns]")).tz_localize("UTC"),
        "last_message_at": pd.DatetimeIndex(last.view("datetime64[ns]")).tz_localize("UTC"),
        "unread": pd.array(rng.integers(0, 4, conversations), dtype="Int64"),
    })
    return conversation_frame, message_frame


def all_metrics(conversations: pd.DataFrame, messages: pd.DataFrame, settings: AnalyticsSettings,
                start: date, end: date, now: pd.Timestamp) -> dict[str, object]:
    """Everything the analytics pages show for one date range, in both duration modes."""
    data = build_cycles(conversations, messages, settings)
    filters = Filters(start=start, end=end)
    results: dict[str, object] = {"heatmap": heatmap(data, filters)}
    for business in (False, True):
        mode = "business" if business else "wall"
        results[f"cards_{mode}"] = headline(data, filters, business)
        results[f"daily_{mode}"] = trends(data, filters, "day", business)
        results[f"weekly_{mode}"] = trends(data, filters, "week", business)
        results[f"distribution_{mode}"] = frt_distribution(data, filters, business)
        for by in ("device", "inbox", "agent"):
            results[f"{by}_{mode}"] = breakdown(data, by, filters, business)
        results[f"agents_{mode}"] = agent_activity(data, filters, business)
        results[f"waiting_{mode}"] = waiting_now(data, now, filters, business)
        results[f"backlog_{mode}"] = backlog(results[f"waiting_{mode}"], business)
    return results


def _rss_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux); False when the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _measure(queue: multiprocessing.Queue) -> None:
    conversations, messages = synthetic_workspace()
    end = (END - pd.Timedelta(days=1)).tz_convert(SETTINGS.zone).date()
    start = end - timedelta(days=RANGE_DAYS - 1)
    now = END
    gc.collect()
    before = _rss_mb("VmRSS")
    if _reset_peak() and before is not None:
        all_metrics(conversations, messages, SETTINGS, start, end, now)
        peak = _rss_mb("VmHWM")
    else:
        all_metrics(conversations, messages, SETTINGS, start, end, now)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        before = before or 0.0
    runs = []
    for _ in range(RUNS):
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        all_metrics(conversations, messages, SETTINGS, start, end, now)
        runs.append((time.perf_counter() - started, time.process_time() - cpu))
    wall, cpu = min(runs)
    queue.put({"metrics_1m_seconds": wall, "metrics_1m_cpu_seconds": cpu, "metrics_1m_peak_mb": peak,
               "metrics_1m_added_mb": peak - before})


@benchmark
def metrics() -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_measure, args=(queue,))
    child.start()
    try:
        result = queue.get(timeout=CHILD_TIMEOUT_S)
    except queue_module.Empty:
        child.terminate()
        raise RuntimeError(f"the metrics benchmark did not finish (exit code {child.exitcode})") from None
    child.join()
    return result
