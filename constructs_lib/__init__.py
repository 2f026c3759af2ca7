"""Constructs, one per AWS concern. Importing this package first makes provider imports cheap.

`cdktf_cdktf_provider_aws/__init__.py` imports all ~2,200 generated submodules (about 7.5 s and
2-3 s more of process teardown), and Python runs a package's `__init__` before any of its
submodules, so `from cdktf_cdktf_provider_aws.sagemaker_endpoint import ...` alone still pays
for all of them. Registering the package in `sys.modules` from its import spec *without
executing it* lets each submodule load by itself: submodules resolve through the package's
`__path__` and load the jsii assembly through `cdktf_cdktf_provider_aws._jsii` as usual.

This is the one place that does it. `stacks` imports this package before any provider module,
and `tests/test_synth_speed.py` guards that a full synth loads fewer than a hundred provider
modules. Measure with `python tools/bench_synth.py`.
"""

import importlib.util
import sys

_PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"


def _register_provider_package_lazily() -> None:
    if _PROVIDER_PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(_PROVIDER_PACKAGE)
    if spec is None:
        return  # not installed: let the first real import fail with Python's own message
    sys.modules[_PROVIDER_PACKAGE] = importlib.util.module_from_spec(spec)


_register_provider_package_lazily()
