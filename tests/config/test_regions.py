"""The region lists are botocore's, and the provider accepts exactly the ones the check accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from config.loader import ConfigError, load_config
from config.regions import (
    BOTOCORE_SAGEMAKER_REGIONS,
    OTHER_PARTITION_REGIONS,
    PARTITION,
    PROVIDER_REFUSED_REGIONS,
    SAGEMAKER_REGIONS,
    botocore_regions,
)
from emulator.terraform import offline_terraform
from tests.support.configs import write_config

REFUSED = re.compile(r"invalid AWS Region: ([a-z0-9-]+)")
# Regions that opened in the two years before provider 5.100.0 (May 2025) or after it: the ones a
# provider's region table may lack. Each provider configuration starts its own plugin process
# (about 1.5 s of CPU), so the older regions, years older than the provider, are not re-measured.
RECENT_REGIONS = frozenset(
    {"ap-east-2", "ap-southeast-5", "ap-southeast-7", "ca-west-1", "mx-central-1"}
)


def test_commercial_regions_are_botocores() -> None:
    assert botocore_regions()[PARTITION] == BOTOCORE_SAGEMAKER_REGIONS, (
        "config/regions.py differs from botocore's runtime.sagemaker regions: update "
        "BOTOCORE_SAGEMAKER_REGIONS"
    )


def test_other_partitions_are_botocores() -> None:
    others = set().union(*(r for p, r in botocore_regions().items() if p != PARTITION))
    assert others == OTHER_PARTITION_REGIONS


def test_the_check_accepts_botocores_regions_but_the_providers_refusals() -> None:
    assert SAGEMAKER_REGIONS == BOTOCORE_SAGEMAKER_REGIONS - PROVIDER_REFUSED_REGIONS
    assert "ap-east-2" in SAGEMAKER_REGIONS
    assert "ap-southeast-6" not in SAGEMAKER_REGIONS


@pytest.mark.terraform
def test_provider_accepts_the_recent_regions_and_refuses_the_refused_ones(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # One configuration with a provider alias per region: `plan` configures every provider, and
    # each one the provider does not know fails with "invalid AWS Region".
    regions = sorted((RECENT_REGIONS & SAGEMAKER_REGIONS) | PROVIDER_REFUSED_REGIONS)
    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    workdir = tmp_path_factory.mktemp("regions")
    providers = [
        {
            "alias": region.replace("-", "_"),
            "region": region,
            "access_key": "offline",
            "secret_key": "offline",
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": True,
        }
        for region in regions
    ]
    data = {
        region.replace("-", "_"): {"provider": f"aws.{region.replace('-', '_')}"}
        for region in regions
    }
    config = {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}
        },
        "provider": {"aws": providers},
        "data": {"aws_region": data},
    }
    (workdir / "main.tf.json").write_text(json.dumps(config))
    terraform.run(workdir, "init", "-input=false", "-no-color")
    result = terraform.run(workdir, "plan", "-input=false", "-no-color", check=False)
    refused = set(REFUSED.findall(result.stdout + result.stderr))
    assert refused == set(PROVIDER_REFUSED_REGIONS), result.stderr[-2000:]


def test_a_region_the_provider_refuses_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"regions": ["us-east-1", "ap-southeast-6"]})
    with pytest.raises(ConfigError) as error:
        load_config(path)
    (problem,) = error.value.problems
    assert problem.startswith("regions[1]: ")
    assert "provider 5.100.0" in problem and "invalid AWS Region" in problem


def test_a_region_botocore_added_is_accepted(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"regions": ["us-east-1", "ap-east-2"]})
    assert load_config(path).regions == ["us-east-1", "ap-east-2"]
