"""One fix to the Alipay SDK's HTTP helper, applied once: it ignores an explicit port in
``server_url`` (always connecting to 80/443) and then fails building the URL (``str + int``).

The replacement connects to the URL's own port and sends the request target in origin form
(``/gateway.do?...``, what HTTP/1.1 servers expect; the original sends the absolute URL, which only
some servers accept). Host, path, query and body are otherwise exactly the SDK's.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlparse

from alipay.aop.api.util import WebUtils

_installed = False


def _get_http_connection(url: str, query_string: str, timeout: float):
    parsed = urlparse(url)
    https = parsed.scheme == "https"
    port = parsed.port or (443 if https else 80)
    cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
    connection = cls(host=parsed.hostname, port=port, timeout=timeout)
    return f"{parsed.path or '/'}?{query_string}", connection


def install_port_fix() -> None:
    global _installed
    if not _installed:
        WebUtils.get_http_connection = _get_http_connection
        _installed = True
