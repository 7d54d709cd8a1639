"""The connection pool: one keep-alive urllib3 PoolManager per client, TLS through certifi,
an optional proxy, rebuilt when the Configuration's TLS, pool or proxy settings change."""

from __future__ import annotations

import os
import weakref
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from mparticle.configuration import Configuration, check_base_url
from mparticle.transport.deadline import deadline_pool_classes

if TYPE_CHECKING:  # urllib3, ssl and certifi load with the first client, not at import
    import urllib3

__all__ = ["Pool"]

_LIVE: "weakref.WeakSet[Pool]" = weakref.WeakSet()  # every Pool, for the fork hook


def _forget_connections_in_child() -> None:
    """In a fork child, every pool starts over: its keep-alive connections are the parent's
    sockets, and a request on one would interleave with the parent's on the same connection."""
    for pool in list(_LIVE):
        pool._settings = None  # the next request builds a new manager (closing the child's copies)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_connections_in_child)


class Pool:
    """The urllib3 pool for one client, built from ``config`` (read again at each request)."""

    def __init__(self, config: Configuration, num_pools: int, maxsize: Optional[int]) -> None:
        from urllib3 import Retry

        self.config: Configuration = config
        self.num_pools = num_pools
        self.maxsize = maxsize
        self._settings: Optional[Tuple[Any, ...]] = None
        self._host_pools: Dict[str, Tuple[Any, str]] = {}
        self.manager: urllib3.PoolManager = self._build()
        self._no_retries = Retry.from_int(False, redirect=False)  # shared: Retry objects are immutable
        _LIVE.add(self)

    def _current_settings(self) -> Tuple[Any, ...]:
        c = self.config
        proxy_headers = tuple(sorted(c.proxy_headers.items())) if c.proxy_headers else ()
        return (
            c.verify_ssl,
            c.ssl_ca_cert,
            c.cert_file,
            c.key_file,
            c.connection_pool_size,
            c.proxy,
            proxy_headers,
        )

    def _build(self) -> urllib3.PoolManager:
        import ssl

        import certifi
        import urllib3

        c = self.config
        self._settings = self._current_settings()
        self._host_pools = {}
        kwargs: Dict[str, Any] = {
            "num_pools": self.num_pools,
            "maxsize": self.maxsize or c.connection_pool_size or 1,
            "cert_reqs": ssl.CERT_REQUIRED if c.verify_ssl else ssl.CERT_NONE,
            "ca_certs": c.ssl_ca_cert or certifi.where(),
            "cert_file": c.cert_file,
            "key_file": c.key_file,
            "retries": False,
        }
        manager: urllib3.PoolManager
        if c.proxy:
            manager = urllib3.ProxyManager(c.proxy, proxy_headers=_proxy_headers(c.proxy, c.proxy_headers), **kwargs)
        else:
            manager = urllib3.PoolManager(**kwargs)
        manager.pool_classes_by_scheme = deadline_pool_classes()  # type: ignore[assignment,unused-ignore]
        return manager

    def _current(self) -> urllib3.PoolManager:
        if self._current_settings() != self._settings:
            old, self.manager = self.manager, self._build()
            old.clear()
        return self.manager

    def _host_pool(self, manager: urllib3.PoolManager, url: str) -> Tuple[Any, str]:
        """The connection pool and request path for ``url``, parsed once per URL."""
        cached = self._host_pools.get(url)
        if cached is None or cached[0].pool is None:  # new URL, or the pool was closed/evicted
            from urllib3.util import parse_url

            check_base_url(url, "url")  # never a silent plain-HTTP default for a scheme-less URL
            parsed = parse_url(url)
            cached = (manager.connection_from_host(parsed.host, parsed.port, parsed.scheme), parsed.request_uri)
            if len(self._host_pools) > 64:
                self._host_pools.clear()
            self._host_pools[url] = cached
        return cached

    def open(
        self,
        method: str,
        url: str,
        headers: Dict[str, str],
        payload: Optional[bytes],
        fields: Any,
        timeout: Any,
    ) -> Any:
        """Send the request and read the status line and headers (the body is left unread)."""
        manager = self._current()
        options: Dict[str, Any] = {
            "headers": headers,
            "timeout": timeout,
            "retries": self._no_retries,
            "redirect": False,
            "preload_content": False,
            "decode_content": False,
        }
        if fields is None and not self.config.proxy:  # the common case: straight to the host's pool
            host_pool, path = self._host_pool(manager, url)
            return host_pool.urlopen(method, path, body=payload, assert_same_host=False, **options)
        check_base_url(url, "url")
        if fields is not None:  # form fields: urllib3 encodes the body itself
            return manager.request(method, url, fields=fields, **options)
        return manager.request(method, url, body=payload, **options)

    def close(self) -> None:
        """Close the pool's connections (new ones open on the next request)."""
        self.manager.clear()


def _proxy_headers(proxy: str, headers: Optional[Dict[str, str]]) -> Optional[Dict[str, str]]:
    """``headers``, plus Basic credentials from a ``user:password@`` proxy URL (unless given)."""
    from urllib.parse import unquote

    from urllib3.util import make_headers, parse_url

    auth = parse_url(proxy).auth
    if not auth or any(k.lower() == "proxy-authorization" for k in headers or {}):
        return headers
    return {**(headers or {}), **make_headers(proxy_basic_auth=unquote(auth))}
