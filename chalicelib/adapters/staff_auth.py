"""Staff sign-in: bearer JWTs, RS256 against a JWKS URL (Cognito or any OIDC provider) in AWS,
HS256 with a local secret in the local stage and in tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..scheduling.errors import Unauthorized
from ..scheduling.staff import ROLES, Principal

AUDIENCE = "citizen-scheduler"


InvalidToken = Unauthorized  # missing, malformed, badly signed, expired or incomplete

@dataclass(frozen=True)
class StaffAuthConfig:
    issuer: str
    audience: str = AUDIENCE
    local_secret: str | None = None  # HS256, local stage only
    jwks_url: str | None = None  # RS256 in AWS
    leeway_seconds: int = 30


class StaffAuth:
    def __init__(self, config: StaffAuthConfig) -> None:
        self.config = config
        self._jwks: Any = None

    def verify(self, header: str | None, now: datetime) -> Principal:
        import jwt

        if not header or header[:7].lower() != "bearer " or not header[7:].strip():
            raise InvalidToken("Sign in: send 'Authorization: Bearer <token>'.")
        token = header[7:].strip()
        try:
            key, algorithms = self._key(token)
            claims = jwt.decode(
                token, key, algorithms=algorithms, audience=self.config.audience, issuer=self.config.issuer,
                leeway=self.config.leeway_seconds, options={"require": ["exp", "iat", "sub"], "verify_iat": False,
                                                            "verify_exp": False, "verify_nbf": False},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(f"The token is not valid: {type(error).__name__}.") from None
        stamp = now.timestamp()
        if claims["exp"] + self.config.leeway_seconds < stamp or claims.get("nbf", 0) - self.config.leeway_seconds > stamp:
            raise InvalidToken("The token has expired; sign in again.")
        office = claims.get("office") or claims.get("custom:office")
        agent = claims.get("agent") or claims.get("custom:agent") or claims["sub"]
        role = claims.get("role") or claims.get("custom:role") or "agent"
        if not isinstance(office, str) or not isinstance(agent, str) or role not in ROLES:
            raise InvalidToken("The token does not name an office, an agent and a role.")
        return Principal(office_id=office, agent_id=agent, role=role)

    def _key(self, token: str) -> tuple[Any, list[str]]:
        if self.config.jwks_url:
            import jwt

            if self._jwks is None:
                self._jwks = jwt.PyJWKClient(self.config.jwks_url, cache_keys=True, lifespan=3600, timeout=5)
            return self._jwks.get_signing_key_from_jwt(token).key, ["RS256"]
        if self.config.local_secret:
            return self.config.local_secret, ["HS256"]
        raise ValueError("no key configured")

    def issue_local(self, office_id: str, agent_id: str, role: str, now: datetime,
                    lifetime: timedelta = timedelta(hours=12)) -> str:
        """A local-stage token (``python -m chalicelib.cli staff-token``)."""
        import jwt

        if not self.config.local_secret:
            raise ValueError("local tokens need SCHEDULER_STAFF_JWT_SECRET (local stage only)")
        claims = {"iss": self.config.issuer, "aud": self.config.audience, "sub": agent_id, "agent": agent_id,
                  "office": office_id, "role": role, "iat": int(now.timestamp()),
                  "exp": int((now + lifetime).timestamp())}
        return jwt.encode(claims, self.config.local_secret, algorithm="HS256")
