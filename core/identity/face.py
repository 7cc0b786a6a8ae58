"""Face + liveness verification (人脸核身) for real-name level 3: client and sandbox provider.

The protocol is the one such providers use: the server starts a certification for a name and ID
number (``init`` → ``certify_id``), the phone SDK runs the liveness check against the provider,
then the server asks for the result (``query``) — never trusting the phone's word. Requests are
signed (HMAC-SHA256 over the canonical body, as for SMS).

The sandbox keeps certifications in memory; ``POST /sandbox/face/_dev/perform`` plays the phone
(``outcome``: ``pass``, ``fail`` or ``spoof``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Router, post
from litestar.params import JSONBody

from core import errors
from core.integrations.sms import sign
from core.settings import Settings, get_settings

CERTIFY_TTL = 600

FACE_UNAVAILABLE = errors.define(
    "identity.face_unavailable",
    503,
    "人脸核验服务暂时不可用，请稍后再试",
    "The face verification service is temporarily unavailable; try again later",
)


def face_credentials(settings: Settings) -> tuple[str, str]:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else "zhushida-sandbox"
    return "zhushida-face", hmac.new(secret.encode(), b"face-sandbox", hashlib.sha256).hexdigest()


def _digest(id_number: str) -> str:
    return hashlib.sha256(id_number.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FaceResult:
    status: str  # pending | passed | failed
    score: float
    id_number_digest: str | None


class FaceClient:
    def __init__(self, base_url: str, app_key: str, app_secret: str, timeout: float = 5.0) -> None:
        self.base_url, self.app_key, self.app_secret, self.timeout = (
            base_url.rstrip("/"),
            app_key,
            app_secret,
            timeout,
        )

    async def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = {
            "app_key": self.app_key,
            "timestamp": int(time.time()),
            "nonce": secrets.token_hex(8),
            **payload,
        }
        body["signature"] = sign(body, self.app_secret)
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(f"{self.base_url}{path}", json=body)
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise FACE_UNAVAILABLE() from exc
        if data.get("code") != "OK":
            raise FACE_UNAVAILABLE(details={"provider_code": data.get("code")})
        return data

    async def init(self, name: str, id_number: str) -> str:
        return str(
            (await self._call("/init", {"name": name, "id_number": id_number}))["certify_id"]
        )

    async def query(self, certify_id: str) -> FaceResult:
        data = await self._call("/query", {"certify_id": certify_id})
        return FaceResult(
            str(data["status"]), float(data.get("score", 0.0)), data.get("id_number_digest")
        )

    @staticmethod
    def digest(id_number: str) -> str:
        return _digest(id_number)


def get_face_client(settings: Settings | None = None) -> FaceClient:
    settings = settings or get_settings()
    key, secret = face_credentials(settings)
    return FaceClient(f"{settings.effective_sandbox_url}/face", key, secret)


@dataclass
class _Certification:
    name: str
    id_digest: str
    created: float
    status: str = "pending"
    score: float = 0.0


@dataclass
class FaceSandboxState:
    app_key: str
    app_secret: str
    certifications: dict[str, _Certification] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def face_sandbox_router(settings: Settings) -> Router:
    key, secret = face_credentials(settings)
    state = FaceSandboxState(key, secret)

    def check(data: dict[str, Any]) -> dict[str, Any] | None:
        if data.get("app_key") != state.app_key:
            return {"code": "InvalidAppKey"}
        if not hmac.compare_digest(str(data.get("signature", "")), sign(data, state.app_secret)):
            return {"code": "SignatureDoesNotMatch"}
        return None

    @post("/init", sync_to_thread=False, status_code=200)
    def init(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        refused = check(data)
        if refused:
            return refused
        certify_id = "fc" + secrets.token_hex(12)
        with state.lock:
            state.certifications[certify_id] = _Certification(
                str(data.get("name")), _digest(str(data.get("id_number"))), time.time()
            )
        return {"code": "OK", "certify_id": certify_id}

    @post("/query", sync_to_thread=False, status_code=200)
    def query(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        refused = check(data)
        if refused:
            return refused
        with state.lock:
            cert = state.certifications.get(str(data.get("certify_id")))
        if cert is None or time.time() - cert.created > CERTIFY_TTL:
            return {"code": "OK", "status": "failed", "score": 0.0, "id_number_digest": None}
        return {
            "code": "OK",
            "status": cert.status,
            "score": cert.score,
            "id_number_digest": cert.id_digest,
        }

    @post("/_dev/perform", sync_to_thread=False, status_code=200)
    def perform(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """The phone runs the liveness check: ``pass`` (the right live person), ``fail`` (someone
        else), ``spoof`` (a photo or video)."""
        outcome = str(data.get("outcome", "pass"))
        with state.lock:
            cert = state.certifications.get(str(data.get("certify_id")))
            if cert is None:
                return {"code": "CertifyIdNotFound"}
            cert.status, cert.score = {"pass": ("passed", 0.97), "fail": ("failed", 0.31)}.get(
                outcome, ("failed", 0.0)
            )
        return {"code": "OK", "status": cert.status}

    return Router(path="/face", route_handlers=[init, query, perform])
