"""The ONNX Runtime embedding backend.

The graph is exported once from the same sentence-transformers weights (``torch.onnx.export``, no
download) into ``RAG_ONNX_DIR`` under a name derived from a hash of the weights and the exporter
settings, written to a temporary file and renamed, so concurrent processes never see half a file. At run
time only the fast Rust tokenizer (``tokenizer.json``) and ONNX Runtime are used; pooling (mean over the
attention mask) and normalisation are done here in numpy, as the sentence-transformers model config
says. Vectors match the torch backend to about 1e-7.

``quantized=True`` runs an int8 copy of that graph instead: weights quantised per channel, activations
quantised dynamically (``onnxruntime.quantization.quantize_dynamic``), made once beside the float graph
the same way. It is its own model as far as an index is concerned (the name gains ``+int8``), so an
index is never searched with vectors of the other graph. Dynamic quantisation scales activations by
the range of the whole batch, so a text's vector would depend on its batch neighbours (cosine 0.977 with
itself embedded alone, measured): the int8 graph therefore runs one text at a time, which is also faster
on a CPU (no padding: 145 chunks/s against 119 in batches of 8). Its cost in quality and its speed
are measured by ``rag-service bench`` and ``bench-retrieval`` (``docs/benchmarks.md``).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.embedding.base import BaseEmbedder, TokenStates, resolve_model_path
from rag_service.embedding.torch_backend import TorchEmbedder
from rag_service.errors import ConfigError

EXPORT_VERSION = "1"
OPSET = 17
INT8_SUFFIX = "+int8"


def export_path(model_dir: Path, out_dir: Path) -> Path:
    weights = next(
        (p for p in (model_dir / "model.safetensors", model_dir / "pytorch_model.bin") if p.is_file()), None
    )
    if weights is None:
        raise ConfigError(
            f"no model weights in {model_dir}: cannot export it to ONNX; set RAG_EMBEDDING_BACKEND=torch"
        )
    digest = hashlib.sha256()
    with open(weights, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"{EXPORT_VERSION}:{OPSET}".encode())
    return out_dir / f"{model_dir.name}-{digest.hexdigest()[:16]}.onnx"


def export(model: str, target: Path) -> None:
    import torch

    source = TorchEmbedder(model, cache_size=0)
    transformer: Any = source._model[0].auto_model
    transformer.eval()

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = source._model.tokenizer(["an example sentence"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracing warns about data-dependent branches (expected)
            torch.onnx.export(
                LastHidden(),
                tuple(sample[n] for n in names),
                str(tmp),
                input_names=names,
                output_names=["last_hidden_state"],
                opset_version=OPSET,
                dynamo=False,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def quantize(graph: Path, target: Path) -> None:
    """An int8 copy of ``graph`` at ``target``, written to a temporary file and renamed."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the quantiser suggests optional pre-processing on every run
    try:
        quantize_dynamic(str(graph), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, target)
    finally:
        quiet.setLevel(level)
        tmp.unlink(missing_ok=True)


class OnnxEmbedder(BaseEmbedder):
    def __init__(
        self, model: str, onnx_dir: Path, *, threads: int = 0, quantized: bool = False, **kwargs: int
    ) -> None:
        super().__init__(model + INT8_SUFFIX if quantized else model, **kwargs)
        self._one_at_a_time = quantized
        import onnxruntime
        from tokenizers import Tokenizer

        model_dir = Path(resolve_model_path(model))
        config = (
            json.loads((model_dir / "sentence_bert_config.json").read_text())
            if (model_dir / "sentence_bert_config.json").is_file()
            else {}
        )
        pooling = model_dir / "1_Pooling" / "config.json"
        if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False):
            raise ConfigError(
                f"{model}: the ONNX backend does mean pooling only; set RAG_EMBEDDING_BACKEND=torch"
            )
        graph = export_path(model_dir, onnx_dir.expanduser())
        if not graph.is_file():
            export(model, graph)
        if quantized:
            float_graph, graph = graph, graph.with_name(f"{graph.stem}-int8.onnx")
            if not graph.is_file():
                quantize(float_graph, graph)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        self._tokenizer.enable_padding()
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def _token_states(self, texts: list[str]) -> TokenStates:
        if self._one_at_a_time and len(texts) > 1:
            return TokenStates.stacked([self._token_states([text]) for text in texts])
        encodings = self._tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        offsets = np.array([e.offsets for e in encodings], dtype=np.int64).reshape(len(texts), -1, 2)
        return TokenStates(hidden, feeds["attention_mask"], offsets)
