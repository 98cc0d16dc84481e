"""oauthlib's OpenID Connect server, with PKCE limited to ``S256``.

oauthlib accepts ``plain`` and, when ``code_challenge_method`` is missing, assumes it (RFC 7636 §4.3).
The ID refuses both while it checks the authorization request — before anyone is sent to sign in — with
``invalid_request`` back to the client's registered redirect URI (RFC 7636 §4.4.1; RFC 9700 §2.1.1).
"""

from __future__ import annotations

from typing import Any

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server as OpenIDServer

CODE_CHALLENGE_METHODS = {"S256": code_challenge_method_s256}


class Server(OpenIDServer):
    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        # The plain OAuth 2 grant and the one the OpenID grant delegates to each check the method.
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant._code_challenge_methods = CODE_CHALLENGE_METHODS
