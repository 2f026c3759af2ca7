"""Release resources from a stack's Terraform state without deleting them (`removed` blocks).

A resource that leaves the configuration is deleted by the next apply, `prevent_destroy` or not:
that only guards resources still configured. Where a configuration change must not delete what
a resource holds (captured data, access logs, the key that encrypts them), the stack says
`removed { from = <address>, lifecycle { destroy = false } }` instead (Terraform ≥ 1.7): the
next apply forgets it, and it stays in AWS as it was. A `removed` block whose address is not in
the state does nothing, so a stack may carry one for something it never created.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from cdktf import App, TerraformResource, TerraformStack
from constructs import Construct

_RELEASED = "_released_addresses"


def release_from_state(scope: Construct, addresses: Sequence[str]) -> None:
    """Add `removed` blocks (destroy = false) for `addresses` to the stack of `scope`.

    Every `removed` block of a stack goes through here: `add_override("removed", …)` replaces
    the whole list, so the stack keeps the list and writes it again each time.
    """
    stack = TerraformStack.of(scope)
    released: list[str] = getattr(stack, _RELEASED, [])
    released = [*released, *(a for a in addresses if a not in released)]
    setattr(stack, _RELEASED, released)
    stack.add_override(
        "removed", [{"from": address, "lifecycle": {"destroy": False}} for address in released]
    )


def released_addresses(stack: TerraformStack) -> list[str]:
    """What `release_from_state` released from `stack`, in order."""
    return list(getattr(stack, _RELEASED, []))


def path_below_stack(scope: Construct) -> tuple[str, ...]:
    """Construct ids from `scope`'s stack (excluded) down to `scope`: what its addresses hash."""
    stack = TerraformStack.of(scope)
    scopes = scope.node.scopes
    index = next(i for i, s in enumerate(scopes) if s.node.path == stack.node.path)
    return tuple(s.node.id for s in scopes[index + 1 :])


def addresses_at(
    path: tuple[str, ...], build: Callable[[Construct, str], Sequence[TerraformResource]]
) -> list[str]:
    """The state addresses the resources `build(scope, id)` creates would have at `path`.

    Built in a scratch stack of a scratch app, never synthesized: a resource's address derives
    from its construct path below the stack (cdktf's logical ids), so the addresses are exactly
    those the real construct has, or had, at that path.
    """
    return list(_addresses_at(path, build))


@lru_cache(maxsize=64)
def _addresses_at(
    path: tuple[str, ...], build: Callable[[Construct, str], Sequence[TerraformResource]]
) -> tuple[str, ...]:
    scope: Construct = TerraformStack(App(), "scratch")
    for id_ in path[:-1]:
        scope = Construct(scope, id_)
    return tuple(
        f"{resource.terraform_resource_type}.{resource.friendly_unique_id}"
        for resource in build(scope, path[-1])
    )
