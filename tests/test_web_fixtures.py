"""Shared set-up for the web tests (no tests here): a real store and a real HTTP server.

The store is built once per test process through the real store API from the bundled seed
record and entries made in code, including hostile text (XSS fixtures).
"""

from __future__ import annotations

import contextlib
import random
import socket
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import uvicorn

from archive_factory import make_entry
from matome.io.archive import read_path
from matome.model import Votes
from matome.store import open_store
from matome.web import create_app

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "samples" / "000_c07ace8c3e04d92d.txt"
SCREENSHOTS = ROOT / "tests" / "screenshots"

XSS_TITLE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>見出し'
XSS_COMMENTS = [
    ('<script>alert("c1")</script>このコメントは表示されるだけのはず。', 40, 3),
    ('"><img src=x onerror="window.__pwned=1;alert(3)">画像タグの文字列です。', 12, 30),
    ("</script><script>window.__pwned=2;alert(4)</script>閉じタグの文字列。", 7, 7),
    ("<a href=\"javascript:alert(5)\">リンク風の文字列</a>は文字として出るべき。", 3, 9),
    ("{{ 7*7 }} と {% raw %} はテンプレートとして解釈されない。", 5, 1),
    ("政府の説明は分かりやすかったと思います。支持します。", 25, 2),
    ("説明が足りない。もっと丁寧に説明するべきだ。", 18, 11),
    ("説明は十分だったが、実行が遅いのが問題だ。", 9, 4),
    ("&lt;b&gt; はエスケープ済みの文字列としてそのまま出る。", 1, 0),
    ("税金の使い道を明らかにしてほしい。説明責任がある。", 30, 5),
]
XSS_URL = "javascript:alert(6)"

# enough distinct comments (> 150) for a two-level digest (top groups with fine groups inside)
_TOPICS = ["増税", "子育て支援", "年金制度", "物価高", "賃上げ", "教育無償化", "医療費", "防衛費", "再生可能エネルギー",
           "農業政策", "少子化対策", "地方創生", "観光客", "円安", "半導体産業", "住宅価格", "働き方改革", "介護現場",
           "公共交通", "災害対策"]
_VIEWS = ["には賛成だ", "には反対だ", "は慎重に進めるべきだ", "は急いで進めるべきだ", "の説明が足りない",
          "の効果を検証してほしい", "は若い世代のためになる", "は高齢者の負担が大きい", "は地方にこそ必要だ",
          "は都市部だけの話ではない"]
_REASONS = ["財源がはっきりしないから", "現場の声を聞いていないから", "海外の例を見ても明らかだから", "将来の世代に関わるから",
            "今の制度では限界があるから", "税金の使い道が見えないから", "生活が苦しくなっているから", "長い目で見れば得だから"]


def many_comments(n: int, seed: int = 3) -> list[tuple[str, int, int]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        text = f"{rng.choice(_TOPICS)}{rng.choice(_VIEWS)}。{rng.choice(_REASONS)}。"
        if rng.random() < 0.3:
            text += "もっと議論が必要だと思う。"
        if text not in seen:
            seen.add(text)
            out.append((text, rng.randint(0, 200), rng.randint(0, 80)))
    return out


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def running_server(app):
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yields the base URL."""
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class WebData:
    """The test archive and the ids of its articles."""

    def __init__(self, path: Path):
        self.path = path
        self.store = open_store(str(path))
        seed = read_path(str(SEED)).entries
        report = self.store.ingest_entries(seed)
        assert not report.failed and not report.digest_failures, report
        self.seed_id = report.article_ids[0]
        self.seed_entry = seed[0]

        xss = make_entry(910000, XSS_TITLE, XSS_COMMENTS, url=XSS_URL)
        xss = replace(xss, headline=replace(xss.headline, source='<b onmouseover="alert(7)">通信</b>'))
        report = self.store.ingest_entries([xss])
        assert not report.failed, report
        self.xss_id = report.article_ids[0]

        # an article fetched twice: its votes changed in between (vote history)
        comments = [("最初の意見です。賛成します。", 10, 2), ("反対の意見です。", 3, 8), ("中立の意見です。", 1, 1)]
        first = make_entry(920000, "投票の推移を確かめる記事", comments, url="https://example.jp/history")
        later = replace(
            first,
            thread=replace(
                first.thread,
                comments=tuple(replace(c, votes=Votes(c.votes.up + 5, c.votes.down + 1)) for c in first.thread.comments),
            ),
        )
        self.store.ingest_entries([first], observed_at="2025-02-13T09:00:00+00:00")
        report = self.store.ingest_entries([later], observed_at="2025-02-14T09:00:00+00:00")
        self.history_id = report.article_ids[0]
        self.history_comments = [(t, u + 5, d + 1) for t, u, d in comments]

        # a long thread: a two-level digest
        big = make_entry(950000, "二層の意見グループを持つ記事", many_comments(170), url="https://example.jp/two-level")
        report = self.store.ingest_entries([big])
        assert not report.failed and not report.digest_failures, report
        self.big_id = report.article_ids[0]

        # an article stored without a digest
        plain = make_entry(940000, "ダイジェストのない記事", [("少ない票", 1, 0), ("多い票", 50, 10), ("割れた票", 30, 30)],
                           url="https://example.jp/plain")
        report = self.store.ingest_entries([plain], digest=False)
        self.plain_id = report.article_ids[0]
        self.plain_entry = plain


_DATA: WebData | None = None


def web_data() -> WebData:
    """The shared test archive (built once per test process)."""
    global _DATA
    if _DATA is None:
        _DATA = WebData(Path(tempfile.mkdtemp(prefix="matome-web-")) / "web.db")
    return _DATA


@pytest.fixture(scope="session")
def wd() -> WebData:
    return web_data()


@pytest.fixture(scope="session")
def base_url(wd: WebData):
    """A read-only server (no token) over the shared archive."""
    with running_server(create_app(wd.store)) as url:
        yield url
