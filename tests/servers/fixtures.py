"""Pytest fixtures for the local Hub and Ollama servers, and builders of tiny model files.

Use with ``from tests.servers.fixtures import hub_server, ollama_server``.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.servers.hub import HubServer
from tests.servers.ollama import OllamaServer

HF_TEST_TOKEN = "hf_test_token"


@pytest.fixture
def hub_server(tmp_path, monkeypatch):
    """A HubServer on a temporary root; the environment points huggingface_hub at it.

    Code under test must still pass ``HfApi(endpoint=os.environ["HF_ENDPOINT"])``.
    """
    server = HubServer(tmp_path / "hub-repos", tokens={HF_TEST_TOKEN}).start()
    hf_home = tmp_path / "hf-home"
    env = {
        "HF_ENDPOINT": server.url,
        "HF_TOKEN": HF_TEST_TOKEN,
        "HF_HOME": str(hf_home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_XET_TELEMETRY_ENABLED": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    unset = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_OIDC_RESOURCE", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE")
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    _patch_hf_constants(monkeypatch, server.url, hf_home)
    try:
        yield server
    finally:
        server.stop()
    # Internal errors answer 500, which the client may hide behind retries: fail loudly here.
    assert not server.errors, f"HubServer internal errors: {server.errors}"


def _patch_hf_constants(monkeypatch, url: str, hf_home: Path) -> None:
    """huggingface_hub read its environment at import time, before any fixture ran.

    Without this, helpers that take no endpoint (ModelCard.load, hf_hub_url) would still
    aim at the public Hub, and the cache/token paths would be the user's.
    """
    from huggingface_hub import constants

    values = {
        "ENDPOINT": url,
        "HUGGINGFACE_CO_URL_TEMPLATE": url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HUB_OFFLINE": False,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_UPDATE_CHECK": True,
        "HF_HUB_DISABLE_PROGRESS_BARS": True,
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(hf_home / "hub"),
        "HUGGINGFACE_HUB_CACHE": str(hf_home / "hub"),
        "HF_ASSETS_CACHE": str(hf_home / "assets"),
        "HF_XET_CACHE": str(hf_home / "xet"),
        "HF_TOKEN_PATH": str(hf_home / "token"),
        "HF_STORED_TOKENS_PATH": str(hf_home / "stored_tokens"),
        "AGENT_HARNESSES_PATH": str(hf_home / ".agent_harnesses.json"),
        "CHECK_FOR_UPDATE_DONE_PATH": str(hf_home / ".check_for_update_done"),
    }
    for name, value in values.items():
        monkeypatch.setattr(constants, name, value)  # raising=True: a renamed constant fails loudly


@pytest.fixture
def ollama_server(tmp_path, monkeypatch):
    """An OllamaServer with blobs under a temporary dir; OLLAMA_HOST points at it."""
    server = OllamaServer(tmp_path / "ollama-blobs").start()
    monkeypatch.setenv("OLLAMA_HOST", server.url)
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"OllamaServer internal errors: {server.errors}"


def make_gguf(path: str | Path, version: str = "v1") -> Path:
    """A tiny valid GGUF (about 1 KB): llama arch, 3-token vocab, two F32 tensors.

    ``gittask.version`` is stored as metadata, so two versions give different files.
    """
    import gguf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("gittask-tiny")
    writer.add_context_length(32)
    writer.add_embedding_length(4)
    writer.add_block_count(1)
    writer.add_head_count(1)
    writer.add_feed_forward_length(8)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(["<unk>", "<s>", "</s>"])
    writer.add_token_scores([0.0, 0.0, 0.0])
    writer.add_token_types([gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL])
    writer.add_string("gittask.version", version)
    writer.add_tensor("token_embd.weight", np.arange(12, dtype=np.float32).reshape(3, 4))
    writer.add_tensor("output_norm.weight", np.ones(4, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def make_adapter(directory: str | Path, base_model: str = "org/base-model", r: int = 2, seed: int = 0) -> Path:
    """A tiny PEFT LoRA adapter folder: adapter_config.json + adapter_model.safetensors."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    hidden = 4
    config = {
        "base_model_name_or_path": base_model,
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": r,
        "lora_alpha": 2 * r,
        "lora_dropout": 0.0,
        "bias": "none",
        "target_modules": ["q_proj", "v_proj"],
    }
    (directory / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n")
    rng = np.random.default_rng(seed)
    tensors = {}
    for module in config["target_modules"]:
        prefix = f"base_model.model.model.layers.0.self_attn.{module}"
        tensors[f"{prefix}.lora_A.weight"] = rng.standard_normal((r, hidden)).astype(np.float32)
        tensors[f"{prefix}.lora_B.weight"] = np.zeros((hidden, r), dtype=np.float32)
    write_safetensors(directory / "adapter_model.safetensors", tensors)
    return directory


def write_safetensors(path: str | Path, tensors: dict[str, np.ndarray]) -> Path:
    """The safetensors format by hand: u64-LE header length, JSON header, raw little-endian data."""
    header: dict = {"__metadata__": {"format": "pt"}}
    offset, chunks = 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        shape = list(tensors[name].shape)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the format pads the header with spaces to 8 bytes
    Path(path).write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))
    return Path(path)
