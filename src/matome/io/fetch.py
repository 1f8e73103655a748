"""Fetching pages over HTTP(S), safely.

* Server-side request forgery guard: the host name is resolved, and the request is refused
  unless every address is public (not loopback, private, link-local, multicast, reserved,
  unspecified, shared/CGNAT, or an IPv6 form embedding such an IPv4 address). The
  connection is then made to the address that was checked (the ``Host`` header and TLS SNI
  carry the name), so a second DNS answer cannot swap in another address (DNS rebinding).
  Redirects are followed by hand, and every hop is checked the same way.
  ``allow_private=True`` turns the guard off (for pages on your own network).
* Connect and read timeouts, a size cap on the body, retries with exponential backoff on
  5xx answers, 429 and network errors/timeouts, and a minimum interval between requests
  to the same host.
* robots.txt is fetched (through the same guard) and respected for matome's user agent;
  a robots.txt that answers 4xx allows everything, 5xx or unreachable forbids (RFC 9309).
* The text encoding comes from the ``Content-Type`` header, else the page's ``<meta>``
  charset, else a BOM, UTF-8 or a guess by charset-normalizer (CP932 and EUC-JP pages).

Environment proxies are ignored on purpose: the guard can only vouch for connections it
makes itself.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
import urllib.robotparser
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urljoin, urlsplit

import httpx

from matome import __version__

USER_AGENT = f"matome/{__version__} (news comment digest)"
ROBOTS_AGENT = "matome"
REDIRECT_CODES = (301, 302, 303, 307, 308)
RETRY_CODES = (429, 500, 502, 503, 504)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``(address, port) -> True`` when connecting there is allowed without ``allow_private``.
AddressPolicy = Callable[[IPAddress, int], bool]
#: ``(host, port) -> addresses`` (strings).
Resolver = Callable[[str, int], list[str]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """A page that could not be fetched, with the URL and what went wrong."""

    def __init__(self, url: str, message: str, *, status: int | None = None):
        self.url = url
        self.message = message
        self.status = status
        super().__init__(f"{url}: {message}")


def is_public_address(ip: IPAddress, port: int = 0) -> bool:
    """True for an address on the public Internet (the default policy)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 address
            return is_public_address(ip.ipv4_mapped, port)
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(embedded, port):
            return False
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT)
    ):
        return False
    return ip.is_global


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the system resolver (duplicates removed, in order)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for info in infos:
        addr = info[4][0].split("%", 1)[0]
        if addr not in out:
            out.append(addr)
    return out


@dataclass(frozen=True)
class FetchResult:
    """A fetched page: the final URL, the body bytes and their decoded text."""

    url: str
    status: int
    content: bytes
    text: str
    encoding: str
    content_type: str
    redirects: tuple[str, ...] = ()  # the URLs that redirected, in order


@dataclass
class FetchOptions:
    allow_private: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_bytes: int = 10_000_000
    retries: int = 2  # extra attempts after the first
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_backoff: float = 30.0
    min_interval: float = 1.0  # seconds between requests to the same host
    max_redirects: int = 5
    respect_robots: bool = True
    user_agent: str = USER_AGENT
    verify: bool | str = True  # TLS verification (a CA bundle path is allowed)
    address_policy: AddressPolicy = field(default=is_public_address)
    resolver: Resolver = field(default=system_resolver)
    sleep: Callable[[float], None] = field(default=time.sleep)


# ---------------------------------------------------------------------------------------
# charset


_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_ALIASES = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "windows-31j": "cp932", "ms932": "cp932", "ms_kanji": "cp932", "csshiftjis": "cp932",
    "euc-jp": "euc_jis_2004", "x-euc-jp": "euc_jis_2004", "eucjp": "euc_jis_2004",
}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type or "", re.I)
    return _codec(m.group(1)) if m else None


def decode_body(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Body bytes to ``(text, encoding)``: header, BOM, ``<meta>`` charset, UTF-8, guess."""
    candidates: list[str] = []
    if content.startswith(b"\xef\xbb\xbf"):
        candidates.append("utf-8-sig")
    header = charset_from_content_type(content_type)
    if header:
        candidates.append(header)
    m = _META_CHARSET_RE.search(content[:8192])
    if m:
        meta = _codec(m.group(1).decode("ascii", "replace"))
        if meta:
            candidates.append(meta)
    candidates.append("utf-8")
    for enc in candidates:
        try:
            return content.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(content[:500_000]).best()
    if best is not None and best.encoding:
        try:
            return content.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    return content.decode("cp932", errors="replace"), "cp932"


# ---------------------------------------------------------------------------------------
# the fetcher


class Fetcher:
    """Fetches pages with the guard, limits and politeness described in the module."""

    def __init__(self, options: FetchOptions | None = None, **overrides):
        self.options = options or FetchOptions()
        for key, value in overrides.items():
            if not hasattr(self.options, key):
                raise TypeError(f"unknown fetch option {key!r}")
            setattr(self.options, key, value)
        o = self.options
        self._client = httpx.Client(
            timeout=httpx.Timeout(o.read_timeout, connect=o.connect_timeout),
            follow_redirects=False,
            trust_env=False,
            verify=o.verify,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._last: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- public -----------------------------------------------------------------------

    def get(self, url: str) -> FetchResult:
        """Fetch ``url``, following up to ``max_redirects`` redirects (each one checked)."""
        redirects: list[str] = []
        current = url
        for _ in range(self.options.max_redirects + 1):
            self.check_url(current)  # refuse before anything is sent, robots.txt included
            self._check_robots(current)
            response, content = self._request(current)
            if response.status_code in REDIRECT_CODES:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(current, f"redirect ({response.status_code}) without a Location", status=response.status_code)
                redirects.append(current)
                current = urljoin(current, location.strip())
                continue
            if response.status_code >= 400:
                raise FetchError(current, f"the server answered {response.status_code} {response.reason_phrase}".rstrip(), status=response.status_code)
            ctype = response.headers.get("content-type", "")
            text, encoding = decode_body(content, ctype)
            return FetchResult(current, response.status_code, content, text, encoding, ctype, tuple(redirects))
        raise FetchError(url, f"more than {self.options.max_redirects} redirects")

    # -- guard --------------------------------------------------------------------------

    def check_url(self, url: str) -> tuple[httpx.URL, str]:
        """Validate the URL and resolve its host; returns the URL and the address to use."""
        try:
            u = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as e:
            raise FetchError(url, f"not a valid URL ({e})") from None
        if u.scheme not in ("http", "https"):
            raise FetchError(url, f"only http and https URLs can be fetched, not {u.scheme or 'a relative URL'}")
        if not u.host:
            raise FetchError(url, "the URL has no host")
        if u.userinfo:
            raise FetchError(url, "URLs with a user name or password are not fetched")
        port = u.port or (443 if u.scheme == "https" else 80)
        host = u.raw_host.decode("ascii")
        try:
            literal = ipaddress.ip_address(host)
            addresses = [str(literal)]
        except ValueError:
            try:
                addresses = self.options.resolver(host, port)
            except (OSError, UnicodeError) as e:
                raise FetchError(url, f"cannot resolve host {host!r} ({e})") from None
        if not addresses:
            raise FetchError(url, f"host {host!r} has no address")
        ips: list[IPAddress] = []
        for a in addresses:
            try:
                ips.append(ipaddress.ip_address(a))
            except ValueError:
                raise FetchError(url, f"host {host!r} resolved to an invalid address {a!r}") from None
        if not self.options.allow_private:
            for ip in ips:
                if not self.options.address_policy(ip, port):
                    raise FetchError(
                        url,
                        f"refused: {host} resolves to the non-public address {ip} "
                        "(loopback, private, link-local or reserved); use --allow-private to fetch it",
                    )
        return u, str(ips[0])

    # -- one request ------------------------------------------------------------------

    def _wait_turn(self, host_key: str) -> None:
        o = self.options
        with self._lock:
            last = self._last.get(host_key)
            now = time.monotonic()
            wait = 0.0 if last is None else o.min_interval - (now - last)
            self._last[host_key] = now + max(wait, 0.0)
        if wait > 0:
            o.sleep(wait)

    def _request(self, url: str, *, max_bytes: int | None = None) -> tuple[httpx.Response, bytes]:
        o = self.options
        cap = o.max_bytes if max_bytes is None else max_bytes
        attempt = 0
        while True:
            u, ip = self.check_url(url)  # again on every attempt: resolution may change
            port = u.port or (443 if u.scheme == "https" else 80)
            name = u.raw_host.decode("ascii")
            self._wait_turn(f"{u.scheme}://{name}:{port}")
            target = u.copy_with(host=ip)
            bracketed = f"[{name}]" if ":" in name else name
            host_header = bracketed if u.port is None else f"{bracketed}:{u.port}"
            headers = {
                "Host": host_header,
                "User-Agent": o.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Language": "ja,en;q=0.5",
            }
            extensions = {"sni_hostname": name} if u.scheme == "https" else {}
            request = self._client.build_request("GET", target, headers=headers, extensions=extensions)
            error: str | None = None
            try:
                response = self._client.send(request, stream=True)
            except httpx.TimeoutException as e:
                error = f"timed out ({type(e).__name__})"
            except httpx.TransportError as e:
                error = f"network error: {e or type(e).__name__}"
            else:
                try:
                    if response.status_code in RETRY_CODES and attempt < o.retries:
                        delay = self._retry_after(response)
                        response.close()
                        attempt += 1
                        o.sleep(delay if delay is not None else min(o.backoff * 2 ** (attempt - 1), o.max_backoff))
                        continue
                    content = self._read_capped(response, url, cap)
                    return response, content
                except httpx.TimeoutException as e:
                    error = f"timed out while reading ({type(e).__name__})"
                except httpx.TransportError as e:
                    error = f"network error while reading: {e or type(e).__name__}"
                finally:
                    response.close()
            if attempt >= o.retries:
                tries = attempt + 1
                raise FetchError(url, f"{error} (after {tries} attempt{'s' if tries > 1 else ''})")
            attempt += 1
            o.sleep(min(o.backoff * 2 ** (attempt - 1), o.max_backoff))

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("retry-after", "").strip()
        if value.isdigit():
            return min(float(value), self.options.max_backoff)
        return None

    @staticmethod
    def _read_capped(response: httpx.Response, url: str, cap: int) -> bytes:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise FetchError(url, f"the page is larger than the limit of {cap:,} bytes ({int(length):,} bytes)")
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > cap:
                raise FetchError(url, f"the page is larger than the limit of {cap:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    # -- robots.txt -------------------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        if not self.options.respect_robots:
            return
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        rp = self._robots[origin]
        if rp is None:
            raise FetchError(url, f"{origin}/robots.txt could not be read (server error), so fetching is not allowed")
        if not rp.can_fetch(ROBOTS_AGENT, url):
            raise FetchError(url, f"robots.txt of {parts.netloc} does not allow matome to fetch this page")

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        rp = urllib.robotparser.RobotFileParser()
        url = origin + "/robots.txt"
        try:
            for _ in range(self.options.max_redirects + 1):
                response, content = self._request(url, max_bytes=500_000)
                if response.status_code in REDIRECT_CODES and response.headers.get("location"):
                    url = urljoin(url, response.headers["location"].strip())
                    continue
                break
            else:
                rp.parse([])
                return rp
        except FetchError as e:
            if e.message.startswith("refused"):
                raise
            return None  # unreachable: forbid (RFC 9309 §2.3.1.4)
        status = response.status_code
        if status >= 500:
            return None
        if status >= 400 or status in REDIRECT_CODES:
            rp.parse([])  # unavailable: everything allowed
            return rp
        text, _ = decode_body(content, response.headers.get("content-type"))
        rp.parse(text.splitlines())
        return rp


def fetch(url: str, *, allow_private: bool = False, **options) -> FetchResult:
    """Fetch one page with a fresh :class:`Fetcher` (see :class:`FetchOptions`)."""
    with Fetcher(FetchOptions(allow_private=allow_private), **options) as f:
        return f.get(url)
