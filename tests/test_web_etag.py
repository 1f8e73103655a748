"""Article pages carry an ETag (the hash of their bytes) and answer If-None-Match with a 304
that has no body and keeps every security header."""

from __future__ import annotations

import hashlib

import httpx

from matome.web.app import etags_of
from test_web_fixtures import base_url, wd

__all__ = ["base_url", "wd"]  # the shared fixtures, used by name


def get(url: str, **kw) -> httpx.Response:
    return httpx.get(url, timeout=30, **kw)


def test_article_page_etag_is_the_hash_of_its_bytes_and_revalidates_to_304(base_url, wd):
    url = f"{base_url}/articles/{wd.seed_id}"
    first = get(url)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag == '"' + hashlib.sha1(first.content).hexdigest() + '"'
    assert first.headers["cache-control"] == "no-cache"  # always revalidate

    again = get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        assert again.headers[name] == first.headers[name]

    listed = get(url, headers={"If-None-Match": f'"0000", W/{tag}'})
    assert listed.status_code == 304
    assert get(url, headers={"If-None-Match": "*"}).status_code == 304


def test_a_different_page_or_an_old_tag_gets_the_full_page(base_url, wd):
    url = f"{base_url}/articles/{wd.seed_id}"
    tag = get(url).headers["etag"]
    other = get(f"{base_url}/articles/{wd.xss_id}", headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.content
    assert other.headers["etag"] != tag
    stale = get(url, headers={"If-None-Match": '"' + "0" * 40 + '"'})
    assert stale.status_code == 200 and stale.headers["etag"] == tag
    missing = get(f"{base_url}/articles/999999", headers={"If-None-Match": "*"})
    assert missing.status_code == 404


def test_if_none_match_parsing():
    assert etags_of('"a", W/"b" ,"c"') == {'"a"', '"b"', '"c"'}
    assert etags_of("") == set()
