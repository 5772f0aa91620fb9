"""A local SageMaker Runtime + control-plane emulator serving a real scikit-learn model.

See README.md in this folder.
"""

from .model import (
    DEFAULT_MODEL_NAME,
    Codec,
    Dataset,
    Invocation,
    Model,
    ModelInvocationError,
    ModelResponse,
    PredictFnModel,
    RawModel,
    SklearnModel,
    make_dataset,
)
from .server import (
    DEFAULT_ENDPOINT_NAME,
    Emulator,
    EndpointConfigInfo,
    EndpointInfo,
    Fault,
    RecordedRequest,
    start_emulator,
    subprocess_env,
)

__all__ = [
    "DEFAULT_ENDPOINT_NAME",
    "DEFAULT_MODEL_NAME",
    "Codec",
    "Dataset",
    "Emulator",
    "EndpointConfigInfo",
    "EndpointInfo",
    "Fault",
    "Invocation",
    "Model",
    "ModelInvocationError",
    "ModelResponse",
    "PredictFnModel",
    "RawModel",
    "RecordedRequest",
    "SklearnModel",
    "make_dataset",
    "start_emulator",
    "subprocess_env",
]
