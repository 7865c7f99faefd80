"""The links a client gets, fetched anonymously with urllib as a phone would: presigned links (page and every
image on it) work and the same objects unsigned do not; public links work once ``booth delivery setup`` has
written the bucket policy, and an object outside the prefix stays private."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import pytest
from delivery_helpers import wait_for

from booth.cli import main
from booth.delivery import Delivery

pytestmark = pytest.mark.s3

IMG = re.compile(r'<img src="([^"]+)"')
SAVE = re.compile(r'<a class="save" href="([^"]+)"')


def delivered(delivery: Delivery, session_id: int):
    delivery.start()
    try:
        record = delivery.deliver(session_id)
        assert record is not None
        wait_for(lambda: delivery.link_state(session_id).state == "done", what="the upload to finish")
    finally:
        delivery.stop()
    return record


def image_urls(page: bytes, base: str) -> list[str]:
    """Every object the page links: the views it shows inline, then the full-size files it offers."""
    text = page.decode()
    views = IMG.findall(text)
    assert len(views) == 4  # one view per photo shown
    downloads = SAVE.findall(text)
    assert len(downloads) == 4 + 3 * 2  # every original and crop is offered
    return [urljoin(base, unescape(url)) for url in views + downloads]


def test_presigned_links_work_anonymously_and_unsigned_ones_do_not(
    seaweed, bucket, delivery_settings, seeded
):
    storage, session, _ = seeded
    delivery = Delivery.from_settings(delivery_settings(link="presigned", link_days=2), storage, 92)
    record = delivered(delivery, session.id)
    assert "X-Amz-Signature=" in record.link and "X-Amz-Expires=172800" in record.link
    status, page = seaweed.anonymous_get(record.link)
    assert status == 200
    assert b"These links work until" in page  # the client is told when the signatures run out
    urls = image_urls(page, record.link)
    client = seaweed.client()
    for url in urls:
        assert "X-Amz-Signature=" in url
        status, body = seaweed.anonymous_get(url)
        assert status == 200, url
        key = url.split("?")[0].split(f"/{bucket}/", 1)[1]
        assert body == client.get_object(Bucket=bucket, Key=key)["Body"].read()
    unsigned = record.link.split("?")[0]
    assert seaweed.anonymous_get(unsigned)[0] == 403
    assert seaweed.anonymous_get(urls[0].split("?")[0])[0] == 403


def test_public_links_work_after_setup_and_the_rest_stays_private(
    seaweed, bucket, prefix, delivery_settings, seeded, tmp_path, capsys
):
    storage, session, _ = seeded
    settings = delivery_settings(link="public", expire_days=9)
    config = tmp_path / "booth.toml"
    config.write_text(
        "[delivery]\n"
        + "".join(f'{k} = "{v}"\n' for k, v in settings.model_dump(mode="json").items() if isinstance(v, str))
        + f"expire_days = {settings.expire_days}\n"
    )
    outside = f"private-{prefix}/secret.jpg"
    client = seaweed.client()
    client.put_object(Bucket=bucket, Key=outside, Body=b"not for the public")

    record = delivered(Delivery.from_settings(settings, storage, 92), session.id)
    assert "X-Amz-" not in record.link
    assert record.link == f"{seaweed.endpoint}/{bucket}/{record.folder}/index.html"
    assert seaweed.anonymous_get(record.link)[0] == 403  # not before the studio's setup

    assert main(["delivery", "setup", "--config", str(config), "--data", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "expire after 9 days" in out and f"arn:aws:s3:::{bucket}/{prefix}/*" in out

    status, page = seaweed.anonymous_get(record.link)
    assert status == 200
    assert b"removed after 9 days" in page
    urls = image_urls(page, record.link)
    for url in urls:
        assert url.startswith(f"{seaweed.endpoint}/{bucket}/{record.folder}/")
        assert seaweed.anonymous_get(url)[0] == 200, url
    assert seaweed.anonymous_get(f"{seaweed.endpoint}/{bucket}/{outside}")[0] == 403
    assert seaweed.anonymous_get(f"{seaweed.endpoint}/{bucket}?list-type=2&prefix={prefix}/")[0] == 403
    rules = client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert {"ID": "booth-expire", "Prefix": f"{prefix}/", "Days": 9} in [
        {"ID": r["ID"], "Prefix": r["Filter"]["Prefix"], "Days": r["Expiration"]["Days"]} for r in rules
    ]
