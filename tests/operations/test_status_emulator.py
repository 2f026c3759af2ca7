"""`python -m operations status` against a moto server holding the example's two regions
(emulator/emulated_service.py: created with boto3 in seconds, no terraform)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator

import pytest

from config.loader import load_config
from emulator.emulated_service import deploy
from emulator.moto_server import ACCESS_KEY, SECRET_KEY, MotoServer, running_moto_server
from emulator.terraform import skip_or_fail
from operations.__main__ import main
from tools import update_status_doc

pytestmark = pytest.mark.slow  # a moto server process (about 5 s to start)

EXAMPLE = update_status_doc.ROOT / "config" / "example.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """The documentation's sample: us-east-1 as planned; eu-west-1 on an older model, its 5xx
    alarm in ALARM."""
    for module in ("moto", "flask", "werkzeug"):
        if importlib.util.find_spec(module) is None:
            skip_or_fail(f"{module} is not installed (the emulator tests need moto[server])")
    with running_moto_server(tmp_path_factory.mktemp("moto-status")) as running:
        running.set_sagemaker_endpoint_quotas(update_status_doc.QUOTAS)
        deploy(running, load_config(EXAMPLE), update_status_doc.sample_states())
        yield running


@pytest.fixture
def aws_env(server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)


def status_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["status", "--config", str(EXAMPLE), "--json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.usefixtures("aws_env")
def test_a_region_as_planned_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = status_json(capsys, "--region", "us-east-1")

    (region,) = document["regions"]
    assert (code, region["as_planned"], region["problems"]) == (0, True, [])
    assert region["endpoint_status"] == "InService"
    assert region["configuration"] == "as planned"
    assert region["variants"][0]["current_instances"] == 6
    assert region["variants"][0]["autoscaling_range"] == [2, 6]
    assert region["health_check"] == "healthy (1/1 checkers)"
    assert region["quotas"] == [
        {"instance_type": "ml.m5.xlarge", "quota": 20.0, "in_use": 6, "needed": 6, "headroom": 14.0}
    ]


@pytest.mark.usefixtures("aws_env")
def test_a_region_on_another_model_with_an_alarm_exits_1_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["status", "--config", str(EXAMPLE), "--stack", "serving-prod-eu-west-1"])
    out = capsys.readouterr().out

    assert code == 1
    assert "eu-west-1: not as planned: the endpoint runs configuration serving-prod-" in out
    assert "model serving-prod-d09a216c-v6, planned serving-prod-d09a216c" in out
    assert (
        "eu-west-1: not as planned: alarms in ALARM: serving-prod-eu-west-1-endpoint-5xx-rate"
        in out
    )
    assert "us-east-1" not in out


@pytest.mark.usefixtures("aws_env")
def test_the_quota_preflight_refuses_a_rollout_the_quota_cannot_hold(
    server: MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # 6 instances run; the rollout starts 6 more beside them: 12 > 10.
    server.set_sagemaker_endpoint_quotas({"ml.m5.xlarge": {"default": 20.0, "applied": 10.0}})
    try:
        code, document = status_json(capsys, "--region", "us-east-1", "--quota-only")
    finally:
        server.set_sagemaker_endpoint_quotas(update_status_doc.QUOTAS)

    assert code == 1
    assert document["regions"][0]["problems"] == [
        "quota 'ml.m5.xlarge for endpoint usage' is 10 with 6 in use: the next rollout starts 6 "
        "beside the live fleet; request at least 12 in Service Quotas"
    ]


@pytest.mark.usefixtures("aws_env")
def test_the_documented_status_output_is_what_the_command_prints(server: MotoServer) -> None:
    code, output = update_status_doc.run_status(server.endpoint_url, ACCESS_KEY, SECRET_KEY)
    documented = update_status_doc.doc_block(update_status_doc.DOC.read_text())

    assert documented == update_status_doc.document_block(code, output), (
        "docs/operations-status.md is stale: pipenv run python tools/update_status_doc.py"
    )
