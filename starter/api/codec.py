"""Temporal's remote codec protocol: the Temporal UI and CLI decode payloads through here.

``POST /codec/decode`` and ``POST /codec/encode`` take and answer
``{"payloads": [{"metadata": {name: base64}, "data": base64}]}`` (Temporal's ``Payloads``
in protobuf JSON). The UI calls them from the browser with the viewer's credentials, so
only those allowed to read orders see decoded data; everyone else sees ciphertext.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, WithJsonSchema
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from adapters.encryption import EncryptionCodec, UndecryptablePayload, UnknownEncryptionKey
from domain.access import Right
from starter.api.auth import Allowed
from starter.api.errors import error_responses, validation_error

PREFIX = "/codec"
# What the Temporal UI sends: its JSON body, the namespace, and the viewer's token when
# it is configured to pass it on.
_ALLOWED_HEADERS = ["Content-Type", "X-Namespace", "Authorization"]


def _from_base64(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        try:  # protobuf JSON accepts the URL-safe alphabet too
            return base64.urlsafe_b64decode(value)
        except (binascii.Error, ValueError):
            raise ValueError("is not valid base64") from None


# Padded base64, either alphabet (what both decoders above accept), stated for the schema.
_BASE64_PATTERN = r"^([A-Za-z0-9+/_-]{4})*([A-Za-z0-9+/_-]{2}==|[A-Za-z0-9+/_-]{3}=)?$"

Base64 = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(lambda raw: base64.b64encode(raw).decode(), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _BASE64_PATTERN, "format": "byte"}),
]


class CodecPayload(BaseModel):
    """One Temporal ``Payload`` in protobuf JSON: its bytes in base64."""

    metadata: dict[str, Base64] = Field(default_factory=dict, max_length=100)
    data: Base64 = b""

    @classmethod
    def of(cls, payload: Payload) -> CodecPayload:
        return cls.model_construct(metadata=dict(payload.metadata), data=payload.data)

    def to_payload(self) -> Payload:
        return Payload(metadata=self.metadata, data=self.data)


class CodecPayloads(BaseModel):
    # Bounded beside the 4 MiB body cap: a UI view decodes a page of payloads at a time.
    payloads: list[CodecPayload] = Field(max_length=10_000)


router = APIRouter(prefix=PREFIX, tags=["codec"])

_RESPONSES = error_responses(
    400, 422, e422="Not Temporal's Payloads JSON, or a payload that does not decrypt"
)


@router.post(
    "/encode",
    response_model=CodecPayloads,
    responses=_RESPONSES,
    dependencies=[Allowed(Right.DECODE_PAYLOADS)],
)
async def encode(body: CodecPayloads, request: Request) -> CodecPayloads:
    """Encrypt payloads with the newest key, as the worker would."""
    codec: EncryptionCodec = request.app.state.codec
    encoded = await codec.encode([p.to_payload() for p in body.payloads])
    return CodecPayloads(payloads=[CodecPayload.of(p) for p in encoded])


@router.post(
    "/decode",
    response_model=CodecPayloads,
    responses=_RESPONSES,
    dependencies=[Allowed(Right.DECODE_PAYLOADS)],
)
async def decode(body: CodecPayloads, request: Request) -> object:
    """Decrypt payloads (with the key each names); payloads not encrypted come back as
    they are."""
    codec: EncryptionCodec = request.app.state.codec
    decoded = []
    for index, payload in enumerate(body.payloads):
        try:
            decoded.append(codec.open(payload.to_payload()))
        except (UnknownEncryptionKey, UndecryptablePayload) as exc:
            return validation_error(
                [{"loc": ["body", "payloads", index], "msg": str(exc), "type": "undecryptable"}]
            )
    return CodecPayloads(payloads=[CodecPayload.of(p) for p in decoded])


class CodecCORS:
    """CORS for ``/codec`` only: the Temporal UI, served from another origin, calls it
    from the browser (a preflight first, for its JSON body and ``X-Namespace`` header).
    The rest of the API is not meant for browsers on other origins and gets no CORS."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self._app = app
        self._cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=_ALLOWED_HEADERS,
            allow_credentials=True,  # a UI configured to send its cookies or token
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            await self._cors(scope, receive, send)
        else:
            await self._app(scope, receive, send)
