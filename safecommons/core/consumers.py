from channels.generic.websocket import AsyncJsonWebsocketConsumer

from safecommons.core.events import remember_server_loop


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """A signed-in person's live feed: events addressed to them (e.g. import progress)."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        remember_server_loop()
        self.group = f"user.{user.pk}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def event_message(self, message):
        await self.send_json(message["event"])
