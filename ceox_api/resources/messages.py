"""`POST /messages/send`: send to a phone number, creating the contact and conversation if new."""

from __future__ import annotations

import base64

from ceox_api._call import Call, given, one
from ceox_api.models import SendResult
from ceox_api.resources._resource import Mode, Resource, endpoint


def encode_media(media: bytes | None, media_base64: str | None, media_mime: str | None) -> str | None:
    """The base64 text to send, from raw bytes or text already encoded; checks the documented rule."""
    if media is not None and media_base64 is not None:
        raise ValueError("give media (bytes) or media_base64 (text), not both")
    encoded = base64.b64encode(media).decode("ascii") if media is not None else media_base64
    if encoded and not media_mime:
        raise ValueError("media_mime is required with media, for example 'image/jpeg'")
    return encoded


class Messages(Resource[Mode]):
    @endpoint
    def send(
        self,
        *,
        to: str,
        body: str | None = None,
        device_id: int | None = None,
        from_: str | None = None,
        name: str | None = None,
        media: bytes | None = None,
        media_base64: str | None = None,
        media_mime: str | None = None,
        media_filename: str | None = None,
    ) -> Call[SendResult]:
        """Send text or media (with `body` as caption) to an E.164 number. Never retried automatically.

        `device_id` or `from_` (a device's wa_jid or phone) picks the sending device; by default the
        first connected one. `name` names the contact only when the number is new.
        """
        fields = given(
            to=to,
            body=body,
            device_id=device_id,
            name=name,
            media_base64=encode_media(media, media_base64, media_mime),
            media_mime=media_mime,
            media_filename=media_filename,
        )
        if from_ is not None:
            fields["from"] = from_
        return Call("POST", "/messages/send", one(SendResult), json=fields)
