"""tests/support/synth.py's cache: a repeated synth is the same Terraform, in a copy of its own."""

from __future__ import annotations

from config.models import ServiceConfig
from tests.support.configs import config_with
from tests.support.synth import synth_region


def test_a_repeated_synth_is_equal_and_a_copy(example_config: ServiceConfig) -> None:
    first = synth_region(example_config)
    first["resource"].clear()
    second = synth_region(example_config)
    assert second["resource"], "a caller's change reached the cache"
    assert second == synth_region(example_config, example_config.regions[0])


def test_another_region_or_configuration_is_synthesized_anew(
    example_config: ServiceConfig,
) -> None:
    home, other = example_config.regions[:2]
    assert (
        synth_region(example_config, other)["provider"]
        != synth_region(example_config, home)["provider"]
    )
    blue = config_with(endpoint__variant_name="blue")
    variants = synth_region(blue)["resource"]["aws_sagemaker_endpoint_configuration"]
    (body,) = variants.values()
    assert body["production_variants"][0]["variant_name"] == "blue"
