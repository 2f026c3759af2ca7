"""The verdict of one stack's plan: given a plan document, when judged, then this line and exit."""

from __future__ import annotations

from plan_safety import verdict
from tests.plan_safety.plans import (
    ALARM,
    AUTOSCALING_POLICY,
    AUTOSCALING_TARGET,
    CERTIFICATE,
    ENDPOINT,
    ENDPOINT_CONFIGURATION,
    HTTPS_LISTENER,
    LOAD_BALANCER,
    MODEL,
    STACK,
    VALIDATION_RECORD,
    endpoint_configuration,
    model_rollout,
    plan,
    resource,
)


def test_plan_without_changes_says_no_changes() -> None:
    result = verdict(plan(), STACK, [])
    assert result.line == f"{STACK}: no changes"
    assert (result.kind, result.exit_code, result.refused) == ("no changes", 0, [])


def test_no_op_and_read_are_ignored() -> None:
    document = plan(
        resource(LOAD_BALANCER, ["no-op"], {"name": "a"}, {"name": "a"}),
        resource("data.aws_caller_identity.account", ["read"], mode="data"),
    )
    assert verdict(document, STACK, []).line == f"{STACK}: no changes"


def test_in_place_update_counts_like_terraform() -> None:
    document = plan(
        resource(LOAD_BALANCER, ["update"], {"tags": {}}, {"tags": {"team": "ml"}}),
        resource(ALARM, ["create"], after={"alarm_name": "x"}),
    )
    result = verdict(document, STACK, [])
    assert result.line == f"{STACK}: in place (1 to change, 1 to add, 0 to delete)"
    assert (result.kind, result.exit_code) == ("in place", 0)


def test_model_rollout_is_not_refused() -> None:
    result = verdict(model_rollout(), STACK, [])
    assert result.line == (
        f"{STACK}: model rollout ({ENDPOINT} to a new endpoint configuration; "
        "1 to change, 2 to add, 2 to delete)"
    )
    assert (result.kind, result.exit_code, result.refused) == ("model rollout", 0, [])


def test_endpoint_update_without_a_new_configuration_is_in_place() -> None:
    document = plan(
        resource(
            ENDPOINT,
            ["update"],
            {"endpoint_config_name": "c1", "tags": {}},
            {"endpoint_config_name": "c1", "tags": {"a": "b"}},
        )
    )
    assert verdict(document, STACK, []).kind == "in place"


def test_replaced_endpoint_is_refused() -> None:
    document = plan(resource(ENDPOINT, ["delete", "create"], {"name": "a"}, {"name": "b"}))
    result = verdict(document, STACK, [])
    assert result.line == (
        f"{STACK}: REFUSED — replaces/deletes protected resources:\n  {ENDPOINT} (replace)"
    )
    assert (result.kind, result.exit_code, result.refused) == (
        "refused",
        1,
        [f"{ENDPOINT} (replace)"],
    )


def test_deleted_listener_is_refused() -> None:
    result = verdict(plan(resource(HTTPS_LISTENER, ["delete"], {"port": 443})), STACK, [])
    assert result.refused == [f"{HTTPS_LISTENER} (delete)"]
    assert result.exit_code == 1


def test_certificate_replaced_create_before_destroy_is_refused() -> None:
    # The listener swaps to the new certificate: still a replacement of what clients see.
    document = plan(resource(CERTIFICATE, ["create", "delete"], {"key_algorithm": "RSA_2048"}, {}))
    result = verdict(document, STACK, [])
    assert result.refused == [f"{CERTIFICATE} (replace, create before destroy)"]
    assert result.exit_code == 1


def test_renamed_production_variant_is_refused_though_the_endpoint_updates_in_place() -> None:
    result = verdict(model_rollout(after_variant="blue"), STACK, [])
    assert result.kind == "refused"
    assert result.exit_code == 1
    assert result.refused == [
        f"{ENDPOINT_CONFIGURATION} (production variant renamed primary → blue: "
        "blue/green needs the same variant name)"
    ]
    assert "production variant renamed primary → blue" in result.line


def test_variant_names_unknown_until_apply_are_not_judged() -> None:
    document = plan(
        resource(
            ENDPOINT_CONFIGURATION,
            ["create", "delete"],
            endpoint_configuration("primary", "ml.m5.large", "c1"),
            {"production_variants": [{"variant_name": None}]},
        )
    )
    assert verdict(document, STACK, []).exit_code == 0


def test_autoscaling_replacements_are_reported_not_refused() -> None:
    document = plan(
        resource(
            AUTOSCALING_TARGET, ["delete", "create"], {"max_capacity": 4}, {"max_capacity": 8}
        ),
        resource(AUTOSCALING_POLICY, ["delete", "create"], {"name": "p"}, {"name": "p"}),
    )
    result = verdict(document, STACK, [])
    assert result.line == (
        f"{STACK}: in place (0 to change, 2 to add, 2 to delete); "
        f"re-registers autoscaling: {AUTOSCALING_TARGET}, {AUTOSCALING_POLICY}"
    )
    assert result.exit_code == 0


def test_forget_is_reported_as_released_from_state() -> None:
    document = plan(resource("aws_s3_bucket.capture_bucket_1A2B3C4D", ["forget"], {"bucket": "b"}))
    result = verdict(document, STACK, [])
    assert result.line == (
        f"{STACK}: in place (0 to change, 0 to add, 0 to delete); "
        "releases aws_s3_bucket.capture_bucket_1A2B3C4D from state (kept in AWS)"
    )
    assert result.exit_code == 0


def test_allowing_the_exact_address_lets_the_plan_through_and_says_so() -> None:
    document = plan(resource(HTTPS_LISTENER, ["delete"], {"port": 443}))
    result = verdict(document, STACK, [HTTPS_LISTENER])
    assert (result.exit_code, result.refused) == (0, [])
    assert result.allowed == [f"{HTTPS_LISTENER} (delete) allowed by {HTTPS_LISTENER}"]
    assert result.line == (
        f"{STACK}: in place (0 to change, 0 to add, 1 to delete)\n"
        f"  allowed: {HTTPS_LISTENER} (delete) allowed by {HTTPS_LISTENER}"
    )
    assert result.matched_patterns == {HTTPS_LISTENER}


def test_allow_glob_matches_only_what_it_names() -> None:
    document = plan(
        resource(HTTPS_LISTENER, ["delete"], {"port": 443}),
        resource(LOAD_BALANCER, ["delete"], {"name": "a"}),
    )
    result = verdict(document, STACK, ["aws_lb_listener.*"])
    assert result.refused == [f"{LOAD_BALANCER} (delete)"]
    assert len(result.allowed) == 1
    assert result.exit_code == 1


def test_for_each_instance_is_shown_and_allowed_by_its_full_address() -> None:
    # `[` and `"` in a for_each key are literal, not glob syntax.
    document = plan(resource(VALIDATION_RECORD, ["delete"], {"name": "_x.api.example.com"}))
    refused = verdict(document, STACK, [])
    assert refused.refused == [f"{VALIDATION_RECORD} (delete)"]
    assert f"\n  {VALIDATION_RECORD} (delete)" in refused.line
    assert verdict(document, STACK, [VALIDATION_RECORD]).exit_code == 0
    other_key = VALIDATION_RECORD.replace("api.", "www.")
    assert verdict(document, STACK, [other_key]).exit_code == 1


def test_refused_line_keeps_the_other_notes() -> None:
    document = plan(
        resource(LOAD_BALANCER, ["delete"], {"name": "a"}),
        resource(AUTOSCALING_TARGET, ["delete", "create"], {}, {}),
    )
    assert verdict(document, STACK, []).line.splitlines() == [
        f"{STACK}: REFUSED — replaces/deletes protected resources:",
        f"  {LOAD_BALANCER} (delete)",
        f"  also: re-registers autoscaling: {AUTOSCALING_TARGET}",
    ]


def test_unprotected_replacement_is_in_place() -> None:
    document = plan(resource(MODEL, ["create", "delete"], {"name": "m1"}, {"name": None}))
    assert verdict(document, STACK, []).line == (
        f"{STACK}: in place (0 to change, 1 to add, 1 to delete)"
    )


def test_deleting_a_deposed_protected_object_is_refused_and_named() -> None:
    deposed = resource(CERTIFICATE, ["delete"], {"domain_name": "api.example.com"})
    deposed["deposed"] = "00000001"
    result = verdict(plan(deposed), STACK, [])
    assert result.refused == [f"{CERTIFICATE} (delete deposed object 00000001)"]
    assert verdict(plan(deposed), STACK, [CERTIFICATE]).exit_code == 0


def test_protected_resources_in_modules_are_judged_by_type() -> None:
    address = "module.edge.aws_wafv2_web_acl.web_acl"
    result = verdict(plan(resource(address, ["delete", "create"], {}, {})), STACK, [])
    assert result.refused == [f"{address} (replace)"]
