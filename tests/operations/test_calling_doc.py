"""docs/calling-the-service.md says what the proxy and `smoke` do: its numbers, headers and
error codes are read from the code here."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import alb_http
import pytest

from constructs_lib.inference_proxy import SOURCE_DIR, SOURCE_FILES
from operations import smoke

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "calling-the-service.md").read_text()
HANDLER_PATH = SOURCE_DIR / "handler.py"
PING_ONLY = {("503", "endpoint_status_unknown")}
"""Answered by GET /ping only, never by /invocations."""


@pytest.fixture(scope="module")
def handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calling_doc_handler", HANDLER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENDPOINT_NAME", "doc")
        patch.setenv("AUTH_MODE", "none")
        patch.setenv("AWS_REGION", "us-east-1")
        patch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
        spec.loader.exec_module(module)
    return module


def test_every_error_the_proxy_answers_is_in_the_table_and_nothing_else() -> None:
    # The proxy's errors are raised across its modules (alb_http.py, sagemaker_errors.py, ...).
    source = "\n".join((SOURCE_DIR / name).read_text() for name in SOURCE_FILES)
    raised = set(re.findall(r'ProxyError\(\s*(\d+),\s*"(\w+)"', source)) - PING_ONLY
    raised.add(("500", "internal_error"))  # the catch-all: ProxyError(500, error_code, ...)
    assert 'error_code = "internal_error"' in source
    documented = set()
    for status, codes in re.findall(r"^\| (\d{3}) \| (`[^|]+) \|", DOC, re.MULTILINE):
        documented |= {(status, code) for code in re.findall(r"`(\w+)`", codes)}

    assert documented == raised


def test_the_documented_limits_are_the_proxys(handler: ModuleType) -> None:
    assert f"at most {handler.DEFAULT_MAX_BODY_BYTES} bytes (`MAX_BODY_BYTES`)" in DOC
    assert set(alb_http.MAX_HEADER_CHARS.values()) == {1024}
    assert DOC.count("at most 1024 characters") == len(alb_http.MAX_HEADER_CHARS)
    assert f"The model gets {handler.DEFAULT_READ_TIMEOUT_S:g} s (`READ_TIMEOUT_S`)" in DOC


def test_the_documented_headers_are_the_proxys() -> None:
    for header in (
        alb_http.CUSTOM_ATTRIBUTES_HEADER,
        alb_http.INVOKED_VARIANT_HEADER,
        alb_http.REQUEST_ID_HEADER,
    ):
        assert f"`{header}`" in DOC
    assert smoke.INVOKED_VARIANT_HEADER == alb_http.INVOKED_VARIANT_HEADER
    assert f"default `{alb_http.DEFAULT_CONTENT_TYPE}`" in DOC


def test_smokes_documented_timeout_is_its_default() -> None:
    assert f"`--timeout-s` (default {smoke.DEFAULT_TIMEOUT_S:g})" in DOC


def test_the_examples_send_the_bearer_token() -> None:
    assert DOC.count("Authorization: Bearer $TOKEN") >= 2
    assert '"Authorization": f"Bearer {os.environ[\'TOKEN\']}"' in DOC
    assert "`docs/authentication.md`" in DOC
