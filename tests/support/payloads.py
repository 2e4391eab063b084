"""Reading a raw history the way someone without the keys would: every payload in it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent

from adapters.encryption import is_encrypted


def payloads(message: Message, path: str = "") -> Iterator[tuple[str, Payload]]:
    """Every ``Payload`` inside ``message``, with where it sits (``e0.….memo.fields[k]``)."""
    if isinstance(message, Payload):
        yield path, message
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if isinstance(item, Message):
                    yield from payloads(item, f"{path}.{field.name}[{key}]")
        elif field.is_repeated:
            for index, item in enumerate(value):
                yield from payloads(item, f"{path}.{field.name}[{index}]")
        else:
            yield from payloads(value, f"{path}.{field.name}")


def clear_payloads(events: Sequence[HistoryEvent]) -> list[str]:
    """Where the history holds a payload in clear, search attributes and the SDK's own
    marker details aside (Temporal must read the former; the SDK writes the latter itself:
    a ``workflow.patched`` change's name, a local activity's sequence number, type, attempt
    and times, its result beside them encrypted): none holds personal data."""
    return [
        path
        for index, event in enumerate(events)
        for path, payload in payloads(event, f"e{index}")
        if not is_encrypted(payload)
        and ".search_attributes." not in path
        and ".marker_recorded_event_attributes.details[patch-data]" not in path
        and ".marker_recorded_event_attributes.details[data]" not in path
    ]


def raw_bytes(events: Sequence[HistoryEvent]) -> bytes:
    """The events as the server stores them: any text in them, in any field, is in here."""
    return b"".join(event.SerializeToString() for event in events)
