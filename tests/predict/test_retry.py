"""Retry policy: deterministic with an injected RNG and sleep; one redacted error at the end."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from openclarify.errors import PredictorError
from openclarify.predict.faults import (
    Fault,
    ModelFault,
    PayloadTooLarge,
    RequestRejected,
    TransientFault,
)
from openclarify.predict.retry import MESSAGE_CHARS, REDACTED, RetryPolicy, redact, rows_subject
from openclarify.predict.transport import classify_client_error


class Flaky:
    """Fails with the given faults, then answers ``b"ok"``."""

    def __init__(self, *faults: Fault) -> None:
        self.faults = list(faults)
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        if self.faults:
            raise self.faults.pop(0)
        return b"ok"


def policy(sleeps: list[float], seed: int = 7) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(seed), sleep=sleeps.append)


def call(p: RetryPolicy, request: Callable[[], bytes], values: list[object] | None = None) -> bytes:
    return p.call(
        request,
        target="endpoint 'ep'",
        subject=rows_subject(501, 500),
        row_values=lambda: values or [],
    )


def test_transient_faults_are_retried_with_full_jitter() -> None:
    sleeps: list[float] = []
    flaky = Flaky(*(TransientFault("Rate exceeded", 400) for _ in range(5)))
    assert call(policy(sleeps), flaky) == b"ok"
    assert flaky.calls == 6
    expected_rng = random.Random(7)
    windows = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert sleeps == [expected_rng.uniform(0.0, w) for w in windows]
    assert all(0 <= s <= w for s, w in zip(sleeps, windows, strict=True))


def test_delay_window_is_capped() -> None:
    p = RetryPolicy(base_delay=1.0, max_delay=3.0, rng=random.Random(0))
    assert max(p.delay(10) for _ in range(200)) <= 3.0
    assert max(p.delay(10) for _ in range(200)) > 2.0


def test_transient_faults_give_up_after_max_attempts() -> None:
    sleeps: list[float] = []
    flaky = Flaky(*(TransientFault("InternalFailure: boom", 500) for _ in range(10)))
    with pytest.raises(PredictorError) as error:
        call(policy(sleeps), flaky)
    assert flaky.calls == 6 and len(sleeps) == 5
    assert error.value.where == "$.predictor"
    assert error.value.problem == (
        "endpoint 'ep' kept failing (HTTP 500) for the batch of 500 rows starting at row 501 "
        "after 6 attempts: InternalFailure: boom"
    )


def test_model_errors_are_retried_a_little_then_one_error() -> None:
    sleeps: list[float] = []
    flaky = Flaky(*(ModelFault("could not convert string to float: 'Male'", 400) for _ in range(5)))
    with pytest.raises(PredictorError) as error:
        call(policy(sleeps), flaky, ["Male", 39, 0.25])
    assert flaky.calls == 2 and len(sleeps) == 1
    assert error.value.problem == (
        "endpoint 'ep' returned a model error (HTTP 400) for the batch of 500 rows "
        "starting at row 501 after 2 attempts: could not convert string to float: "
        f"'{REDACTED}'"
    )
    assert "Male" not in str(error.value)


def test_a_model_error_then_success() -> None:
    flaky = Flaky(ModelFault("flaky", 500))
    assert call(policy([]), flaky) == b"ok"


def test_payload_too_large_is_not_retried() -> None:
    flaky = Flaky(PayloadTooLarge("too big", 413))
    with pytest.raises(PayloadTooLarge):
        call(policy([]), flaky)
    assert flaky.calls == 1


def test_rejected_requests_are_not_retried() -> None:
    flaky = Flaky(RequestRejected("ValidationError: Endpoint ep of account 1 not found.", 400))
    with pytest.raises(PredictorError, match="rejected the request"):
        call(policy([]), flaky)
    assert flaky.calls == 1


def test_redact_hides_batch_values_and_keeps_small_ints() -> None:
    message = "row 3: expected 10 features, got value 123.5 and 'Jane Doe' (Jane)"
    out = redact(message, ["Jane Doe", "Jane", 123.5, 10, 3])
    assert out == f"row 3: expected 10 features, got value {REDACTED} and '{REDACTED}' ({REDACTED})"


def test_redact_truncates_and_makes_one_line() -> None:
    out = redact("a\n b  " + "x" * 1000, [])
    assert out.startswith("a b x")
    assert len(out) == MESSAGE_CHARS and out.endswith("…")


def test_redact_integral_floats() -> None:
    assert redact("bad value 5000", [5000.0]) == f"bad value {REDACTED}"


class FakeClientError(Exception):
    def __init__(self, response: dict[str, object]) -> None:
        self.response = response


def error(code: str, status: int, message: str = "m", **extra: object) -> FakeClientError:
    return FakeClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (error("ThrottlingException", 400, "Rate exceeded"), TransientFault),
        (error("ServiceUnavailable", 503), TransientFault),
        (error("InternalFailure", 500), TransientFault),
        (error("ModelNotReadyException", 429), TransientFault),
        (error("413", 413, "HTTP content length exceeded 6291456 bytes."), PayloadTooLarge),
        (error("ValidationError", 400, "Request payload size exceeds the limit"), PayloadTooLarge),
        (
            error(
                "ModelError",
                424,
                "Received client error (400)",
                OriginalStatusCode=400,
                OriginalMessage="bad",
            ),
            ModelFault,
        ),
        (
            error("ModelError", 424, "x", OriginalStatusCode=413, OriginalMessage="too big"),
            PayloadTooLarge,
        ),
        (error("ValidationError", 400, "Endpoint ep of account 1 not found."), RequestRejected),
        (error("AccessDeniedException", 400), RequestRejected),
    ],
)
def test_client_errors_are_classified(exc: FakeClientError, kind: type[Fault]) -> None:
    assert type(classify_client_error(exc)) is kind


def test_model_error_quotes_the_original_message() -> None:
    fault = classify_client_error(
        error(
            "ModelError",
            424,
            "Received ... See https://...",
            OriginalStatusCode=400,
            OriginalMessage="bad input",
        )
    )
    assert (fault.message, fault.status) == ("bad input", 400)
