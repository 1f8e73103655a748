"""Safe fetching against real local HTTP servers started here (http.server in a thread)."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from matome.cli import app
from matome.io.archive import read_path
from matome.io.fetch import FetchError, Fetcher, FetchOptions, decode_body, is_public_address
from matome.io.sources import SourceError, load_entries, load_source


class Server:
    """A local HTTP server; ``routes`` maps a path (with query) to a handler function
    ``(request) -> (status, headers, body)``; every request is logged."""

    def __init__(self):
        self.routes: dict[str, object] = {}
        self.log: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                server.log.append({"path": self.path, "host": self.headers.get("Host"),
                                   "ua": self.headers.get("User-Agent")})
                route = server.routes.get(self.path)
                if route is None:
                    status, headers, body = 404, {}, b"not found"
                else:
                    status, headers, body = route(self) if callable(route) else route
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/", host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    def paths(self):
        return [r["path"] for r in self.log]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def other():
    s = Server()
    yield s
    s.close()


def html(body: str, charset="utf-8", ctype=True):
    headers = {"Content-Type": f"text/html; charset={charset}"} if ctype else {"Content-Type": "text/html"}
    return 200, headers, body.encode(charset)


def public_port(port: int):
    """A policy that treats exactly 127.0.0.1:port as public (tests only)."""
    def policy(ip, p):
        if ip == ipaddress.ip_address("127.0.0.1") and p == port:
            return True
        return is_public_address(ip, p)
    return policy


def fetcher(**kw) -> Fetcher:
    kw.setdefault("min_interval", 0.0)
    kw.setdefault("backoff", 0.01)
    return Fetcher(FetchOptions(**kw))


PAGE = "<html><head><title>記事</title></head><body><article><h1>記事</h1><p>本文の段落です。十分に長い本文をここに書きます。市の計画について。</p></article></body></html>"


# ---------------------------------------------------------------------------------------
# the SSRF guard


def test_loopback_refused_without_the_flag_and_served_with_it(server):
    server.routes["/a"] = html(PAGE)
    with fetcher() as f, pytest.raises(FetchError) as info:
        f.get(server.url("/a"))
    assert "refused" in str(info.value) and "127.0.0.1" in str(info.value)
    assert server.log == []  # nothing was sent, not even robots.txt
    with fetcher(allow_private=True) as f:
        page = f.get(server.url("/a"))
    assert page.status == 200 and "本文の段落です" in page.text and page.encoding == "utf-8"
    assert server.paths() == ["/robots.txt", "/a"]
    assert server.log[-1]["ua"].startswith("matome/")


def test_name_is_resolved_checked_and_sent_as_host(server):
    server.routes["/a"] = html(PAGE)
    with fetcher() as f, pytest.raises(FetchError, match="refused"):
        f.get(server.url("/a", host="localhost"))
    # a made-up name resolved by an injected resolver to an address the policy allows
    seen = []

    def resolver(host, port):
        seen.append((host, port))
        return ["127.0.0.1"] if host == "news.example" else []

    with fetcher(resolver=resolver, address_policy=public_port(server.port)) as f:
        page = f.get(f"http://news.example:{server.port}/a")
    assert page.status == 200
    assert ("news.example", server.port) in seen
    assert server.log[-1]["host"] == f"news.example:{server.port}"  # connected to the checked IP


def test_any_private_address_among_several_is_refused(server):
    def resolver(host, port):
        return ["127.0.0.1", "10.0.0.8"]

    with fetcher(resolver=resolver, address_policy=public_port(server.port)) as f, pytest.raises(FetchError, match="10.0.0.8"):
        f.get(f"http://mixed.example:{server.port}/")
    assert server.log == []


@pytest.mark.parametrize("target", ["private", "localhost", "ten", "decimal"])
def test_redirect_from_a_public_server_into_a_private_address_is_refused(server, other, target):
    location = {
        "private": other.url("/secret"),
        "localhost": other.url("/secret", host="localhost"),
        "ten": "http://10.1.2.3/secret",
        "decimal": f"http://2130706433:{other.port}/secret",
    }[target]
    server.routes["/go"] = (302, {"Location": location}, b"")
    other.routes["/secret"] = html("<p>秘密</p>")
    with fetcher(address_policy=public_port(server.port)) as f, pytest.raises(FetchError) as info:
        f.get(server.url("/go"))
    assert "refused" in str(info.value)
    assert other.log == []  # the private server never saw a request
    assert server.paths() == ["/robots.txt", "/go"]


def test_redirects_on_the_allowed_server_are_followed_and_recorded(server):
    server.routes["/old"] = (301, {"Location": "/new"}, b"")
    server.routes["/new"] = (302, {"Location": server.url("/final")}, b"")
    server.routes["/final"] = html(PAGE)
    with fetcher(address_policy=public_port(server.port)) as f:
        page = f.get(server.url("/old"))
    assert page.url == server.url("/final")
    assert page.redirects == (server.url("/old"), server.url("/new"))
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with fetcher(address_policy=public_port(server.port), max_redirects=3) as f, pytest.raises(FetchError, match="redirects"):
        f.get(server.url("/loop"))


def test_is_public_address():
    private = ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "224.0.0.1",
               "0.0.0.0", "100.64.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
               "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1", "64:ff9b::a00:1"]
    public = ["8.8.8.8", "133.242.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
    assert [a for a in private if is_public_address(ipaddress.ip_address(a))] == []
    assert [a for a in public if not is_public_address(ipaddress.ip_address(a))] == []


def test_bad_urls():
    with fetcher() as f:
        for url, msg in [("ftp://example.com/", "only http"), ("file:///etc/passwd", "only http"),
                         ("http://user:pw@example.com/", "user name"), ("not a url", "only http")]:
            with pytest.raises(FetchError, match=msg):
                f.get(url)


# ---------------------------------------------------------------------------------------
# limits and politeness


def test_size_cap_with_and_without_content_length(server):
    big = b"<p>" + "あ".encode() * 2000 + b"</p>"
    server.routes["/len"] = (200, {"Content-Type": "text/html", "Content-Length": str(len(big))}, big)
    server.routes["/stream"] = (200, {"Content-Type": "text/html"}, big)  # HTTP/1.0: ends at close
    with fetcher(allow_private=True, max_bytes=1000) as f:
        for path in ("/len", "/stream"):
            with pytest.raises(FetchError, match="larger than the limit"):
                f.get(server.url(path))
    with fetcher(allow_private=True, max_bytes=10_000) as f:
        assert len(f.get(server.url("/stream")).content) == len(big)


def test_retries_with_backoff_on_server_errors(server):
    answers = iter([503, 502, 200])

    def flaky(_):
        status = next(answers)
        return (status, {"Content-Type": "text/html"}, PAGE.encode() if status == 200 else b"busy")

    server.routes["/flaky"] = flaky
    sleeps = []
    with fetcher(allow_private=True, retries=2, backoff=0.5, sleep=sleeps.append, respect_robots=False) as f:
        page = f.get(server.url("/flaky"))
    assert page.status == 200 and server.paths() == ["/flaky"] * 3
    assert sleeps == [0.5, 1.0]  # exponential backoff
    server.routes["/down"] = (500, {}, b"no")
    server.log.clear()
    with fetcher(allow_private=True, retries=1, sleep=sleeps.append, respect_robots=False) as f, pytest.raises(FetchError) as info:
        f.get(server.url("/down"))
    assert info.value.status == 500 and server.paths() == ["/down"] * 2


def test_retries_on_timeouts(server):
    def slow(_):
        time.sleep(1.0)
        return html(PAGE)

    server.routes["/slow"] = slow
    with fetcher(allow_private=True, retries=1, read_timeout=0.2, respect_robots=False) as f, pytest.raises(FetchError, match="timed out") as info:
        f.get(server.url("/slow"))
    assert "2 attempts" in str(info.value)
    assert server.paths() == ["/slow", "/slow"]


def test_per_host_rate_limit(server):
    server.routes["/a"] = html(PAGE)
    sleeps = []
    with fetcher(allow_private=True, min_interval=30.0, sleep=sleeps.append, respect_robots=False) as f:
        f.get(server.url("/a"))
        assert sleeps == []
        f.get(server.url("/a"))
        assert len(sleeps) == 1 and 25.0 < sleeps[0] <= 30.0
        f.get(server.url("/a", host="localhost"))  # another host: no wait
        assert len(sleeps) == 1


def test_robots_txt_is_respected(server):
    server.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"},
                                    b"User-agent: *\nDisallow: /private\n\nUser-agent: matome\nDisallow: /nomatome\n")
    for p in ("/public", "/private/x", "/nomatome"):
        server.routes[p] = html(PAGE)
    with fetcher(allow_private=True) as f:
        assert f.get(server.url("/public")).status == 200
        with pytest.raises(FetchError, match="robots.txt"):
            f.get(server.url("/nomatome"))
        assert f.get(server.url("/private/x")).status == 200  # matome's own group overrides *
    assert server.paths().count("/robots.txt") == 1  # cached
    assert "/nomatome" not in server.paths()


def test_robots_txt_server_error_forbids_and_missing_allows(server, other):
    server.routes["/robots.txt"] = (503, {}, b"")
    server.routes["/a"] = html(PAGE)
    other.routes["/a"] = html(PAGE)
    with fetcher(allow_private=True, retries=0) as f:
        with pytest.raises(FetchError, match="robots.txt"):
            f.get(server.url("/a"))
        assert f.get(other.url("/a")).status == 200  # 404 robots.txt: allowed


# ---------------------------------------------------------------------------------------
# charsets


JA = "<html><head>{meta}<title>文字コード</title></head><body><p>" + "日本語の記事本文です。漢字とひらがなとカタカナ。" * 20 + "</p></body></html>"


def test_charsets(server):
    server.routes["/header"] = html(JA.format(meta=""), charset="shift_jis")
    server.routes["/meta"] = (200, {"Content-Type": "text/html"},
                              JA.format(meta='<meta charset="Shift_JIS">').encode("cp932"))
    server.routes["/metahttp"] = (200, {"Content-Type": "text/html"},
                                  JA.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">').encode("euc_jp"))
    server.routes["/guess"] = (200, {"Content-Type": "text/html"}, JA.format(meta="").encode("cp932"))
    server.routes["/eucguess"] = (200, {"Content-Type": "text/html"}, JA.format(meta="").encode("euc_jp"))
    with fetcher(allow_private=True, respect_robots=False) as f:
        for path in ("/header", "/meta", "/metahttp", "/guess", "/eucguess"):
            page = f.get(server.url(path))
            assert "日本語の記事本文です" in page.text, path
    assert decode_body("①髙".encode("cp932"), "text/html; charset=Shift_JIS")[0] == "①髙"  # CP932 extensions
    assert decode_body(b"\xef\xbb\xbfabc")[1] == "utf-8-sig"


# ---------------------------------------------------------------------------------------
# sources and the command


def yahoo_state_page(base: str, page: int, text: str) -> bytes:
    state = {"articleDetail": {"headline": "分割記事", "media": {"mediaName": "テスト通信"},
                               "createDateTime": "2025-01-02T01:00:00Z",
                               "paragraphs": [{"head": "", "textDetails": [{"text": text}]}],
                               "newsLink": base, "currentPage": page, "maxPage": 2},
             "comment": {"commentCount": 5}}
    return (f"<html><head><title>分割記事（テスト通信） - Yahoo!ニュース</title></head><body>"
            f"<script>window.__PRELOADED_STATE__ = {json.dumps(state, ensure_ascii=False)}</script></body></html>").encode()


def test_load_source_url_fetches_all_pages_of_a_yahoo_article(server, tmp_path):
    base = server.url("/articles/abc")
    server.routes["/articles/abc"] = (200, {"Content-Type": "text/html; charset=utf-8"}, yahoo_state_page(base, 1, "一ページ目の本文。"))
    server.routes["/articles/abc?page=2"] = (200, {"Content-Type": "text/html; charset=utf-8"}, yahoo_state_page(base, 2, "二ページ目の本文。"))
    csv = tmp_path / "c.csv"
    csv.write_text("comment-body,agrees,disagrees\n読みました,2,1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="refused"):
        load_source(base)
    with fetcher(allow_private=True) as f:
        entry = load_source(base, comments=str(csv), fetcher=f)
    assert entry.title == "分割記事" and entry.headline.source == "テスト通信"
    assert entry.headline.published_text == "1/2(木) 10:00"
    assert entry.body.paragraphs == ("一ページ目の本文。", "二ページ目の本文。")
    assert [c.text for c in entry.comments] == ["読みました"]


def test_fetch_command(server, tmp_path):
    server.routes["/a"] = html("<html><head><meta property='og:title' content='コマンドの記事'>"
                               "<meta property='og:site_name' content='例え新聞'></head><body><article>"
                               "<p>コマンドで取得した本文の段落です。長い文章をここに書いておきます。</p></article></body></html>")
    runner = CliRunner()
    refused = runner.invoke(app, ["fetch", server.url("/a")])
    assert refused.exit_code == 2
    assert "refused" in refused.stderr and "Traceback" not in refused.stderr + refused.stdout
    out = tmp_path / "a.txt"
    ok = runner.invoke(app, ["fetch", server.url("/a"), "--allow-private", "-o", str(out)])
    assert ok.exit_code == 0, ok.stderr
    entry = read_path(out).entries[0]
    assert entry.title == "コマンドの記事" and entry.headline.source == "例え新聞"
    assert entry.body.paragraphs[0].startswith("コマンドで取得した本文")
    raw = tmp_path / "a.html"
    ok = runner.invoke(app, ["fetch", server.url("/a"), "--allow-private", "--raw", "-o", str(raw)])
    assert ok.exit_code == 0 and raw.read_bytes() == server.routes["/a"][2]


def test_split_article_stays_on_the_named_host_and_keeps_page_one_when_page_two_fails(server, other, tmp_path):
    # the page names another host inside (its canonical link): page 2 is fetched from ours
    foreign = other.url("/articles/abc")
    body = {"Content-Type": "text/html; charset=utf-8"}
    server.routes["/articles/abc"] = (200, body, yahoo_state_page(foreign, 1, "一ページ目の本文。"))
    server.routes["/articles/abc?page=2"] = (200, body, yahoo_state_page(foreign, 2, "二ページ目の本文。"))
    other.routes["/articles/abc?page=2"] = (200, body, yahoo_state_page(foreign, 2, "別ホストの二ページ目。"))
    with fetcher(allow_private=True) as f:
        result = load_entries(server.url("/articles/abc"), fetcher=f)
    assert result.entries[0].body.paragraphs == ("一ページ目の本文。", "二ページ目の本文。")
    assert not any("page 2" in w for w in result.warnings)
    assert other.paths() == [] and server.paths().count("/articles/abc?page=2") == 1
    # only when asked, the host inside the page
    with fetcher(allow_private=True) as f:
        result = load_entries(server.url("/articles/abc"), fetcher=f, other_hosts=True)
    assert result.entries[0].body.paragraphs == ("一ページ目の本文。", "別ホストの二ページ目。")
    assert "/articles/abc?page=2" in other.paths()

    # page 2 fails: page 1 is written, one warning line, exit 0
    del server.routes["/articles/abc?page=2"]
    out = tmp_path / "a.txt"
    r = CliRunner().invoke(app, ["fetch", server.url("/articles/abc"), "--allow-private", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert read_path(out).entries[0].body.paragraphs == ("一ページ目の本文。",)
    lines = [line for line in r.stderr.splitlines() if "page 2" in line]
    assert len(lines) == 1 and "page 2 of 2 failed" in lines[0] and "kept page 1 only" in lines[0]
    assert "Traceback" not in r.stderr
