"""Webhooks & API keys: the built-in receiver in one click, registered webhooks with test sends, health
and delivery log, received events live, and (on the sandbox) API keys."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ceox_api.errors import CeoxError, NotFound, PermissionDenied
from ceox_api.models import Delivery, Webhook
from dashboard import navigation, receiver, validation, webhooks
from dashboard.connection import ConnectError, connect
from dashboard.feedback import delivery_problem, explain_error
from ui import reads, session, settings
from ui.clock import clock_for, zone_caption
from ui.plain_text import plain
from ui.tables import table_height

DELETE_KEY = "webhook_to_delete"
NEW_KEY = "new_api_key"
NOT_SANDBOX = "not_sandbox_identity"
EVENT = "message.received"
workspace = session.require()
clock = clock_for(workspace)


def configured_public_url() -> str:
    """The dashboard's public address when the operator set one (behind a proxy, or for a remote CEOX)."""
    return settings.text("public_url", "CEOX_PUBLIC_URL").rstrip("/")


def dashboard_address() -> str:
    return receiver.public_address(
        configured=configured_public_url(), workspace_url=workspace.base_url, page_url=st.context.url,
        host_header=st.context.headers.get("host") if st.context.headers else None,
        server_port=st.get_option("server.port"))


def masked(url: str, secret: str) -> str:
    """The URL for the audit log: the receiver secret never goes there."""
    return url.replace(secret, "•••")


def sandbox_deliveries() -> tuple[bool, list[Delivery], str | None]:
    """(is a sandbox, its delivery log, why the log is missing). A 404 means a real CEOX service."""
    if st.session_state.get(NOT_SANDBOX) == workspace.identity:
        return False, [], None
    try:
        return True, reads.DELIVERIES.fetch(), None
    except NotFound:
        st.session_state[NOT_SANDBOX] = workspace.identity
        return False, [], None
    except PermissionDenied:
        return True, [], "The sandbox's delivery log needs an API-key connection."
    except CeoxError as exc:
        return True, [], f"The delivery log could not be read: {explain_error(exc)}"


def create_webhook(url: str, audit_target: str) -> Webhook | None:
    ok, message, hook = session.run_write("webhook.create", audit_target,
                                          lambda c: c.webhooks.create(url, events=[EVENT]))
    if not ok:
        st.error(plain(message), icon=":material/error:")
        return None
    reads.invalidate()
    st.toast(f"Webhook #{hook.id} registered.", icon=":material/check_circle:")
    return hook


st.title("Webhooks & API keys")
zone_caption(clock)
hooks: list[Webhook] = reads.WEBHOOKS()
is_sandbox, deliveries, deliveries_problem = sandbox_deliveries()

# --- the built-in receiver ----------------------------------------------------------------------------
st.subheader("Built-in receiver")
secret = receiver.secret_for(workspace.workspace_id)
receiver_url = receiver.url_for(dashboard_address(), secret)
own = next((h for h in hooks if h.url == receiver_url), None) or next(
    (h for h in hooks if h.url.endswith(receiver.path_for(secret))), None)
st.write("This dashboard can receive the workspace's webhook events itself: they are checked, stored here "
         f"(the newest {receiver.KEEP:,}, up to {receiver.BUDGET_BYTES // 2**20} MB) and shown below as they arrive.")
st.code(receiver_url, language=None)
url_problem = receiver.reachability_problem(receiver_url, workspace.base_url)
if url_problem:
    st.warning(f"{plain(url_problem)} Set CEOX_PUBLIC_URL (or public_url under [ceox] in secrets.toml) to the https "
               "address at which the CEOX service reaches this dashboard.", icon=":material/public_off:")
elif not receiver.is_served():
    st.warning("This process does not serve the receiver: start the dashboard with `streamlit run app.py`.",
               icon=":material/warning:")
if own is not None:
    st.success(f"Registered as webhook #{own.id}: events arrive here.", icon=":material/check_circle:")
elif (st.button("Use this dashboard as the receiver", type="primary", icon=":material/bolt:",
                disabled=bool(url_problem))
      and create_webhook(receiver_url, masked(receiver_url, secret)) is not None):
    st.rerun()


def visible_conversations() -> frozenset[int] | None:
    """The conversations whose events this credential may see: all (None) for an API key; a user's own list."""
    if workspace.kind == "api_key":
        return None
    try:
        return frozenset(c.id for c in reads.CONVERSATIONS.fetch(status="all"))
    except CeoxError:
        return frozenset()


@st.fragment(run_every="2s")
def received_events() -> None:
    # A bounded read and a bounded render: this runs every 2 seconds, whatever senders stored.
    visible = visible_conversations()
    events = receiver.recent_events(workspace.workspace_id, limit=receiver.SHOWN, conversation_ids=visible)
    total = receiver.event_count(workspace.workspace_id, conversation_ids=visible)
    shown = f" · the newest {len(events):,} shown" if total > len(events) else ""
    st.caption(f"{total:,} {'event' if total == 1 else 'events'} stored{shown} · refreshed every 2 seconds")
    if not events:
        st.text("No events received yet.")
        return
    texts = ("from", "name", "body", "media_type", "media_url", "wa_message_id", "timestamp")
    events = [event | {name: receiver.fit_text(str(event.get(name) or ""), receiver.PREVIEW_CHARS) for name in texts}
              for event in events]
    with st.container(border=True):
        for event in events[:10]:
            media = f" [{event['media_type']}]" if event["media_type"] else ""
            st.text(f"{clock.time(event['received_at'])} · {event.get('event', '')} · conversation "
                    f"{event.get('conversation_id')}"
                    f" · {event['from']} {event['name']}: {event['body']}{media}")
    frame = pd.DataFrame(events, columns=["received_at", "event", "conversation_id", "from", "name", "body",
                                          "media_type", "is_group"])
    frame["received_at"] = clock.texts(frame["received_at"])
    st.dataframe(frame, hide_index=True, width="stretch", height=table_height(len(frame)), column_config={
        "received_at": "Received", "event": "Event", "conversation_id": "Conversation", "from": "From",
        "name": "Name", "body": "Message", "media_type": "Media", "is_group": "Group"})


st.markdown("**Received events**")
received_events()

# --- registered webhooks ------------------------------------------------------------------------------
st.divider()
st.subheader("Registered webhooks")
if deliveries_problem:
    st.caption(plain(deliveries_problem))
elif not is_sandbox:
    st.caption("The delivery log is only available on the sandbox; health here comes from test events.")
if not hooks:
    st.info("No webhooks yet.", icon=":material/webhook:")

for hook in hooks:
    tests = webhooks.recent_tests(workspace.workspace_id, hook.id)
    attempts = webhooks.attempts_from_tests(tests) + webhooks.attempts_from_deliveries(deliveries, hook.id)
    state = webhooks.health(attempts)
    with st.container(border=True):
        info, actions = st.columns([3, 1])
        with info:
            st.code(hook.url, language=None)
            st.text(f"#{hook.id} · events: {', '.join(hook.events) or EVENT} · "
                    f"{'active' if hook.active else 'inactive'} · created {clock.time(hook.created_at)}"
                    + (" · this dashboard" if own is not None and hook.id == own.id else ""))
            color = {"healthy": "green", "degraded": "orange", "failing": "red", "unknown": "gray"}[state.state]
            st.markdown(f":{color}-badge[{state.badge}]")
            st.text(state.sentence)
        with actions:
            if st.button("Send test event", key=f"test_webhook_{hook.id}", icon=":material/send:", width="stretch"):
                with st.spinner("Sending a test event…"):
                    # This dashboard's own receiver may sit on a private address: that one address is trusted.
                    policy = workspace.policy()
                    if own is not None and hook.id == own.id:
                        policy = policy.trusting(hook.url)
                    result = webhooks.send_test_event(hook.url, policy)
                webhooks.record_test(workspace.workspace_id, hook.id, result)
                st.rerun()
            if st.button("Delete", key=f"delete_webhook_{hook.id}", icon=":material/delete:", width="stretch"):
                st.session_state[DELETE_KEY] = hook.id
        if tests:
            last = tests[0]
            (st.success if last.ok else st.error)(f"Last test event ({clock.time(last.time)})",
                                                 icon=":material/science:")
            st.text(last.summary)
        if is_sandbox and not deliveries_problem:
            mine = [d for d in deliveries if d.webhook_id == hook.id][::-1][:50]
            noun = "the most recent attempt" if len(mine) == 1 else f"the {len(mine):,} most recent attempts"
            with st.expander(f"Delivery log ({noun if mine else 'no attempts yet'})"):
                log = pd.DataFrame([{"Time": clock.time(d.time), "Attempt": d.attempt, "Event": d.event,
                                     "Conversation": d.conversation_id,
                                     "Result": (delivery_problem(d.status_code, d.error)
                                                or f"delivered ({d.status_code})"),
                                     "Took": "" if d.duration_ms is None else f"{d.duration_ms:,} ms"} for d in mine],
                                   columns=["Time", "Attempt", "Event", "Conversation", "Result", "Took"])
                st.dataframe(log, hide_index=True, width="stretch", height=table_height(len(log)))
if is_sandbox and not deliveries_problem and st.button("Refresh the delivery log", icon=":material/refresh:"):
    reads.invalidate()
    st.rerun()


@st.dialog("Delete webhook?")
def confirm_delete() -> None:
    hook_id = st.session_state[DELETE_KEY]
    hook = next((h for h in hooks if h.id == hook_id), None)
    if hook is None:
        st.session_state.pop(DELETE_KEY)
        st.rerun()
    st.write(f"Webhook #{hook.id} stops receiving events at once. This cannot be undone.")
    st.code(hook.url, language=None)
    delete_col, cancel_col = st.columns(2)
    if delete_col.button("Delete webhook", type="primary"):
        st.session_state.pop(DELETE_KEY)
        ok, message, _ = session.run_write("webhook.delete", masked(hook.url, secret),
                                           lambda c: c.webhooks.delete(hook.id))
        if ok:
            reads.invalidate()
            st.toast(f"Webhook #{hook.id} deleted.", icon=":material/delete:")
        else:
            st.session_state["webhook_delete_error"] = message
        st.rerun()
    if cancel_col.button("Cancel"):
        st.session_state.pop(DELETE_KEY)
        st.rerun()


if st.session_state.get(DELETE_KEY):
    confirm_delete()
if st.session_state.get("webhook_delete_error"):
    st.error(plain(st.session_state.pop("webhook_delete_error")), icon=":material/error:")

with st.form("add_webhook"):
    st.markdown("**Add a webhook**")
    new_url = st.text_input("URL", placeholder="https://example.com/hooks/ceox", max_chars=2048, key="new_webhook_url")
    st.caption("https:// (plain http only for localhost and 127.0.0.1), no user name or password in the URL. "
               f"It receives a POST for every {EVENT} event.")
    if st.form_submit_button("Add webhook", type="primary", icon=":material/add_link:"):
        problem = validation.webhook_url(new_url) or workspace.policy().address_problem(new_url.strip())
        if problem:
            st.error(plain(problem), icon=":material/error:")
        elif any(h.url == new_url.strip() for h in hooks):
            st.warning("That URL is registered already.", icon=":material/info:")
        elif create_webhook(new_url.strip(), masked(new_url.strip(), secret)) is not None:
            st.rerun()

# --- API keys -----------------------------------------------------------------------------------------
st.divider()
st.subheader("API keys")
if not is_sandbox:
    st.write("Keys of a real workspace are created and revoked on the CEOX web app's **API Keys** page. "
             "Create one there, then paste it on the Connect page: it is checked live before it is used.")
    st.page_link(navigation.CONNECT_PAGE.path, label="Connect with an API key", icon=":material/key:")
elif workspace.kind != "api_key":
    st.caption("Managing the sandbox's API keys needs an API-key connection.")
else:
    try:
        keys = reads.API_KEYS.fetch()
    except CeoxError as exc:
        st.error(plain(explain_error(exc)), icon=":material/error:")
        keys = []
    in_use = workspace.secret[:9]
    frame = pd.DataFrame([{"id": k.id, "name": k.name, "key": f"{k.key_prefix}…", "created": clock.time(k.created_at),
                           "revoked": clock.time(k.revoked_at) if k.revoked_at else "",
                           "in use": k.key_prefix == in_use and not k.revoked_at} for k in keys],
                         columns=["id", "name", "key", "created", "revoked", "in use"])
    st.dataframe(frame, hide_index=True, width="stretch")
    new_key = st.session_state.get(NEW_KEY)
    if new_key:
        st.success(f"Key #{new_key['id']} created. Copy it now: it is not shown again.", icon=":material/key:")
        st.code(new_key["key"], language=None)
        switch_col, forget_col = st.columns(2)
        if switch_col.button("Switch the dashboard to this key", icon=":material/swap_horiz:"):
            try:
                switched = connect(workspace.base_url, api_key=new_key["key"], source=workspace.source)
            except ConnectError as exc:
                st.error(plain(str(exc)), icon=":material/error:")
            else:
                st.session_state.pop(NEW_KEY)
                session.use(switched)
                reads.invalidate()
                st.rerun()
        if forget_col.button("Done, hide the key"):
            st.session_state.pop(NEW_KEY)
            st.rerun()
    create_col, revoke_col = st.columns(2)
    with create_col, st.form("create_api_key", clear_on_submit=True):
        key_name = st.text_input("Name of the new key", max_chars=200, placeholder="CRM integration",
                                 key="new_api_key_name")
        if st.form_submit_button("Create key", icon=":material/add:"):
            problem = validation.name(key_name)
            if problem:
                st.error(problem)
            else:
                ok, message, created = session.run_write("api_key.create", key_name.strip(),
                                                          lambda c: c.sandbox.create_api_key(key_name.strip()))
                if ok:
                    st.session_state[NEW_KEY] = {"id": created.id, "key": created.key.get_secret_value()}
                    reads.invalidate()
                    st.rerun()
                st.error(plain(message))
    with revoke_col:
        active = [k for k in keys if not k.revoked_at]
        choice = st.selectbox("Key to revoke", active, index=None, placeholder="Choose a key", key="api_key_to_revoke",
                              format_func=lambda k: f"#{k.id} · {k.name} · {k.key_prefix}…")
        using_it = choice is not None and choice.key_prefix == in_use
        if using_it:
            st.caption("The dashboard uses this key: switch to another key before revoking it.")
        if st.button("Revoke key", icon=":material/key_off:", disabled=choice is None or using_it):
            ok, message, _ = session.run_write("api_key.revoke", f"#{choice.id}",
                                               lambda c: c.sandbox.revoke_api_key(choice.id))
            if ok:
                reads.invalidate()
                st.toast(f"Key #{choice.id} revoked.", icon=":material/key_off:")
                st.rerun()
            st.error(plain(message))
