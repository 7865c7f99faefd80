"""``booth delivery check|setup|queue`` against a real SeaweedFS server: one line per step, a failing step
named with its cause, the bucket's lifecycle rule written by setup, and the outbox printed from the data
folder's database."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from booth.cli import main
from booth.config.outbound import DeliverySettings
from booth.delivery import Delivery
from booth.storage import Storage

pytestmark = pytest.mark.s3


def write_config(path: Path, **delivery) -> Path:
    lines = ["[delivery]"]
    for key, value in delivery.items():
        lines.append(f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def config(seaweed, tmp_path):
    keys = seaweed.env_file(tmp_path / "s3.env")

    def make(**overrides) -> Path:
        values = {
            "endpoint_url": seaweed.endpoint,
            "bucket": seaweed.bucket,
            "prefix": "cli",
            "credentials_file": str(keys),
            "timeout_s": 5,
            **overrides,
        }
        return write_config(tmp_path / "booth.toml", **values)

    return make


def booth(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).splitlines()


def test_check_passes_step_by_step_and_leaves_no_probe(seaweed, config, tmp_path, capsys):
    code, lines = booth(capsys, "delivery", "check", "--config", str(config()), "--data", str(tmp_path / "d"))
    assert code == 0, lines
    steps = [line.split()[:2] for line in lines[:-1]]
    assert steps == [["ok", name] for name in ("keys", "bucket", "put", "head", "get", "list", "delete")]
    assert lines[-1] == "delivery check passed: links will be presigned"
    assert not [k for k in seaweed.keys("cli/") if ".booth-probe" in k]


def test_check_names_the_failing_step_and_its_cause(seaweed, config, tmp_path, capsys):
    data = str(tmp_path / "d")
    wrong = tmp_path / "wrong.env"
    wrong.write_text(f"AWS_ACCESS_KEY_ID={seaweed.access_key}\nAWS_SECRET_ACCESS_KEY=not-the-secret\n")
    wrong.chmod(0o600)
    code, lines = booth(
        capsys, "delivery", "check", "--config", str(config(credentials_file=str(wrong))), "--data", data
    )
    assert code == 1
    assert lines[-1].startswith("FAIL  bucket") and "refused the booth's keys" in lines[-1]
    assert "not-the-secret" not in "\n".join(lines)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, lines = booth(
        capsys,
        "delivery",
        "check",
        "--config",
        str(config(endpoint_url=f"http://127.0.0.1:{port}")),
        "--data",
        data,
    )
    assert code == 1
    assert (
        lines[-1] == f"FAIL  bucket       bucket unreachable at http://127.0.0.1:{port}: connection refused;"
        " check delivery.endpoint_url and that the server is up"
    )

    code, lines = booth(
        capsys,
        "delivery",
        "check",
        "--config",
        str(config(credentials_file=str(tmp_path / "no.env"))),
        "--data",
        data,
    )
    assert code == 1 and lines[-1].startswith("FAIL  keys") and "credentials file not found" in lines[-1]


def test_setup_writes_the_lifecycle_rule_and_leaves_a_presigned_bucket_private(
    seaweed, config, tmp_path, capsys
):
    admin = seaweed.env_file(tmp_path / "admin.env")
    args = ("delivery", "setup", "--config", str(config(expire_days=12)), "--data", str(tmp_path / "d"))
    code, lines = booth(capsys, *args, "--credentials", str(admin))
    assert code == 0, lines
    assert any("expire after 12 days" in line for line in lines)
    assert lines[-1] == "policy: unchanged (presigned links: the bucket stays private)"
    rules = seaweed.client().get_bucket_lifecycle_configuration(Bucket=seaweed.bucket)["Rules"]
    assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules if r["ID"] == "booth-expire"] == [
        ("cli/", 12)
    ]


def test_queue_prints_pending_and_failing_jobs_with_their_reason(config, tmp_path, capsys, media):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
    from gallery_seed import seed_gallery

    data = tmp_path / "d"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = config(endpoint_url=f"http://127.0.0.1:{port}")
    with Storage(data) as storage:
        session, _ = seed_gallery(storage, media)
        settings = DeliverySettings.model_validate(
            {
                "enabled": True,
                "bucket": "photos",
                "endpoint_url": f"http://127.0.0.1:{port}",
                "credentials_file": str(tmp_path / "s3.env"),
            }
        )
        delivery = Delivery.from_settings(settings, storage, 92)
        assert delivery.deliver(session.id) is not None
        assert delivery.uploader.run_once()  # one attempt, against a port nobody listens on
    code, lines = booth(capsys, "delivery", "queue", "--config", str(path), "--data", str(data))
    assert code == 0
    assert lines[0].startswith("delivery off: http://127.0.0.1:")
    # Four photos (a view, the original, and the crops of the three that have them) and the page: 15 jobs.
    assert lines[1] == "pending 14, failing 1, done 0"
    failing = [line for line in lines if line.strip().startswith("failing ")]
    assert len(failing) == 1 and "00001-approachable-view.jpg (tried 1x)" in failing[0]
    assert failing[0].endswith(
        f"bucket unreachable at http://127.0.0.1:{port}: connection refused; the upload is retried"
    )


def test_a_setup_step_the_provider_lacks_says_what_to_do_instead():
    from booth.commands.delivery import _setup_error
    from booth.delivery.s3 import BucketRefused, BucketUnsupported

    lacking = _setup_error(BucketUnsupported("r2 does not support writing the bucket policy (501)"), "policy")
    assert lacking.startswith("r2 does not support") and "delivery.public_url" in lacking
    refused = BucketRefused("aws refused the booth's keys (AccessDenied)", "check keys")
    blocked = _setup_error(refused, "policy")
    assert "Block Public Access" in blocked and "\n" not in blocked
