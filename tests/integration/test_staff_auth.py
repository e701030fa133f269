"""Staff tokens in AWS: RS256, keys from the identity provider's JWKS URL."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.staff_auth import StaffAuth, StaffAuthConfig
from chalicelib.scheduling.errors import Unauthorized

NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url():
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/.well-known/jwks.json"
    httpd.shutdown()


def signed(key, claims: dict, algorithm: str = "RS256", kid: str = "k1") -> str:
    base = {"iss": ISSUER, "aud": "citizen-scheduler", "sub": "u-1", "iat": int(NOW.timestamp()),
            "exp": int((NOW + timedelta(hours=1)).timestamp()), "custom:office": "salou-oac",
            "custom:agent": "agent-anna", "custom:role": "supervisor"}
    return jwt.encode({**base, **claims}, key, algorithm=algorithm, headers={"kid": kid})


def test_a_cognito_style_token_maps_to_office_agent_and_role(jwks_url):
    auth = StaffAuth(StaffAuthConfig(issuer=ISSUER, jwks_url=jwks_url))
    principal = auth.verify(f"Bearer {signed(KEY, {})}", NOW)
    assert (principal.office_id, principal.agent_id, principal.role) == ("salou-oac", "agent-anna", "supervisor")


@pytest.mark.parametrize("token", [
    lambda: signed(OTHER, {}),  # signed by someone else
    lambda: signed(KEY, {"iss": "https://evil.example"}),
    lambda: signed(KEY, {"aud": "another-app"}),
    lambda: signed(KEY, {"exp": int((NOW - timedelta(minutes=5)).timestamp())}),
    lambda: signed(KEY, {"custom:role": "admin"}),
    lambda: jwt.encode({"iss": ISSUER, "aud": "citizen-scheduler", "sub": "x", "iat": 1, "exp": 4102444800},
                       "secret-of-at-least-thirty-two-bytes!!", algorithm="HS256"),  # algorithm swap
])
def test_anything_else_is_refused(jwks_url, token):
    auth = StaffAuth(StaffAuthConfig(issuer=ISSUER, jwks_url=jwks_url))
    with pytest.raises(Unauthorized):
        auth.verify(f"Bearer {token()}", NOW)


def test_without_a_key_source_nothing_is_accepted():
    with pytest.raises(Unauthorized):
        StaffAuth(StaffAuthConfig(issuer=ISSUER)).verify(f"Bearer {signed(KEY, {})}", NOW)
