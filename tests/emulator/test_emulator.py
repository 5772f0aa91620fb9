"""The emulator through real boto3 clients: wire formats, endpoint lifecycle, faults, records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError, WaiterError
from numpy.testing import assert_allclose

from tests.emulator import (
    DEFAULT_ENDPOINT_NAME,
    DEFAULT_MODEL_NAME,
    Emulator,
    Invocation,
    ModelResponse,
    RawModel,
    SklearnModel,
    start_emulator,
    subprocess_env,
)
from tests.emulator.model import CSV, JSON, JSONLINES

ROWS = np.array([[0.5, -1.0, 2.0, 0.0], [-1.5, 0.25, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
MODEL = SklearnModel()
EXPECTED = MODEL.expected_scores(ROWS)
FIRST = MODEL.expected_scores(ROWS[:1])[0]  # computed alone: a batch may round differently


def serialize(rows: np.ndarray, content_type: str) -> bytes:
    if content_type == CSV:
        return "".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows).encode()
    if content_type == JSONLINES:
        return "".join(json.dumps({"features": row.tolist()}) + "\n" for row in rows).encode()
    return json.dumps({"instances": rows.tolist()}).encode()


def scores(body: bytes, accept: str) -> list[Any]:
    text = body.decode()
    if accept == CSV:
        return [[float(v) for v in line.split(",")] for line in text.splitlines()]
    if accept == JSONLINES:
        return [json.loads(line)["score"] for line in text.splitlines()]
    return [item["score"] for item in json.loads(text)["predictions"]]


def invoke(client: Any, body: bytes, *, endpoint: str = DEFAULT_ENDPOINT_NAME, **kw: Any) -> Any:
    kw.setdefault("ContentType", CSV)
    return client.invoke_endpoint(EndpointName=endpoint, Body=body, **kw)


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = excinfo.value.response
    error = response["Error"]
    return error["Code"], response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


# --------------------------------------------------------------------------------------
# Wiring


def test_plain_boto3_clients_reach_the_emulator_through_the_environment(
    emulator: Emulator,
) -> None:
    assert os.environ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] == emulator.url
    runtime = boto3.client("sagemaker-runtime")
    control = boto3.client("sagemaker")
    try:
        body = invoke(runtime, serialize(ROWS, CSV))["Body"].read()
        status = control.describe_endpoint(EndpointName=DEFAULT_ENDPOINT_NAME)["EndpointStatus"]
    finally:
        runtime.close()
        control.close()
    assert_allclose(np.ravel(scores(body, CSV)), EXPECTED, rtol=0, atol=0)
    assert status == "InService"
    assert [r.operation for r in emulator.requests] == ["InvokeEndpoint", "DescribeEndpoint"]


def test_start_emulator_patches_and_restores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someone-real")
    monkeypatch.delenv("AWS_ENDPOINT_URL_SAGEMAKER", raising=False)
    with start_emulator() as emu:
        assert os.environ["AWS_ENDPOINT_URL_SAGEMAKER"] == emu.url
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
        assert Path(os.environ["AWS_CONFIG_FILE"]).read_text() == ""
        assert "AWS_PROFILE" not in os.environ
        config_file = Path(os.environ["AWS_CONFIG_FILE"])
    assert os.environ["AWS_PROFILE"] == "someone-real"
    assert "AWS_ENDPOINT_URL_SAGEMAKER" not in os.environ
    assert not config_file.exists()


def test_a_subprocess_reaches_the_emulator(emulator: Emulator, tmp_path: Path) -> None:
    code = (
        "import boto3; c = boto3.client('sagemaker-runtime');"
        f"print(c.invoke_endpoint(EndpointName='{DEFAULT_ENDPOINT_NAME}', Body=b'0,0,0,0',"
        " ContentType='text/csv')['Body'].read().decode())"
    )
    env = subprocess_env(emulator, tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert float(out.stdout) == MODEL.expected_scores([[0, 0, 0, 0]])[0]


# --------------------------------------------------------------------------------------
# Wire formats


@pytest.mark.parametrize("content_type", [CSV, JSONLINES, JSON])
@pytest.mark.parametrize("accept", [CSV, JSONLINES, JSON])
def test_round_trip_for_each_content_and_accept_type(
    emulator: Emulator, content_type: str, accept: str
) -> None:
    runtime = emulator.client("sagemaker-runtime")
    response = invoke(
        runtime, serialize(ROWS, content_type), ContentType=content_type, Accept=accept
    )
    assert response["ContentType"] == accept
    got = np.ravel(scores(response["Body"].read(), accept))
    assert_allclose(got, EXPECTED, rtol=0, atol=0)  # exact: same float64 computation
    [record] = emulator.invocations
    assert (record.content_type, record.accept, record.n_records) == (content_type, accept, 3)
    assert record.status == 200


def test_json_lines_response_carries_label_and_score(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime")
    body = invoke(runtime, serialize(ROWS, CSV), Accept=JSONLINES)["Body"].read()
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert [line["predicted_label"] for line in lines] == [int(p > 0.5) for p in EXPECTED]
    assert body.endswith(b"\n")


@pytest.mark.parametrize(
    "body",
    [
        b'[{"x0": 0.5, "x1": -1.0, "x2": 2.0, "x3": 0.0}]',  # records keyed by feature name
        b'{"instances": [{"features": [0.5, -1.0, 2.0, 0.0]}]}',  # linear-learner style
        b"[0.5, -1.0, 2.0, 0.0]",  # one record ($record with $features)
        b'{"features": [0.5, -1.0, 2.0, 0.0]}',  # one object record
    ],
)
def test_json_request_shapes(emulator: Emulator, body: bytes) -> None:
    runtime = emulator.client("sagemaker-runtime")
    out = invoke(runtime, body, ContentType=JSON, Accept=CSV)["Body"].read()
    assert float(out) == FIRST


def test_configurable_jmespaths(emulator: Emulator) -> None:
    emulator.add_endpoint(
        "paths", SklearnModel(features_path="data.values", records_path="payload.rows")
    )
    runtime = emulator.client("sagemaker-runtime")
    jsonl = b'{"data": {"values": [0.5, -1.0, 2.0, 0.0]}}\n'
    json_body = b'{"payload": {"rows": [[0.5, -1.0, 2.0, 0.0]]}}'
    for body, content_type in ((jsonl, JSONLINES), (json_body, JSON)):
        out = invoke(runtime, body, endpoint="paths", ContentType=content_type, Accept=CSV)
        assert float(out["Body"].read()) == FIRST


def test_csv_label_and_multiclass_modes(emulator: Emulator) -> None:
    emulator.add_endpoint("labelled", SklearnModel(csv_label=True))
    multiclass = SklearnModel(n_classes=3)
    emulator.add_endpoint("multiclass", multiclass)
    runtime = emulator.client("sagemaker-runtime")

    body = invoke(runtime, serialize(ROWS, CSV), endpoint="labelled")["Body"].read()
    first = body.decode().splitlines()[0].split(",")
    assert (int(first[0]), float(first[1])) == (int(EXPECTED[0] > 0.5), EXPECTED[0])

    expected = multiclass.expected_scores(ROWS)
    csv_body = invoke(runtime, serialize(ROWS, CSV), endpoint="multiclass")["Body"].read()
    assert_allclose(scores(csv_body, CSV), expected, rtol=0, atol=0)
    json_body = invoke(runtime, serialize(ROWS, CSV), endpoint="multiclass", Accept=JSON)
    predictions = json.loads(json_body["Body"].read())["predictions"]
    assert [p["predicted_label"] for p in predictions] == expected.argmax(axis=1).tolist()
    assert predictions[0]["labels"] == [0, 1, 2]
    assert_allclose([p["score"] for p in predictions], expected, rtol=0, atol=0)


def test_python_callables_as_models(emulator: Emulator) -> None:
    emulator.add_endpoint("null", lambda rows: np.zeros(len(rows)))
    seen: list[Invocation] = []

    def echo(invocation: Invocation) -> ModelResponse:
        seen.append(invocation)
        return ModelResponse(b"42\n" * invocation.body.count(b"\n"), CSV, "echo=1")

    emulator.add_endpoint("raw", RawModel(echo))
    runtime = emulator.client("sagemaker-runtime")
    null = invoke(runtime, serialize(ROWS, CSV), endpoint="null", Accept=JSON)["Body"].read()
    assert json.loads(null)["predictions"][0] == {"predicted_label": 0, "score": 0.0}
    raw = invoke(runtime, b"a\nb\n", endpoint="raw", CustomAttributes="trace=7")
    assert raw["Body"].read() == b"42\n42\n"
    assert raw["CustomAttributes"] == "echo=1"
    assert seen[0].custom_attributes == "trace=7"
    assert seen[0].endpoint_name == "raw"


def test_model_side_errors_surface_as_model_error(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime")
    cases = [
        (b"1,2,3\n", CSV, CSV, 400, "expecting 4 features"),  # scikit-learn's own message
        (b"a,b,c,d\n", CSV, CSV, 400, "could not convert"),
        (b"\x00\x01", "application/x-npy", CSV, 415, "unsupported content type"),
        (b"1,2,3,4\n", CSV, "application/xml", 406, "unsupported accept type"),
    ]
    for body, content_type, accept, status, text in cases:
        with pytest.raises(runtime.exceptions.ModelError) as excinfo:
            invoke(runtime, body, ContentType=content_type, Accept=accept)
        response = excinfo.value.response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
        assert response["OriginalStatusCode"] == status
        assert text in response["OriginalMessage"]


def test_headers_and_sizes_are_recorded(emulator: Emulator) -> None:
    emulator.add_model("other-model", lambda rows: np.ones(len(rows)))
    runtime = emulator.client("sagemaker-runtime")
    body = serialize(ROWS, JSONLINES)
    out = invoke(
        runtime,
        body,
        ContentType=JSONLINES,
        Accept=CSV,
        CustomAttributes="c000b4f9-df62-4c85-a0bf-7c525f9104a4",
        TargetModel="other-model",
    )
    assert out["Body"].read() == b"1.0\n1.0\n1.0\n"  # the target model answered
    [record] = emulator.invocations
    assert record.custom_attributes == "c000b4f9-df62-4c85-a0bf-7c525f9104a4"
    assert record.target_model == "other-model"
    assert record.body_bytes == len(body)
    assert record.n_records == 3
    assert record.timestamp <= time.time()


def test_concurrent_invocations_are_all_recorded(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime")
    emulator.inject("slow", seconds=0.05, times=None)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                invoke(runtime, serialize(ROWS, CSV))["Body"].read()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(emulator.invocations) == 40
    assert {r.status for r in emulator.invocations} == {200}
    assert emulator.peak_concurrency > 1


# --------------------------------------------------------------------------------------
# Control plane


def shadow_names() -> tuple[str, str]:
    stamp = f"{int(time.time())}-{os.urandom(2).hex()}"
    prefix = "sm-clarify"
    model = (DEFAULT_MODEL_NAME * 3)[: 63 - len(prefix) - len(stamp) - 2]
    return f"sm-clarify-config-{stamp}", f"{prefix}-{model}-{stamp}"


def test_shadow_endpoint_lifecycle(emulator: Emulator) -> None:
    control = emulator.client("sagemaker")
    runtime = emulator.client("sagemaker-runtime")
    config_name, endpoint_name = shadow_names()
    assert len(endpoint_name) == 63
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": DEFAULT_MODEL_NAME,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.c5.xlarge",
    }
    arn = control.create_endpoint_config(
        EndpointConfigName=config_name, ProductionVariants=[variant]
    )["EndpointConfigArn"]
    assert arn.endswith(f":endpoint-config/{config_name}")
    described = control.describe_endpoint_config(EndpointConfigName=config_name)
    assert described["ProductionVariants"] == [variant]
    control.create_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)

    with pytest.raises(runtime.exceptions.ValidationError):  # not in service yet
        invoke(runtime, b"0,0,0,0", endpoint=endpoint_name)
    first = control.describe_endpoint(EndpointName=endpoint_name)
    assert first["EndpointStatus"] == "Creating"
    waiter = control.get_waiter("endpoint_in_service")
    waiter.wait(EndpointName=endpoint_name, WaiterConfig={"Delay": 0, "MaxAttempts": 3})
    described = control.describe_endpoint(EndpointName=endpoint_name)
    assert described["EndpointStatus"] == "InService"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert "FailureReason" not in described
    assert endpoint_name in {e["EndpointName"] for e in control.list_endpoints()["Endpoints"]}

    out = invoke(runtime, b"0,0,0,0", endpoint=endpoint_name)["Body"].read()
    assert float(out) == MODEL.expected_scores([[0, 0, 0, 0]])[0]

    control.delete_endpoint_config(EndpointConfigName=config_name)
    control.delete_endpoint(EndpointName=endpoint_name)
    assert set(emulator.endpoints) == {DEFAULT_ENDPOINT_NAME}
    assert set(emulator.endpoint_configs) == {f"{DEFAULT_ENDPOINT_NAME}-config"}
    with pytest.raises(ClientError) as excinfo:
        control.describe_endpoint(EndpointName=endpoint_name)
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        f'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/'
        f'{endpoint_name.lower()}".'
    )
    operations = [r.operation for r in emulator.requests if r.operation != "InvokeEndpoint"]
    assert operations[:3] == ["CreateEndpointConfig", "DescribeEndpointConfig", "CreateEndpoint"]
    assert operations[-3:] == ["DeleteEndpointConfig", "DeleteEndpoint", "DescribeEndpoint"]
    create = next(r for r in emulator.requests if r.operation == "CreateEndpointConfig")
    assert create.params["ProductionVariants"][0]["InstanceType"] == "ml.c5.xlarge"


def test_creating_lasts_the_configured_describes_and_seconds(emulator: Emulator) -> None:
    emulator.creating_describes = 2
    emulator.creating_seconds = 0.3
    control = emulator.client("sagemaker")
    control.create_endpoint(
        EndpointName="slow-start", EndpointConfigName="clarify-test-endpoint-config"
    )
    started = time.monotonic()
    statuses = []
    while True:
        status = control.describe_endpoint(EndpointName="slow-start")["EndpointStatus"]
        statuses.append(status)
        if status != "Creating":
            break
        time.sleep(0.05)
    assert status == "InService"
    assert time.monotonic() - started >= 0.3
    assert statuses[:2] == ["Creating", "Creating"]
    assert emulator.endpoints["slow-start"].describe_count == len(statuses)


def test_endpoint_failure(emulator: Emulator) -> None:
    emulator.inject("endpoint_failure", message="The model container failed its ping check.")
    control = emulator.client("sagemaker")
    control.create_endpoint(
        EndpointName="doomed", EndpointConfigName="clarify-test-endpoint-config"
    )
    waiter = control.get_waiter("endpoint_in_service")
    with pytest.raises(WaiterError):
        waiter.wait(EndpointName="doomed", WaiterConfig={"Delay": 0, "MaxAttempts": 3})
    described = control.describe_endpoint(EndpointName="doomed")
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"] == "The model container failed its ping check."
    control.delete_endpoint(EndpointName="doomed")
    assert "doomed" not in emulator.endpoints


def test_control_plane_validation_errors(emulator: Emulator) -> None:
    control = emulator.client("sagemaker")
    variant = {"VariantName": "AllTraffic", "ModelName": "no-such-model"}
    cases = [
        (
            lambda: control.create_endpoint_config(
                EndpointConfigName="c1", ProductionVariants=[variant]
            ),
            'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/no-such-model".',
        ),
        (
            lambda: control.create_endpoint(EndpointName="e1", EndpointConfigName="missing"),
            "Could not find endpoint configuration",
        ),
        (
            lambda: control.create_endpoint(
                EndpointName=DEFAULT_ENDPOINT_NAME,
                EndpointConfigName="clarify-test-endpoint-config",
            ),
            "Cannot create already existing endpoint",
        ),
        (
            lambda: control.create_endpoint(
                EndpointName="x" * 64, EndpointConfigName="clarify-test-endpoint-config"
            ),
            "Member must have length less than or equal to 63",
        ),
        (
            lambda: control.create_endpoint(
                EndpointName="under_score", EndpointConfigName="clarify-test-endpoint-config"
            ),
            "Member must satisfy regular expression pattern",
        ),
        (
            lambda: control.delete_endpoint_config(EndpointConfigName="missing"),
            "Could not find endpoint configuration",
        ),
    ]
    for call, text in cases:
        with pytest.raises(ClientError) as excinfo:
            call()
        code, status, message = error_of(excinfo)
        assert (code, status) == ("ValidationException", 400)
        assert text in message


def test_create_model_then_serve_it(emulator: Emulator) -> None:
    control = emulator.client("sagemaker")
    control.create_model(
        ModelName="api-model",
        PrimaryContainer={"Image": "example.com/model:1"},
        ExecutionRoleArn="arn:aws:iam::123456789012:role/test",
    )
    assert control.describe_model(ModelName="api-model")["ModelName"] == "api-model"
    control.create_endpoint_config(
        EndpointConfigName="api-config",
        ProductionVariants=[{"VariantName": "v1", "ModelName": "api-model"}],
    )
    emulator.creating_describes = 0
    control.create_endpoint(EndpointName="api-endpoint", EndpointConfigName="api-config")
    assert control.describe_endpoint(EndpointName="api-endpoint")["EndpointStatus"] == "InService"
    runtime = emulator.client("sagemaker-runtime")
    response = invoke(runtime, b"0,0,0,0", endpoint="api-endpoint")
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-invoked-production-variant"] == "v1"
    listed = control.list_endpoints(NameContains="api-")["Endpoints"]
    assert [e["EndpointName"] for e in listed] == ["api-endpoint"]


# --------------------------------------------------------------------------------------
# Faults


@pytest.mark.parametrize(
    ("kind", "options", "code", "status"),
    [
        ("throttle", {}, "ThrottlingException", 400),
        ("server_error", {}, "InternalFailure", 500),
        ("server_error", {"status": 503}, "ServiceUnavailable", 503),
        ("model_not_ready", {}, "ModelNotReadyException", 429),
        ("error", {"code": "InternalDependencyException", "status": 530}, None, 530),
        ("model_error", {"status": 400, "message": "bad row"}, "ModelError", 424),
    ],
)
def test_each_fault_is_the_expected_botocore_error(
    emulator: Emulator, kind: Any, options: dict[str, Any], code: str | None, status: int
) -> None:
    runtime = emulator.client("sagemaker-runtime")
    emulator.inject(kind, **options)
    with pytest.raises(ClientError) as excinfo:
        invoke(runtime, b"0,0,0,0")
    got_code, got_status, message = error_of(excinfo)
    assert (got_code, got_status) == (code or options["code"], status)
    if kind == "model_error":
        assert isinstance(excinfo.value, runtime.exceptions.ModelError)
        assert excinfo.value.response["OriginalStatusCode"] == 400
        assert excinfo.value.response["OriginalMessage"] == "bad row"
        assert message.startswith('Received client error (400) from primary with message "bad row"')
    assert invoke(runtime, b"0,0,0,0")["ResponseMetadata"]["HTTPStatusCode"] == 200
    first, second = emulator.invocations
    assert (first.status, first.error_code, first.fault) == (status, got_code, kind)
    assert (second.status, second.fault) == (200, None)


def test_times_after_and_min_records(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime")
    emulator.inject("throttle", times=2, after=1)
    outcomes = []
    for _ in range(4):
        try:
            invoke(runtime, b"0,0,0,0")
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["ok", "ThrottlingException", "ThrottlingException", "ok"]
    assert not emulator.faults

    # A model that fails on batches: a predictor falls back to one record per request.
    emulator.inject("model_error", times=None, min_records=2, status=400, message="batch")
    with pytest.raises(runtime.exceptions.ModelError):
        invoke(runtime, serialize(ROWS, CSV))
    for row in ROWS:
        invoke(runtime, serialize(row[None, :], CSV))
    emulator.clear_faults()
    assert [r.n_records for r in emulator.invocations[-4:]] == [3, 1, 1, 1]
    assert [r.status for r in emulator.invocations[-4:]] == [424, 200, 200, 200]


def test_botocore_retries_absorb_a_throttle(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime", max_attempts=3)
    emulator.inject("throttle", times=1)
    response = invoke(runtime, b"0,0,0,0")
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [r.status for r in emulator.invocations] == [400, 200]


def test_control_plane_faults(emulator: Emulator) -> None:
    control = emulator.client("sagemaker")
    emulator.inject("throttle", operation="DescribeEndpoint")
    emulator.inject("server_error", operation="CreateEndpointConfig", status=503)
    with pytest.raises(ClientError) as excinfo:
        control.describe_endpoint(EndpointName=DEFAULT_ENDPOINT_NAME)
    assert error_of(excinfo)[:2] == ("ThrottlingException", 400)
    with pytest.raises(ClientError) as excinfo:
        control.create_endpoint_config(
            EndpointConfigName="c", ProductionVariants=[{"VariantName": "v"}]
        )
    assert error_of(excinfo)[:2] == ("ServiceUnavailable", 503)
    assert "c" not in emulator.endpoint_configs


def test_slow_answers_and_read_timeouts(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime", read_timeout=0.2)
    emulator.inject("slow", seconds=0.5)
    with pytest.raises(ReadTimeoutError):
        invoke(runtime, b"0,0,0,0")
    emulator.inject("slow", seconds=0.1)
    started = time.monotonic()
    invoke(runtime, b"0,0,0,0")
    assert time.monotonic() - started >= 0.1


def test_reset_closes_the_connection_without_an_answer(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime")
    emulator.inject("reset")
    with pytest.raises(ConnectionClosedError):
        invoke(runtime, b"0,0,0,0")
    assert invoke(runtime, b"0,0,0,0")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [r.status for r in emulator.invocations] == [None, 200]


@pytest.mark.parametrize("accept", [CSV, JSONLINES, JSON])
def test_wrong_count(emulator: Emulator, accept: str) -> None:
    runtime = emulator.client("sagemaker-runtime")
    emulator.inject("wrong_count")
    emulator.inject("wrong_count", delta=2)
    short = invoke(runtime, serialize(ROWS, CSV), Accept=accept)["Body"].read()
    long = invoke(runtime, serialize(ROWS, CSV), Accept=accept)["Body"].read()
    assert_allclose(np.ravel(scores(short, accept)), EXPECTED[:2], rtol=0, atol=0)
    assert_allclose(np.ravel(scores(long, accept)), [*EXPECTED, EXPECTED[2], EXPECTED[2]])


def test_bad_response(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime")
    emulator.inject("bad_response", body=b"<html>oops</html>")
    response = invoke(runtime, b"0,0,0,0", Accept=JSON)
    assert response["Body"].read() == b"<html>oops</html>"
    assert response["ContentType"] == JSON


def test_payload_too_large_is_a_bare_413(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime")
    limit = emulator.max_payload_bytes
    assert limit == 6 * 1024 * 1024
    with pytest.raises(ClientError) as excinfo:
        invoke(runtime, b"0" * (limit + 1))
    assert error_of(excinfo) == ("413", 413, f"HTTP content length exceeded {limit} bytes.")

    emulator.max_payload_bytes = 100
    body = serialize(np.zeros((10, 4)), CSV)  # 16 bytes a row
    with pytest.raises(ClientError):
        invoke(runtime, body)
    invoke(runtime, body[:32])  # two rows fit
    assert [(r.status, r.n_records) for r in emulator.invocations] == [
        (413, 1),
        (413, 10),
        (200, 2),
    ]


def test_unknown_endpoint_and_oversized_custom_attributes(emulator: Emulator) -> None:
    runtime = emulator.client("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ValidationError) as excinfo:
        invoke(runtime, b"0,0,0,0", endpoint="nope")
    assert error_of(excinfo) == (
        "ValidationError",
        400,
        "Endpoint nope of account 123456789012 not found.",
    )
    with pytest.raises(runtime.exceptions.ValidationError):
        invoke(runtime, b"0,0,0,0", CustomAttributes="a" * 1025)


def test_inject_rejects_nonsense(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        emulator.inject("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="InvokeEndpoint only"):
        emulator.inject("wrong_count", operation="DescribeEndpoint")
    with pytest.raises(ValueError, match="needs code"):
        emulator.inject("error")


def test_stop_closes_pooled_connections_quickly() -> None:
    emu = start_emulator(patch_env=False)
    runtime = emu.client("sagemaker-runtime")
    invoke(runtime, b"0,0,0,0")  # leaves a keep-alive connection in the client's pool
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 1.0
    emu.stop()  # idempotent
