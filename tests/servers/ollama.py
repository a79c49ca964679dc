"""A local Ollama server for tests: the real ``ollama`` client talks to it on 127.0.0.1.

Blobs are files on disk (``blobs/sha256-<hex>``, as in Ollama's own store); models live
in memory as manifests built from their layers the way Ollama builds them, so a model's
digest is the sha256 of its manifest JSON: equal content gives an equal digest, and a
copy keeps it. Nothing is pulled or pushed anywhere: push is recorded in ``pushes``.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tests.servers.hub import HTTPFailure, LocalServer, Request, Response, json_response, ndjson_response, route

MEDIA = "application/vnd.ollama.image."
MANIFEST_MEDIA = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA = "application/vnd.docker.container.image.v1+json"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
DEFAULT_HOST, DEFAULT_NAMESPACE, DEFAULT_TAG = "registry.ollama.ai", "library", "latest"
# Layers a create request can set or replace, in the order Ollama writes them.
TEXT_LAYERS = ("template", "system", "params", "messages", "license")


@dataclass
class Model:
    name: str  # display name, e.g. "org/name:v1"
    manifest: bytes
    modified_at: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()

    @property
    def layers(self) -> list[dict]:
        return json.loads(self.manifest)["layers"]

    @property
    def config_digest(self) -> str:
        return json.loads(self.manifest)["config"]["digest"]


def full_name(name: str) -> str:
    """``[host/][namespace/]model[:tag]`` -> ``host/namespace/model:tag`` (Ollama's defaults filled in)."""
    base, tag = name, DEFAULT_TAG
    if ":" in name.rsplit("/", 1)[-1]:
        base, tag = name.rsplit(":", 1)
    parts = base.split("/")
    if len(parts) == 1:
        parts = [DEFAULT_HOST, DEFAULT_NAMESPACE, *parts]
    elif len(parts) == 2:
        parts = [DEFAULT_HOST, *parts]
    host_ok = len(parts) == 3 and re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?", parts[0])
    if not (host_ok and all(NAME_PART.fullmatch(p) for p in (*parts[1:], tag))):
        raise HTTPFailure(400, f'invalid model name "{name}"')
    return f"{'/'.join(parts)}:{tag}"


def short_name(full: str) -> str:
    """What `ollama list` shows: the default host and namespace are left out."""
    host, namespace, rest = full.split("/", 2)
    if host == DEFAULT_HOST:
        return rest if namespace == DEFAULT_NAMESPACE else f"{namespace}/{rest}"
    return full


class OllamaServer(LocalServer):
    """Ollama REST API subset: blobs, create, copy, push (recorded), tags, show, delete, version."""

    def __init__(self, blobs_dir: str | Path, version: str = "0.12.0") -> None:
        super().__init__()
        self.blobs_dir = Path(blobs_dir)
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self.version = version
        self.models: dict[str, Model] = {}  # keyed by lower-cased full name (names are case-insensitive)
        self.pushes: list[dict] = []  # {"model", "digest", "insecure"} for each successful push
        self._models_lock = threading.Lock()
        blob = r"/api/blobs/(?P<digest>[^/]+)"
        self.routes = [
            route("HEAD", blob, "blob_head", self._blob_head),
            route("POST", blob, "blob_upload", self._blob_upload),
            route("POST", r"/api/create", "create", self._create),
            route("POST", r"/api/copy", "copy", self._copy),
            route("POST", r"/api/push", "push", self._push),
            route("GET", r"/api/tags", "tags", self._tags),
            route("POST", r"/api/show", "show", self._show),
            route("DELETE", r"/api/delete", "delete", self._delete),
            route("GET", r"/api/version", "version", self._version),
        ]

    # -- blobs ---------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.blobs_dir / digest.replace(":", "-")

    def _checked_digest(self, request: Request) -> str:
        digest = request.params["digest"]
        if not DIGEST.fullmatch(digest):
            raise HTTPFailure(400, f"invalid digest {digest!r}")
        return digest

    def _blob_head(self, request: Request) -> Response:
        exists = self.blob_path(self._checked_digest(request)).exists()
        return Response(200 if exists else 404)

    def _blob_upload(self, request: Request) -> Response:
        digest = self._checked_digest(request)
        if self.blob_path(digest).exists():
            return Response(200)
        actual = "sha256:" + hashlib.sha256(request.body).hexdigest()
        if actual != digest:
            raise HTTPFailure(400, f"digest mismatch, expected {digest!r}, got {actual!r}")
        self._write_blob(request.body)
        return Response(201)

    def _write_blob(self, content: bytes) -> dict:
        """Store content as a blob (idempotent) and return its layer descriptor sans mediaType."""
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        path = self.blob_path(digest)
        if not path.exists():
            tmp = path.with_name(path.name + f".tmp-{threading.get_ident()}")
            tmp.write_bytes(content)
            tmp.replace(path)
        return {"digest": digest, "size": len(content)}

    def _read_blob(self, digest: str) -> bytes:
        return self.blob_path(digest).read_bytes()

    # -- create --------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        body = request.json() or {}
        name = full_name(body.get("model") or "")
        if body.get("quantize"):
            raise HTTPFailure(400, "quantization is not implemented by the test OllamaServer")
        layers = self._base_layers(body)
        layers = self._with_adapters(layers, body.get("adapters") or {})
        layers = self._with_text_layers(layers, body)
        model_layer = next((l for l in layers if l["mediaType"] == MEDIA + "model"), None)
        if model_layer is None:
            raise HTTPFailure(400, "neither 'from' nor 'files' gave a model")
        parent = "" if body.get("files") else self._model(body["from"]).name
        manifest = self._manifest(layers, _gguf_facts(self.blob_path(model_layer["digest"])), parent)
        model = Model(short_name(name), manifest, _now())
        with self._models_lock:
            self.models[name.lower()] = model
        statuses = [{"status": "parsing GGUF"}]
        statuses += [{"status": f"using existing layer {layer['digest']}"} for layer in layers]
        statuses += [{"status": "writing manifest"}, {"status": "success"}]
        return self._progress(request, body, statuses)

    def _base_layers(self, body: dict) -> list[dict]:
        files, base = body.get("files") or {}, body.get("from")
        if files:
            return [self._file_layer(filename, digest, "model") for filename, digest in files.items()]
        if base:
            source = self._model(base)
            # Real Ollama would try to pull a missing base model; there is no registry here.
            return [dict(layer) for layer in source.layers]
        raise HTTPFailure(400, "create needs 'files' or 'from'")

    def _file_layer(self, filename: str, digest: str, kind: str) -> dict:
        """A blob sent in files/adapters becomes a layer; only GGUF is understood (no conversion)."""
        if not DIGEST.fullmatch(digest or ""):
            raise HTTPFailure(400, f"invalid digest {digest!r} for {filename}")
        path = self.blob_path(digest)
        if not path.exists():
            raise HTTPFailure(400, f"blob {digest} for {filename} not found: upload it with /api/blobs first")
        with path.open("rb") as f:
            magic = f.read(4)
        if magic != b"GGUF" and not (kind == "adapter" and _is_safetensors(path)):
            raise HTTPFailure(400, f"{filename}: only GGUF files are supported by the test OllamaServer")
        return {"mediaType": MEDIA + kind, "digest": digest, "size": path.stat().st_size}

    def _with_adapters(self, layers: list[dict], adapters: dict[str, str]) -> list[dict]:
        if not adapters:
            return layers
        if not any(layer["mediaType"] == MEDIA + "model" for layer in layers):
            raise HTTPFailure(400, "adapters need a base model ('from')")
        weights = {f: d for f, d in adapters.items() if not f.endswith(".json")}
        if len(weights) != 1:
            raise HTTPFailure(400, "only one adapter is currently supported")
        filename, digest = next(iter(weights.items()))
        if filename.endswith(".safetensors") and "adapter_config.json" not in adapters:
            raise HTTPFailure(400, "a safetensors adapter needs its adapter_config.json")
        kept = [layer for layer in layers if layer["mediaType"] != MEDIA + "adapter"]
        return kept + [self._file_layer(filename, digest, "adapter")]

    def _with_text_layers(self, layers: list[dict], body: dict) -> list[dict]:
        """template/system/parameters/messages/license replace the base's (parameters are merged)."""
        by_kind: dict[str, list[dict]] = {}
        for layer in layers:
            by_kind.setdefault(layer["mediaType"].removeprefix(MEDIA), []).append(layer)
        contents = {
            "template": body.get("template"),
            "system": body.get("system"),
            "params": self._merged_params(by_kind.get("params"), body.get("parameters")),
            "messages": json.dumps(body["messages"]) if body.get("messages") else None,
        }
        licenses = body.get("license")
        licenses = [licenses] if isinstance(licenses, str) else licenses
        for kind, text in contents.items():
            if text is not None:
                by_kind[kind] = [self._text_layer(kind, text)]
        if licenses:
            by_kind["license"] = [self._text_layer("license", text) for text in licenses]
        ordered = ["model", "adapter", "projector", *TEXT_LAYERS]
        return [layer for kind in ordered for layer in by_kind.get(kind, [])]

    def _merged_params(self, base_layers: list[dict] | None, new: dict | None) -> str | None:
        if not new:
            return None
        params = json.loads(self._read_blob(base_layers[0]["digest"])) if base_layers else {}
        params.update({k: v for k, v in new.items() if v is not None})
        return json.dumps(params, sort_keys=True)

    def _text_layer(self, kind: str, text: str) -> dict:
        return {"mediaType": MEDIA + kind, **self._write_blob(text.encode())}

    def _manifest(self, layers: list[dict], facts: dict, parent: str) -> bytes:
        """The manifest bytes; no timestamps in it, so the same layers give the same digest."""
        config = {
            "parent_model": parent,
            "model_format": "gguf",
            "model_family": facts["family"],
            "model_families": [facts["family"]],
            "model_type": facts["parameter_size"],
            "file_type": facts["quantization_level"],
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        }
        config_layer = {"mediaType": CONFIG_MEDIA, **self._write_blob(json.dumps(config).encode())}
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA, "config": config_layer, "layers": layers}
        return json.dumps(manifest, separators=(",", ":")).encode()

    def _progress(self, request: Request, body: dict, statuses: list[dict]) -> Response:
        """Answer like Ollama: NDJSON statuses when streaming, else only the last one."""
        if request.mid_stream_error is not None:  # fail_next(..., mid_stream=True): fail after the first status
            return ndjson_response([statuses[0], {"error": request.mid_stream_error}])
        if body.get("stream") is False:
            return json_response(statuses[-1])
        return ndjson_response(statuses)

    # -- other model endpoints -----------------------------------------------------

    def _model(self, name: str) -> Model:
        model = self.models.get(full_name(name).lower())
        if model is None:
            raise HTTPFailure(404, f"model '{name}' not found")
        return model

    def _copy(self, request: Request) -> Response:
        body = request.json() or {}
        source = self._model(body.get("source") or "")
        destination = full_name(body.get("destination") or "")
        with self._models_lock:
            self.models[destination.lower()] = Model(short_name(destination), source.manifest, _now())
        return Response(200)

    def _delete(self, request: Request) -> Response:
        name = (request.json() or {}).get("model") or ""
        with self._models_lock:
            removed = self.models.pop(full_name(name).lower(), None)
        if removed is None:
            raise HTTPFailure(404, f"model '{name}' not found")
        return Response(200)

    def _push(self, request: Request) -> Response:
        body = request.json() or {}
        model = self._model(body.get("model") or "")
        statuses = [{"status": "retrieving manifest"}]
        for layer in [*model.layers, json.loads(model.manifest)["config"]]:
            size = layer["size"]
            digest = layer["digest"]
            statuses.append({"status": f"pushing {digest[7:19]}", "digest": digest, "total": size, "completed": size})
        statuses += [{"status": "pushing manifest"}, {"status": "success"}]
        response = self._progress(request, body, statuses)
        if request.mid_stream_error is None:
            with self._models_lock:
                insecure = bool(body.get("insecure"))
                self.pushes.append({"model": model.name, "digest": model.digest, "insecure": insecure})
        return response

    def _tags(self, request: Request) -> Response:
        with self._models_lock:  # a snapshot: other requests may create models meanwhile
            models = sorted(self.models.values(), key=lambda m: m.modified_at, reverse=True)
        return json_response({"models": [self._summary(m) for m in models]})

    def _summary(self, model: Model) -> dict:
        return {
            "name": model.name,
            "model": model.name,
            "modified_at": model.modified_at,
            "size": sum(layer.get("size", 0) for layer in model.layers),
            "digest": model.digest,
            "details": self._details(model),
        }

    def _details(self, model: Model) -> dict:
        config = json.loads(self._read_blob(model.config_digest))
        return {
            "parent_model": config["parent_model"],
            "format": config["model_format"],
            "family": config["model_family"],
            "families": config["model_families"],
            "parameter_size": config["model_type"],
            "quantization_level": config["file_type"],
        }

    def _show(self, request: Request) -> Response:
        model = self._model((request.json() or {}).get("model") or "")
        texts = self._layer_texts(model)
        params = json.loads(texts["params"][0]) if texts.get("params") else {}
        model_layer = next(l for l in model.layers if l["mediaType"] == MEDIA + "model")
        return json_response(
            {
                "modelfile": self._modelfile(model, texts, params),
                "parameters": "\n".join(_param_lines(params)),
                "template": texts["template"][0] if texts.get("template") else "{{ .Prompt }}",
                "system": texts["system"][0] if texts.get("system") else None,
                "license": "\n".join(texts.get("license", [])) or None,
                "details": self._details(model),
                "model_info": _gguf_facts(self.blob_path(model_layer["digest"]))["model_info"],
                "capabilities": ["completion"],
                "modified_at": model.modified_at,
            }
        )

    def _layer_texts(self, model: Model) -> dict[str, list[str]]:
        texts: dict[str, list[str]] = {}
        for layer in model.layers:
            kind = layer["mediaType"].removeprefix(MEDIA)
            if kind in TEXT_LAYERS:
                texts.setdefault(kind, []).append(self._read_blob(layer["digest"]).decode())
        return texts

    def _modelfile(self, model: Model, texts: dict[str, list[str]], params: dict) -> str:
        lines = [
            '# Modelfile generated by "ollama show"',
            "# To build a new Modelfile based on this, replace FROM with:",
            f"# FROM {model.name}",
            "",
        ]
        for layer in model.layers:
            kind = layer["mediaType"].removeprefix(MEDIA)
            if kind in ("model", "adapter"):
                keyword = "FROM" if kind == "model" else "ADAPTER"
                lines.append(f"{keyword} {self.blob_path(layer['digest'])}")
        for keyword, kind in (("TEMPLATE", "template"), ("SYSTEM", "system")):
            for text in texts.get(kind, []):
                lines.append(f'{keyword} """{text}"""')
        lines += [f"PARAMETER {line}" for line in _param_lines(params, pad=False)]
        lines += [f'LICENSE """{text}"""' for text in texts.get("license", [])]
        return "\n".join(lines) + "\n"

    def _version(self, request: Request) -> Response:
        return json_response({"version": self.version})


# -- module helpers --------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _param_lines(params: dict, pad: bool = True) -> list[str]:
    """Ollama prints one "name value" line per value; strings are quoted, lists repeat the name."""
    lines = []
    for key in sorted(params):
        values = params[key] if isinstance(params[key], list) else [params[key]]
        for value in values:
            shown = json.dumps(value) if isinstance(value, (str, bool)) else str(value)
            lines.append(f"{key:<30} {shown}" if pad else f"{key} {shown}")
    return lines


def _human_number(n: int) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def _gguf_facts(path: Path) -> dict[str, Any]:
    """Family, size, quantization and scalar metadata of a GGUF file, like `ollama show`."""
    import gguf

    reader = gguf.GGUFReader(path)
    info: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or field.types[0] == gguf.GGUFValueType.ARRAY:
            continue  # Ollama leaves out the header and (unless verbose) array values
        value = field.contents()
        info[key] = value.item() if hasattr(value, "item") else value
    n_params = sum(int(t.n_elements) for t in reader.tensors)
    info["general.parameter_count"] = n_params
    family = info.get("general.architecture", "unknown")
    return {
        "family": family,
        "parameter_size": _human_number(n_params),
        "quantization_level": _quantization(info.get("general.file_type"), reader),
        "model_info": info,
    }


def _quantization(file_type: int | None, reader) -> str:
    import gguf

    if file_type is not None:
        try:
            return gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_").removeprefix("ALL_")
        except ValueError:
            pass
    return reader.tensors[0].tensor_type.name if reader.tensors else "unknown"


def _is_safetensors(path: Path) -> bool:
    """8-byte little-endian header length, then a JSON object header."""
    with path.open("rb") as f:
        head = f.read(8)
        if len(head) != 8:
            return False
        (length,) = struct.unpack("<Q", head)
        if length > path.stat().st_size - 8:
            return False
        try:
            return isinstance(json.loads(f.read(length)), dict)
        except ValueError:
            return False
