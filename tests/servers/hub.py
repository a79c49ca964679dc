"""A local Hugging Face Hub for tests: real HfApi talks to it over HTTP on 127.0.0.1.

Every model repo ``org/name`` is a real bare git repository at ``root/org/name.git``.
Commits sent to the NDJSON commit endpoint become real git commits on a branch, tags
are real annotated git tags, so a test can check the result with plain git.

The first part of this module is small HTTP plumbing (routing, body reading, request
recording, fault injection) that ``tests/servers/ollama.py`` reuses.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

# --------------------------------------------------------------------------------------
# HTTP plumbing shared by HubServer and OllamaServer
# --------------------------------------------------------------------------------------


class HTTPFailure(Exception):
    """Raised by a route handler to answer with an error status (never a dropped connection)."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    path: str  # raw (still percent-encoded) path, without the query string
    query: dict[str, list[str]]
    headers: Any  # email.message.Message: case-insensitive get()
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # unquoted route groups
    mid_stream_error: str | None = None  # set by fail_next(..., mid_stream=True)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise HTTPFailure(400, "request body is not valid JSON") from None

    def flag(self, name: str) -> bool:
        """A boolean query parameter as httpx sends it (true/True/1)."""
        values = self.query.get(name) or ["false"]
        return values[-1].lower() in ("1", "true", "yes")


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})


def ndjson_response(items: Iterable[dict], status: int = 200) -> Response:
    # Sent in one piece: the clients read it line by line, so real-time streaming is not needed.
    body = b"".join(json.dumps(item).encode() + b"\n" for item in items)
    return Response(status, body, {"Content-Type": "application/x-ndjson"})


@dataclass
class Route:
    methods: tuple[str, ...]
    pattern: re.Pattern
    name: str  # the name used by fail_next() and recorded in server.calls
    handler: Callable[[Request], Response]


@dataclass
class Fault:
    status: int
    remaining: int
    message: str
    code: str | None = None
    mid_stream: bool = False


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1:<ephemeral port>, served from a daemon thread.

    Subclasses fill ``self.routes`` and may override ``error_response``.
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.calls: list[str] = []  # route name of every request that matched a route
        self.errors: list[str] = []  # internal server errors (bugs in the test server itself)
        self._faults: dict[str, Fault] = {}
        self._state_lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set = set()  # open keep-alive sockets, closed on stop()

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> "LocalServer":
        handler = type("BoundHandler", (_Handler,), {"app": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        # Clients pool keep-alive connections: close them, or a later server that gets the
        # same port could see requests answered by this stopped one's handler threads.
        with self._state_lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- fault injection -----------------------------------------------------------

    def fail_next(
        self,
        endpoint: str,
        status: int = 500,
        times: int = 1,
        message: str | None = None,
        code: str | None = None,
        mid_stream: bool = False,
    ) -> None:
        """Make the next ``times`` requests to route ``endpoint`` fail with ``status``.

        ``code`` is sent as X-Error-Code by the Hub server. ``mid_stream`` (streaming
        Ollama endpoints) answers 200, streams the first statuses, then an ``{"error"}`` line.
        """
        names = {route.name for route in self.routes}
        if endpoint not in names:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {sorted(names)}")
        with self._state_lock:
            self._faults[endpoint] = Fault(status, times, message or f"injected failure ({status})", code, mid_stream)

    def _take_fault(self, name: str) -> Fault | None:
        with self._state_lock:
            fault = self._faults.get(name)
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self._faults[name]
            return fault

    # -- dispatch ------------------------------------------------------------------

    def error_response(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        return json_response({"error": message}, status, headers)

    def dispatch(self, request: Request) -> Response:
        with self._state_lock:
            self.requests.append((request.method, request.path))
        route, allowed = self._match(request)
        if route is None:
            status = 405 if allowed else 404
            message = f"{request.method} {request.path} is not implemented by {type(self).__name__}"
            return self.error_response(status, message)
        with self._state_lock:
            self.calls.append(route.name)
        fault = self._take_fault(route.name)
        try:
            if fault is not None and not fault.mid_stream:
                raise HTTPFailure(fault.status, fault.message, fault.code)
            if fault is not None:
                request.mid_stream_error = fault.message
            return route.handler(request)
        except HTTPFailure as failure:
            return self.error_response(failure.status, failure.message, failure.code, failure.headers)
        except Exception as exc:  # a bug in this test server: answer, record, let the fixture fail the test
            self.errors.append(f"{request.method} {request.path}: {exc!r}")
            return self.error_response(500, f"internal test-server error: {exc!r}")

    def _match(self, request: Request) -> tuple[Route | None, bool]:
        allowed = False
        for route in self.routes:
            found = route.pattern.fullmatch(request.path)
            if found is None:
                continue
            allowed = True
            if request.method in route.methods:
                request.params = {k: unquote(v) for k, v in found.groupdict().items() if v is not None}
                return route, True
        return None, allowed


class _Handler(BaseHTTPRequestHandler):
    app: LocalServer
    # HTTP/1.1 keep-alive like the real servers; every response carries a Content-Length.
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # keep test output clean
        pass

    def setup(self) -> None:
        super().setup()
        with self.app._state_lock:
            self.app._connections.add(self.connection)

    def finish(self) -> None:
        with self.app._state_lock:
            self.app._connections.discard(self.connection)
        super().finish()

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        body = self._read_body()
        request = Request(self.command, parts.path, parse_qs(parts.query), self.headers, body)
        response = self.app.dispatch(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _read_body(self) -> bytes:
        # The whole body is always read, even for requests that will fail, so the
        # keep-alive connection stays in sync for the client's next request.
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # CRLF after each chunk


def route(methods: str, pattern: str, name: str, handler: Callable) -> Route:
    return Route(tuple(methods.split("|")), re.compile(pattern), name, handler)


# --------------------------------------------------------------------------------------
# Git plumbing on a bare repository
# --------------------------------------------------------------------------------------

LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1\n"
HEX_REV = re.compile(r"[0-9a-f]{7,40}")

# What a new Hub repo starts with (shortened: the Hub's file lists many more patterns).
INITIAL_GITATTRIBUTES = b"""*.bin filter=lfs diff=lfs merge=lfs -text
*.gguf filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
"""


def git_blob_sha(content: bytes) -> str:
    """The git object id of a blob: what the client compares for "regular" files."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(oid: str, size: int) -> bytes:
    return LFS_POINTER_PREFIX + f"oid sha256:{oid}\nsize {size}\n".encode()


def parse_lfs_pointer(content: bytes) -> tuple[str, int] | None:
    if not content.startswith(LFS_POINTER_PREFIX) or len(content) > 1024:
        return None
    fields = dict(line.split(" ", 1) for line in content.decode().splitlines()[1:] if " " in line)
    oid = fields.get("oid", "").removeprefix("sha256:")
    return (oid, int(fields["size"])) if len(oid) == 64 and "size" in fields else None


def hub_date(timestamp: float) -> str:
    """The Hub's date format; parse_datetime in the client accepts exactly this shape."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class TreeEntry:
    mode: str
    type: str  # "blob" or "tree"
    oid: str
    size: int
    path: str


@dataclass
class CommitRecord:
    oid: str
    author: str
    timestamp: int
    title: str
    message: str


class BareRepo:
    """Git plumbing through subprocess, with a fixed identity and no user/system config."""

    def __init__(self, path: Path, author: str = "test-user"):
        self.path = Path(path)
        self.author = author

    def _env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_LITERAL_PATHSPECS": "1",  # a repo path like "a*.bin" is a name, not a glob
            "GIT_AUTHOR_NAME": self.author,
            "GIT_AUTHOR_EMAIL": f"{self.author}@users.noreply.localhost",
            "GIT_COMMITTER_NAME": self.author,
            "GIT_COMMITTER_EMAIL": f"{self.author}@users.noreply.localhost",
        }
        # Fixed dates, when a test suite sets them, make the server's commit shas reproducible too.
        for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
            if name in os.environ:
                env[name] = os.environ[name]
        env.update(extra)
        return env

    def git(self, *args: str, input: bytes | None = None, env: dict | None = None) -> bytes:
        result = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=input,
            capture_output=True,
            env=self._env(**(env or {})),
        )
        if result.returncode != 0:
            raise GitError(result.stderr.decode(errors="replace").strip())
        return result.stdout

    def text(self, *args: str, **kwargs) -> str:
        return self.git(*args, **kwargs).decode().strip()

    # -- reading -------------------------------------------------------------------

    def refs(self, kind: str) -> dict[str, str]:
        """Branch or tag name -> commit it points to (annotated tags peeled)."""
        out = self.text("for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)", f"refs/{kind}")
        refs = {}
        for line in out.splitlines():
            name, oid, *peeled = line.split(" ")
            refs[name] = peeled[0] if peeled and peeled[0] else oid
        return refs

    def resolve(self, rev: str) -> str | None:
        """A branch, tag or (possibly short) commit sha -> full commit sha, else None.

        Only these three forms are accepted: git's revision syntax (``main~1``…) is not Hub syntax.
        """
        for kind in ("heads", "tags"):
            target = self.refs(kind).get(rev)
            if target:
                return target
        if HEX_REV.fullmatch(rev):
            try:
                return self.text("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
            except GitError:
                return None
        return None

    def ls_tree(self, commit: str, path: str = "", recursive: bool = False) -> list[TreeEntry]:
        """Entries inside folder ``path`` ('' = root); recursive listings include folders too."""
        args = ["ls-tree", "-l", "-z"] + (["-r", "-t"] if recursive else []) + [commit]
        if path:
            args += ["--", path.rstrip("/") + "/"]
        return [self._entry(raw) for raw in self.git(*args).split(b"\0") if raw]

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        raw = self.git("ls-tree", "-l", "-z", commit, "--", path.rstrip("/")).split(b"\0")[0]
        return self._entry(raw) if raw else None

    @staticmethod
    def _entry(raw: bytes) -> TreeEntry:
        meta, path = raw.decode().split("\t", 1)
        mode, type_, oid, size = meta.split()
        return TreeEntry(mode, type_, oid, 0 if size == "-" else int(size), path)

    def read_blob(self, oid: str) -> bytes:
        return self.git("cat-file", "blob", oid)

    def files(self, commit: str) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob oid) for every file of a commit."""
        return {e.path: (e.mode, e.oid) for e in self.ls_tree(commit, recursive=True) if e.type == "blob"}

    def log(self, commit: str, path: str | None = None, limit: int | None = None) -> list[CommitRecord]:
        args = ["log", "--format=%H%x00%an%x00%at%x00%B%x1e"]
        if limit:
            args.append(f"-{limit}")
        args.append(commit)
        if path:
            args += ["--", path]
        records = []
        for chunk in self.git(*args).decode().split("\x1e"):
            if not chunk.strip():
                continue
            oid, author, ts, body = chunk.strip("\n").split("\0", 3)
            title, _, message = body.strip().partition("\n")
            records.append(CommitRecord(oid, author, int(ts), title, message.strip()))
        return records

    # -- writing -------------------------------------------------------------------

    def init(self) -> None:
        self.path.mkdir(parents=True)
        self.git("init", "--bare", "--initial-branch=main")
        tree = self.write_tree({".gitattributes": ("100644", self.hash_blob(INITIAL_GITATTRIBUTES))})
        commit = self.commit_tree(tree, None, "initial commit")
        self.git("update-ref", "refs/heads/main", commit, "0" * 40)

    def hash_blob(self, content: bytes) -> str:
        return self.text("hash-object", "-w", "--stdin", input=content)

    def write_tree(self, files: dict[str, tuple[str, str]]) -> str:
        # A throw-away index file: the bare repo has no index or work tree of its own.
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            self.git("read-tree", "--empty", env=env)
            info = b"".join(f"{mode} {oid}\t{path}".encode() + b"\0" for path, (mode, oid) in sorted(files.items()))
            self.git("update-index", "-z", "--add", "--index-info", input=info, env=env)
            return self.text("write-tree", env=env)

    def commit_tree(self, tree: str, parent: str | None, message: str) -> str:
        args = ["commit-tree", tree] + (["-p", parent] if parent else []) + ["-F", "-"]
        return self.text(*args, input=message.encode())

    def update_ref(self, ref: str, new: str, old: str) -> None:
        """Compare-and-swap: fails if ``ref`` moved since it was read as ``old``."""
        self.git("update-ref", ref, new, old)


class GitError(Exception):
    pass


# --------------------------------------------------------------------------------------
# The Hub server
# --------------------------------------------------------------------------------------

REPO = r"(?P<repo>[^/]+/[^/]+)"
SEGMENT = r"[^/]+"
NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
INVALID_TOKEN_MESSAGE = "Invalid credentials in Authorization header"


@dataclass
class CommitPlan:
    """One NDJSON commit request, parsed."""

    summary: str
    description: str
    parent: str | None
    operations: list[tuple[str, dict]]


class HubServer(LocalServer):
    """Hugging Face Hub API subset for model repos, backed by bare git repositories.

    ``tokens``: accepted ``Authorization: Bearer`` tokens. A request carrying any other
    token gets 401; write endpoints also need one. ``lfs_threshold``: files of at least
    this many bytes get uploadMode "lfs" (git-lfs batch API; the client must run with
    HF_HUB_DISABLE_XET); None (default) makes every file "regular".
    """

    def __init__(
        self,
        root: str | Path,
        tokens: Iterable[str] = ("hf_test_token",),
        user: str = "test-user",
        lfs_threshold: int | None = None,
    ) -> None:
        super().__init__()
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.tokens = set(tokens)
        self.user = user
        self.lfs_threshold = lfs_threshold
        self._write_lock = threading.Lock()  # serialises every change to the git repos
        self.routes = self._routes()

    def _routes(self) -> list[Route]:
        api = rf"/api/models/{REPO}"
        return [
            route("POST", r"/api/repos/create", "create_repo", self._create_repo),
            route("DELETE", r"/api/repos/delete", "delete_repo", self._delete_repo),
            route("GET", r"/api/whoami-v2", "whoami", self._whoami),
            route("POST", r"/api/validate-yaml", "validate_yaml", self._validate_yaml),
            route("POST", rf"{api}/preupload/(?P<rev>{SEGMENT})", "preupload", self._preupload),
            route("POST", rf"{api}/commit/(?P<rev>{SEGMENT})", "commit", self._commit),
            route("POST", rf"{api}/tag/(?P<rev>{SEGMENT})", "create_tag", self._create_tag),
            route("DELETE", rf"{api}/tag/(?P<tag>{SEGMENT})", "delete_tag", self._delete_tag),
            route("POST", rf"{api}/branch/(?P<branch>{SEGMENT})", "create_branch", self._create_branch),
            route("DELETE", rf"{api}/branch/(?P<branch>{SEGMENT})", "delete_branch", self._delete_branch),
            route("GET", rf"{api}/refs", "refs", self._refs),
            route("GET", rf"{api}/commits/(?P<rev>{SEGMENT})", "commits", self._commits),
            route("GET", rf"{api}/tree/(?P<rev>{SEGMENT})(?:/(?P<path>.+))?", "tree", self._tree),
            route("POST", rf"{api}/paths-info/(?P<rev>{SEGMENT})", "paths_info", self._paths_info),
            route("GET", rf"{api}/revision/(?P<rev>{SEGMENT})", "model_info", self._model_info),
            route("GET", rf"{api}", "model_info", self._model_info),
            route("GET", rf"{api}/xet-write-token/(?P<rev>{SEGMENT})", "xet_token", self._xet_token),
            route("GET|HEAD", rf"/{REPO}/resolve/(?P<rev>{SEGMENT})/(?P<path>.+)", "resolve", self._resolve),
            route("POST", r"/(?P<repo>[^/]+/[^/]+)\.git/info/lfs/objects/batch", "lfs_batch", self._lfs_batch),
            route("PUT", rf"/_lfs/{REPO}/(?P<oid>[0-9a-f]{{64}})", "lfs_upload", self._lfs_upload),
        ]

    def error_response(self, status, message, code=None, headers=None):
        # The client picks its exception class from X-Error-Code and shows X-Error-Message.
        header = message.replace("\n", " ").encode("ascii", "backslashreplace").decode()  # headers are latin-1
        extra = {"X-Error-Message": header, **(headers or {})}
        if code:
            extra["X-Error-Code"] = code
        return json_response({"error": message}, status, extra)

    def dispatch(self, request: Request) -> Response:
        # Any request that carries a token must carry a valid one, like the real Hub.
        token = _bearer_token(request)
        if token is not None and token not in self.tokens:
            with self._state_lock:
                self.requests.append((request.method, request.path))
            return self.error_response(401, INVALID_TOKEN_MESSAGE)
        return super().dispatch(request)

    # -- helpers -------------------------------------------------------------------

    def repo_path(self, repo_id: str) -> Path:
        return self.root / f"{repo_id}.git"

    def _require_write(self, request: Request) -> None:
        if _bearer_token(request) is None:
            raise HTTPFailure(401, "You must be authenticated to do this (no token sent)")

    def _repo(self, request: Request) -> BareRepo:
        repo_id = request.params["repo"]
        path = self.repo_path(repo_id)
        # Like the Hub, a private repo is "not found" for a request without a token.
        hidden = path.is_dir() and self._meta(path)["private"] and _bearer_token(request) is None
        if not _valid_repo_id(repo_id) or not path.is_dir() or hidden:
            raise HTTPFailure(404, f"Repository Not Found for model {repo_id}", "RepoNotFound")
        return BareRepo(path, self.user)

    def _commit_for(self, repo: BareRepo, rev: str) -> str:
        commit = repo.resolve(rev)
        if commit is None:
            raise HTTPFailure(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return commit

    def _meta(self, repo_path: Path) -> dict:
        meta_file = repo_path / "hub-repo.json"
        return json.loads(meta_file.read_text()) if meta_file.exists() else {"private": False, "createdAt": 0}

    def _content(self, repo: BareRepo, blob_oid: str) -> tuple[bytes, tuple[str, int] | None]:
        """A file's real bytes (LFS pointers resolved) and its pointer info if it is LFS."""
        raw = repo.read_blob(blob_oid)
        pointer = parse_lfs_pointer(raw)
        if pointer is None:
            return raw, None
        return self._lfs_object(repo, pointer[0]).read_bytes(), pointer

    def _lfs_object(self, repo: BareRepo, oid: str) -> Path:
        # Same layout as git-lfs: lfs/objects/ab/cd/abcd…
        return repo.path / "lfs" / "objects" / oid[:2] / oid[2:4] / oid

    def _file_info(self, repo: BareRepo, commit: str, entry: TreeEntry, expand: bool) -> dict:
        if entry.type == "tree":
            info = {"type": "directory", "oid": entry.oid, "size": 0, "path": entry.path}
        else:
            info = {"type": "file", "oid": entry.oid, "size": entry.size, "path": entry.path}
            pointer = parse_lfs_pointer(repo.read_blob(entry.oid)) if entry.size <= 1024 else None
            if pointer is not None:
                info["size"] = pointer[1]
                info["lfs"] = {"oid": pointer[0], "size": pointer[1], "pointerSize": entry.size}
        if expand:
            last = repo.log(commit, path=entry.path, limit=1)[0]
            info["lastCommit"] = {"id": last.oid, "title": last.title, "date": hub_date(last.timestamp)}
        return info

    # -- account and repos ---------------------------------------------------------

    def _whoami(self, request: Request) -> Response:
        if _bearer_token(request) is None:
            raise HTTPFailure(401, INVALID_TOKEN_MESSAGE)
        return json_response(
            {
                "type": "user",
                "id": "0" * 24,
                "name": self.user,
                "fullname": "Test User",
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": "write"}},
            }
        )

    def _create_repo(self, request: Request) -> Response:
        self._require_write(request)
        body = request.json() or {}
        if body.get("type", "model") != "model":
            raise HTTPFailure(400, "HubServer only implements model repos")
        repo_id = f"{body.get('organization') or self.user}/{body.get('name', '')}"
        if not _valid_repo_id(repo_id):
            raise HTTPFailure(400, f"Invalid repo name: {repo_id}")
        url = f"{self.url}/{repo_id}"
        with self._write_lock:
            path = self.repo_path(repo_id)
            if path.exists():
                # The client's exist_ok path reads `url` from this 409 body.
                message = "You already created this model repo"
                return json_response({"error": message, "url": url}, 409, {"X-Error-Message": message})
            BareRepo(path, self.user).init()
            private = body.get("visibility") == "private" or bool(body.get("private"))
            meta = {"private": private, "createdAt": time.time()}
            (path / "hub-repo.json").write_text(json.dumps(meta))
        return json_response({"url": url, "name": repo_id, "id": repo_id})

    def _delete_repo(self, request: Request) -> Response:
        self._require_write(request)
        body = request.json() or {}
        repo_id = f"{body.get('organization') or self.user}/{body.get('name', '')}"
        path = self.repo_path(repo_id)
        with self._write_lock:
            if not _valid_repo_id(repo_id) or not path.is_dir():
                raise HTTPFailure(404, f"Repository Not Found for model {repo_id}", "RepoNotFound")
            shutil.rmtree(path)
        return json_response({})

    def _validate_yaml(self, request: Request) -> Response:
        import yaml  # PyYAML is a dependency of huggingface_hub

        content = (request.json() or {}).get("content", "")
        try:
            _front_matter(content, yaml)
        except yaml.YAMLError as exc:
            return json_response({"errors": [{"message": f"Invalid YAML: {exc}"}], "warnings": []}, 400)
        return json_response({"errors": [], "warnings": []})

    # -- upload and commit ---------------------------------------------------------

    def _preupload(self, request: Request) -> Response:
        self._require_write(request)
        repo = self._repo(request)
        commit = self._commit_for(repo, request.params["rev"])
        files = []
        for item in (request.json() or {}).get("files", []):
            mode = self._upload_mode(item["size"])
            files.append(
                {
                    "path": item["path"],
                    "uploadMode": mode,
                    "shouldIgnore": False,
                    "oid": self._remote_oid(repo, commit, item["path"], mode),
                }
            )
        return json_response({"files": files, "commitOid": commit})

    def _upload_mode(self, size: int) -> str:
        return "lfs" if self.lfs_threshold is not None and size >= self.lfs_threshold else "regular"

    def _remote_oid(self, repo: BareRepo, commit: str, path: str, mode: str) -> str | None:
        """The hash the client compares with its local file, so unchanged files are skipped.

        The client hashes a "regular" file as a git blob sha1 and an "lfs" one as sha256
        (CommitOperationAdd._local_oid), so answer the same hash of the remote content.
        """
        entry = repo.entry(commit, path)
        if entry is None or entry.type != "blob":
            return None
        content, pointer = self._content(repo, entry.oid)
        if mode == "lfs":
            return pointer[0] if pointer else hashlib.sha256(content).hexdigest()
        return entry.oid if pointer is None else git_blob_sha(content)

    def _commit(self, request: Request) -> Response:
        self._require_write(request)
        if request.flag("create_pr"):
            raise HTTPFailure(400, "HubServer does not implement pull requests (create_pr)")
        repo = self._repo(request)
        branch = request.params["rev"]
        plan = _parse_commit(request.body)
        with self._write_lock:
            head = repo.refs("heads").get(branch)
            if head is None:
                if repo.resolve(branch) is not None:
                    raise HTTPFailure(400, f"Commits can only be pushed to a branch, not to {branch}")
                raise HTTPFailure(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            if plan.parent and not (len(plan.parent) >= 7 and head.startswith(plan.parent)):
                raise HTTPFailure(412, "A commit has happened since. Please refresh and try again.")
            files = repo.files(head)
            for kind, value in plan.operations:
                self._apply(repo, files, kind, value)
            try:
                tree = repo.write_tree(files)
            except GitError as exc:
                raise HTTPFailure(400, f"Invalid file layout: {exc}") from None
            message = plan.summary + (f"\n\n{plan.description}" if plan.description else "")
            new = repo.commit_tree(tree, head, message)
            repo.update_ref(f"refs/heads/{branch}", new, head)
        return json_response(
            {"commitUrl": f"{self.url}/{request.params['repo']}/commit/{new}", "commitOid": new, "pullRequestUrl": None}
        )

    def _apply(self, repo: BareRepo, files: dict[str, tuple[str, str]], kind: str, value: dict) -> None:
        path = _clean_path(value.get("path", ""))
        if kind == "file":
            if value.get("encoding", "base64") != "base64":
                raise HTTPFailure(400, f"Unsupported encoding {value.get('encoding')!r}")
            files[path] = ("100644", repo.hash_blob(base64.b64decode(value["content"])))
        elif kind == "lfsFile":
            obj = self._lfs_object(repo, value["oid"])
            if value.get("algo", "sha256") != "sha256" or not obj.exists():
                raise HTTPFailure(422, f"LFS object {value['oid']} was not uploaded")
            files[path] = ("100644", repo.hash_blob(lfs_pointer(value["oid"], obj.stat().st_size)))
        elif kind == "deletedFile":
            if files.pop(path, None) is None:
                raise HTTPFailure(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
        elif kind == "deletedFolder":
            inside = [p for p in files if p.startswith(path.rstrip("/") + "/")]
            if not inside:
                raise HTTPFailure(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
            for p in inside:
                del files[p]
        else:
            raise HTTPFailure(400, f"Unknown commit operation {kind!r}")

    # -- git-lfs basic transfer (used by the client when Xet is disabled) ----------

    def _lfs_batch(self, request: Request) -> Response:
        self._require_write(request)
        repo = self._repo(request)
        body = request.json() or {}
        if body.get("operation") != "upload":
            raise HTTPFailure(400, "HubServer only implements LFS uploads")
        objects = []
        for obj in body.get("objects", []):
            answer = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if not self._lfs_object(repo, obj["oid"]).exists():  # no actions = already stored
                href = f"{self.url}/_lfs/{request.params['repo']}/{obj['oid']}"
                answer["actions"] = {"upload": {"href": href, "header": {}}}
            objects.append(answer)
        return Response(200, json.dumps({"transfer": "basic", "objects": objects}).encode(),
                        {"Content-Type": "application/vnd.git-lfs+json"})

    def _lfs_upload(self, request: Request) -> Response:
        repo = self._repo(request)
        oid = request.params["oid"]
        if hashlib.sha256(request.body).hexdigest() != oid:
            raise HTTPFailure(400, f"LFS upload does not match its sha256 {oid}")
        target = self._lfs_object(repo, oid)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(request.body)
        tmp.replace(target)
        return Response(200)

    def _xet_token(self, request: Request) -> Response:
        raise HTTPFailure(
            501, "HubServer does not implement Xet storage: run the client with HF_HUB_DISABLE_XET=1 for lfs uploads"
        )

    # -- refs ----------------------------------------------------------------------

    def _create_tag(self, request: Request) -> Response:
        self._require_write(request)
        repo = self._repo(request)
        body = request.json() or {}
        tag = body.get("tag", "")
        with self._write_lock:
            commit = self._commit_for(repo, request.params["rev"])
            if not _valid_ref_name(repo, tag):
                raise HTTPFailure(400, f"Invalid tag name: {tag!r}")
            if tag in repo.refs("tags"):
                raise HTTPFailure(409, f"Tag {tag} already exists")
            # An annotated tag object, like the Hub's; the message defaults to the tag name.
            repo.git("tag", "-a", tag, commit, "-m", body.get("message") or tag)
        return json_response({"name": tag, "ref": f"refs/tags/{tag}", "targetCommit": commit})

    def _delete_tag(self, request: Request) -> Response:
        self._require_write(request)
        repo = self._repo(request)
        tag = request.params["tag"]
        with self._write_lock:
            if tag not in repo.refs("tags"):
                raise HTTPFailure(404, f"Tag {tag} does not exist", "RevisionNotFound")
            repo.git("tag", "-d", tag)
        return json_response({})

    def _create_branch(self, request: Request) -> Response:
        self._require_write(request)
        repo = self._repo(request)
        branch = request.params["branch"]
        start = (request.json() or {}).get("startingPoint") or "main"
        with self._write_lock:
            commit = self._commit_for(repo, start)
            if not _valid_ref_name(repo, branch):
                raise HTTPFailure(400, f"Invalid branch name: {branch!r}")
            if branch in repo.refs("heads"):
                raise HTTPFailure(409, f"Branch {branch} already exists")
            repo.update_ref(f"refs/heads/{branch}", commit, "0" * 40)
        return json_response({})

    def _delete_branch(self, request: Request) -> Response:
        self._require_write(request)
        repo = self._repo(request)
        branch = request.params["branch"]
        with self._write_lock:
            head = repo.refs("heads").get(branch)
            if head is None:
                raise HTTPFailure(404, f"Branch {branch} does not exist", "RevisionNotFound")
            if branch == "main":
                raise HTTPFailure(403, "Cannot delete the default branch")
            repo.git("update-ref", "-d", f"refs/heads/{branch}", head)
        return json_response({})

    def _refs(self, request: Request) -> Response:
        repo = self._repo(request)

        def as_list(kind: str) -> list[dict]:
            return [
                {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": target}
                for name, target in sorted(repo.refs(kind).items())
            ]

        data = {"branches": as_list("heads"), "converts": [], "tags": as_list("tags")}
        if request.flag("include_prs"):
            data["pullRequests"] = []
        return json_response(data)

    # -- reading -------------------------------------------------------------------

    def _commits(self, request: Request) -> Response:
        repo = self._repo(request)
        commit = self._commit_for(repo, request.params["rev"])
        return json_response(
            [
                {
                    "id": c.oid,
                    "title": c.title,
                    "message": c.message,
                    "authors": [{"user": c.author}],
                    "date": hub_date(c.timestamp),
                }
                for c in repo.log(commit)
            ]
        )

    def _tree(self, request: Request) -> Response:
        repo = self._repo(request)
        commit = self._commit_for(repo, request.params["rev"])
        path = request.params.get("path", "").strip("/")
        if path:
            folder = repo.entry(commit, path)
            if folder is None or folder.type != "tree":
                raise HTTPFailure(404, f"Entry not found: {path}", "EntryNotFound")
        expand = request.flag("expand")
        entries = repo.ls_tree(commit, path, recursive=request.flag("recursive"))
        return json_response([self._file_info(repo, commit, e, expand) for e in entries])

    def _paths_info(self, request: Request) -> Response:
        repo = self._repo(request)
        commit = self._commit_for(repo, request.params["rev"])
        form = parse_qs(request.body.decode())
        expand = (form.get("expand") or ["false"])[-1].lower() == "true"
        infos = []
        for path in form.get("paths", []):
            entry = repo.entry(commit, path.strip("/")) if path.strip("/") else None
            if entry is not None:
                infos.append(self._file_info(repo, commit, entry, expand))
        return json_response(infos)

    def _model_info(self, request: Request) -> Response:
        import yaml

        repo = self._repo(request)
        repo_id = request.params["repo"]
        commit = self._commit_for(repo, request.params.get("rev", "main"))
        meta = self._meta(repo.path)
        with_blobs = request.flag("blobs")
        siblings, card = [], None
        for entry in repo.ls_tree(commit, recursive=True):
            if entry.type != "blob":
                continue
            sibling = {"rfilename": entry.path}
            if with_blobs:
                info = self._file_info(repo, commit, entry, expand=False)
                sibling.update(size=info["size"], blobId=entry.oid)
                if "lfs" in info:
                    sibling["lfs"] = {"sha256": info["lfs"]["oid"], "size": info["size"], "pointerSize": entry.size}
            siblings.append(sibling)
            if entry.path == "README.md":
                try:
                    card = _front_matter(repo.read_blob(entry.oid).decode(), yaml)
                except (yaml.YAMLError, UnicodeDecodeError):
                    card = None
        data = {
            "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],
            "id": repo_id,
            "modelId": repo_id,
            "author": repo_id.split("/")[0],
            "sha": commit,
            "lastModified": hub_date(repo.log(commit, limit=1)[0].timestamp),
            "createdAt": hub_date(meta["createdAt"]),
            "private": meta["private"],
            "disabled": False,
            "gated": False,
            "downloads": 0,
            "likes": 0,
            "tags": list((card or {}).get("tags") or []),
            "siblings": siblings,
        }
        if card:
            data["cardData"] = card
            for key in ("library_name", "pipeline_tag"):
                if key in card:
                    data[key] = card[key]
        return json_response(data)

    def _resolve(self, request: Request) -> Response:
        repo = self._repo(request)
        commit = self._commit_for(repo, request.params["rev"])
        path = request.params["path"]
        entry = repo.entry(commit, path)
        if entry is None or entry.type != "blob":
            # X-Repo-Commit lets the client cache the file's absence for this commit.
            raise HTTPFailure(404, f"Entry not found: {path}", "EntryNotFound", {"X-Repo-Commit": commit})
        content, pointer = self._content(repo, entry.oid)
        # The Hub's ETag is the git blob id for regular files and the sha256 for LFS files.
        etag = pointer[0] if pointer else entry.oid
        headers = {
            "Content-Type": "application/octet-stream",
            "X-Repo-Commit": commit,
            "ETag": f'"{etag}"',
            "Accept-Ranges": "bytes",
        }
        if pointer:
            headers["X-Linked-Size"] = str(pointer[1])
            headers["X-Linked-Etag"] = f'"{etag}"'
        return _ranged(request, content, headers)


# -- module helpers --------------------------------------------------------------------


def _bearer_token(request: Request) -> str | None:
    value = request.headers.get("Authorization") or ""
    return value[7:].strip() if value.lower().startswith("bearer ") else None


def _valid_repo_id(repo_id: str) -> bool:
    parts = repo_id.split("/")
    return len(parts) == 2 and all(NAME_PART.fullmatch(p) and not p.endswith(".git") for p in parts)


def _valid_ref_name(repo: BareRepo, name: str) -> bool:
    if not name or "/" in name:
        return False
    try:
        repo.git("check-ref-format", f"refs/tags/{name}")
        return True
    except GitError:
        return False


def _clean_path(path: str) -> str:
    """Refuse paths that git or the Hub would refuse, instead of writing odd trees."""
    path = path.strip("/")
    parts = path.split("/")
    if not path or any(p in ("", ".", "..", ".git") for p in parts):
        raise HTTPFailure(400, f"Invalid path in repo: {path!r}")
    return path


def _parse_commit(body: bytes) -> CommitPlan:
    plan = CommitPlan("", "", None, [])
    for line in body.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise HTTPFailure(400, "commit payload is not valid NDJSON") from None
        if item.get("key") == "header":
            header = item.get("value") or {}
            plan.summary = header.get("summary", "")
            plan.description = header.get("description", "")
            plan.parent = header.get("parentCommit")
        else:
            plan.operations.append((item.get("key"), item.get("value") or {}))
    if not plan.summary:
        raise HTTPFailure(400, "commit summary is required")
    return plan


def _front_matter(content: str, yaml) -> dict | None:
    """The YAML block between leading '---' lines of a model card, or None."""
    found = re.match(r"^\s*---\r?\n(.*?)\r?\n---\s*(\r?\n|$)", content, re.DOTALL)
    if not found:
        return None
    data = yaml.safe_load(found.group(1))
    return data if isinstance(data, dict) else None


def _ranged(request: Request, content: bytes, headers: dict) -> Response:
    """Serve ``content``, honouring a single ``Range: bytes=start-[end]`` (used to resume downloads)."""
    found = re.fullmatch(r"bytes=(\d+)-(\d*)", request.headers.get("Range") or "")
    if not found:
        return Response(200, content, headers)
    start = int(found.group(1))
    end = int(found.group(2)) if found.group(2) else len(content) - 1
    if start >= len(content):
        return Response(416, b"", {**headers, "Content-Range": f"bytes */{len(content)}"})
    end = min(end, len(content) - 1)
    return Response(206, content[start : end + 1], {**headers, "Content-Range": f"bytes {start}-{end}/{len(content)}"})
