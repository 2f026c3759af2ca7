"""Plan-safety verdict: refuses Terraform plans that replace or delete protected resources.

`python -m plan_safety PLAN_JSON ...` (README: "Plan-safety verdict"); `verdict()` for callers.
"""

from plan_safety.verdict import (
    AUTOSCALING_TYPES,
    PROTECTED_TYPES,
    InvalidPlan,
    Verdict,
    pattern_matches,
    verdict,
)

__all__ = [
    "AUTOSCALING_TYPES",
    "PROTECTED_TYPES",
    "InvalidPlan",
    "Verdict",
    "pattern_matches",
    "verdict",
]
