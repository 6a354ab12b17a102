"""Where ntopng is and how to call its REST API: mcp-ntopng's `NTOPNG_*` variables, read one way by every service.

`NTOPNG_HOST` is written as ntopng users write it: `ntop.example.com`, `ntop.example.com:3000`,
`https://ntop.example.com`, `http://10.0.0.5:3000/`.

* With a scheme it is used as written: the scheme's default port when none is given, a trailing `/` dropped, a
  path prefix (ntopng behind a reverse proxy) kept.
* Without a scheme it is https, as mcp-ntopng builds its REST URL (`https://{NTOPNG_HOST}`), with the port given
  or 443; `NTOPNG_SECURE=false` makes it http, on ntopng's default web port 3000 when none is given.
  mcp-ntopng's REST calls ignore `NTOPNG_SECURE` (there it switches the ClickHouse client's TLS only) and are
  always https: unset, it means https here too.
* `NTOPNG_VERIFY` (default true) checks ntopng's TLS certificate; `NTOPNG_API_KEY` is the token sent as
  `Authorization: Token <key>`. Without a token, `NTOPNG_USER` and `NTOPNG_PASSWORD` are sent as HTTP basic auth
  (ntopng accepts both on its REST API).

mcp-ntopng also uses `NTOPNG_HOST` as the ClickHouse host: `host_name` gives that host alone.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator

from netscope_ntopng.rest.client import NtopngClient

NTOPNG_HTTP_PORT = 3000
"""ntopng's default web server port (`-w 3000`, plain http)."""

_EXAMPLES = "e.g. ntop.example.com, ntop.example.com:3000, https://ntop.example.com or http://10.0.0.5:3000"


def rest_base_url(host: str, secure: bool | None = None) -> str:
    """ntopng's REST base URL from an `NTOPNG_HOST` value and `NTOPNG_SECURE` (see the module's rules).

    Raises ValueError saying what is wrong with the value and what is accepted.
    """
    text = host.strip()
    if not text:
        raise ValueError(f"NTOPNG_HOST is empty: set it to ntopng's web address ({_EXAMPLES})")
    has_scheme = "://" in text
    if has_scheme:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"NTOPNG_HOST {host!r}: the scheme must be http or https ({_EXAMPLES})")
    else:
        scheme = "http" if secure is False else "https"
    parts = urlsplit(text if has_scheme else f"{scheme}://{text}")
    if parts.netloc.rpartition("@")[2].count(":") > 1 and "[" not in parts.netloc:
        raise ValueError(f"NTOPNG_HOST {host!r}: write an IPv6 address in brackets, e.g. [fd00::5]:3000")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"NTOPNG_HOST {host!r}: the port must be a number from 1 to 65535 ({exc})") from None
    if port == 0:
        raise ValueError(f"NTOPNG_HOST {host!r}: the port must be a number from 1 to 65535")
    if not parts.hostname:
        raise ValueError(f"NTOPNG_HOST {host!r} names no host ({_EXAMPLES})")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"NTOPNG_HOST {host!r} carries credentials: put ntopng's token in NTOPNG_API_KEY instead")
    if parts.query or parts.fragment:
        raise ValueError(f"NTOPNG_HOST {host!r}: no query or fragment is allowed ({_EXAMPLES})")
    netloc = parts.netloc
    if port is None and not has_scheme and scheme == "http":
        netloc = f"{netloc}:{NTOPNG_HTTP_PORT}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def host_name(host: str) -> str:
    """The host alone of an `NTOPNG_HOST` value ('http://10.0.0.5:3000/' -> '10.0.0.5'); a bare IPv6 as given."""
    text = host.strip()
    if "://" not in text and text.count(":") > 1 and not text.startswith("["):
        return text
    return urlsplit(text if "://" in text else f"//{text}").hostname or text


class NtopngSettings(BaseModel):
    """ntopng REST settings, mixed into a service's settings class (`class X(ServiceSettings, NtopngSettings)`).

    The `NTOPNG_*` variables are read without the service's prefix (they are mcp-ntopng's); the time limit
    is per service (`NETSCOPE_<SERVICE>_NTOPNG_TIMEOUT_SECONDS`). The service's settings need
    `populate_by_name=True` for the fields to be set by name in code.
    """

    ntopng_host: str = Field(
        "",
        validation_alias="NTOPNG_HOST",
        description="ntopng's web address: host[:port] (https; http on port 3000 with NTOPNG_SECURE=false) or a URL",
    )
    ntopng_secure: bool | None = Field(
        None, validation_alias="NTOPNG_SECURE", description="for a host without scheme: false = http (unset = https)"
    )
    ntopng_verify: bool = Field(True, validation_alias="NTOPNG_VERIFY", description="check ntopng's TLS certificate")
    ntopng_api_key: SecretStr = Field(
        SecretStr(""), validation_alias="NTOPNG_API_KEY", description="ntopng API token (`Authorization: Token`)"
    )
    ntopng_user: str = Field(
        "", validation_alias="NTOPNG_USER", description="ntopng user for HTTP basic auth (when NTOPNG_API_KEY is unset)"
    )
    ntopng_password: SecretStr = Field(
        SecretStr(""), validation_alias="NTOPNG_PASSWORD", description="password of NTOPNG_USER"
    )
    ntopng_timeout_seconds: float = Field(10, gt=0, le=120, description="time limit of one ntopng REST call")

    @field_validator("ntopng_host")
    @classmethod
    def _host_parses(cls, value: str) -> str:
        if value.strip():
            rest_base_url(value)
        return value

    def ntopng_url(self) -> str:
        """ntopng's REST base URL; ValueError naming NTOPNG_HOST when it is unset."""
        return rest_base_url(self.ntopng_host, self.ntopng_secure)

    def ntopng_client(self, *, retries: int = 2, time_left: Callable[[], float | None] | None = None) -> NtopngClient:
        """A client for the configured ntopng (`retries`: extra attempts of a GET, never of a POST; `time_left`:
        seconds to the caller's deadline, which every attempt fits into)."""
        return NtopngClient(
            self.ntopng_url(),
            self.ntopng_api_key.get_secret_value(),
            user=self.ntopng_user,
            password=self.ntopng_password.get_secret_value(),
            timeout=self.ntopng_timeout_seconds,
            retries=retries,
            verify=self.ntopng_verify,
            time_left=time_left,
        )
