"""Fixtures of the inference proxy's tests: the handler loaded fresh, its clients stubbed."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest
from botocore.stub import Stubber

from tests.functions.proxy_harness import load_handler


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(monkeypatch)


@pytest.fixture
def runtime(proxy: ModuleType) -> Iterator[Stubber]:
    # Active even in tests that queue nothing: an unexpected call then fails the test.
    with Stubber(proxy._runtime()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def control(proxy: ModuleType) -> Iterator[Stubber]:
    with Stubber(proxy._control()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
