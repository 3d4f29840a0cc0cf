"""Devices (the workspace's WhatsApp numbers) and their live connection status."""

from __future__ import annotations

from ceox_api._call import Call, many
from ceox_api.assumptions import WA_STATUS_KEY
from ceox_api.models import Device, DeviceStatus
from ceox_api.resources._resource import Mode, Resource, endpoint


class Devices(Resource[Mode]):
    @endpoint
    def list(self) -> Call[list[Device]]:
        return Call("GET", "/devices", many(Device))


class WhatsApp(Resource[Mode]):
    @endpoint
    def status(self) -> Call[list[DeviceStatus]]:
        """Each device's connection status."""
        return Call("GET", "/wa/status", many(DeviceStatus, key=WA_STATUS_KEY))
