"""Local Apache Kafka (KRaft, single node) and FerretDB v1 for development and tests.

Both are installed into the git-ignored cache by the project itself (Maven for
Kafka's broker artifacts from Maven Central, `go install` for FerretDB at the
version pinned in tools/ferretdb/go.mod), bound to loopback, health-checked
before use and stopped by their own process ids. When KAFKA_BOOTSTRAP_SERVERS
and MONGODB_URL are set, nothing is started and those are used instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from spiegel_dev.paths import cache_dir, repo_root
from spiegel_dev.processes import port_open, spawn, stop, wait_for

KAFKA_POM = "tools/kafka/pom.xml"
FERRETDB_MODULE = "tools/ferretdb"


def _fingerprint(*files: Path) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def kafka_version() -> str:
    text = (repo_root() / KAFKA_POM).read_text()
    start = text.index("<artifactId>kafka_2.13</artifactId><version>") + len(
        "<artifactId>kafka_2.13</artifactId><version>"
    )
    return text[start : text.index("<", start)]


def install_kafka() -> Path:
    """Resolve the broker and its runtime dependencies from Maven Central (once)."""
    pom = repo_root() / KAFKA_POM
    lib = cache_dir() / f"kafka-{kafka_version()}-{_fingerprint(pom)}" / "lib"
    marker = lib / ".complete"
    if marker.exists():
        return lib
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise RuntimeError("Apache Kafka needs a JDK (java) and Maven (mvn) on the PATH")
    print(f"installing Apache Kafka {kafka_version()} from Maven Central into {lib} ...", flush=True)
    if lib.exists():
        shutil.rmtree(lib)
    subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            f"-Dmaven.repo.local={cache_dir() / 'm2'}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={lib}",
            "-DincludeScope=runtime",
        ],
        check=True,
    )
    marker.write_text(kafka_version())
    return lib


# FerretDB v1.24.0, as built here, differs from upstream by two small patches:
#
# 1. It creates its `_id` index on `_ferretdb_sjson->"_id"` but looks documents up
#    by `_ferretdb_sjson->'$._id'`: SQLite cannot match the two expressions, so
#    every lookup, update and delete by `_id` scanned the whole table. Both mean
#    the same key ("X" and "$.X" are one path for `->`); the lookup is rewritten to
#    the index's spelling.
# 2. Its update, findAndModify and delete read the document, change it in Go and
#    write it back, without holding anything across the read and the write: two
#    concurrent updates of one document could lose one of them (on MongoDB a
#    single-document update is atomic). A process-wide lock around those
#    read-modify-write steps makes them atomic again; SQLite serialises writes
#    anyway, and reads are not affected.
# 3. It looks a document up by its `_id` only when `_id` is the filter's one key:
#    `{_id: k, status: "draft"}` (a conditional update, an idempotent apply) read
#    and decoded every document of the collection. The handler checks every
#    document it gets against the whole filter anyway, so `_id` equality is now
#    used to narrow the rows read whatever other keys the filter has (top-level
#    keys are a conjunction: a match must have that `_id`).
_RMW_LOCK = """
\treadModifyWrite.Lock()
\tdefer readModifyWrite.Unlock()
"""
FERRETDB_PATCHES: list[tuple[str, str | None, str]] = [
    (
        "internal/backends/sqlite/metadata/metadata.go",
        """IDColumn = DefaultColumn + "->'$._id'\"""",
        """IDColumn = DefaultColumn + "->'_id'\"""",
    ),
    (
        "internal/handler/spiegel_read_modify_write.go",
        None,
        'package handler\n\nimport "sync"\n\n'
        "// readModifyWrite makes each update, findAndModify and delete atomic (Spiegel's patch).\n"
        "var readModifyWrite sync.Mutex\n",
    ),
    (
        "internal/handler/msg_update.go",
        "func (h *Handler) updateDocument(ctx context.Context, params *common.UpdateParams) "
        "(int32, int32, *types.Array, error) {\n",
        "func (h *Handler) updateDocument(ctx context.Context, params *common.UpdateParams) "
        "(int32, int32, *types.Array, error) {" + _RMW_LOCK,
    ),
    (
        "internal/handler/msg_findandmodify.go",
        "func (h *Handler) findAndModifyDocument(ctx context.Context, params *common.FindAndModifyParams) "
        "(*findAndModifyResult, error) {\n",
        "func (h *Handler) findAndModifyDocument(ctx context.Context, params *common.FindAndModifyParams) "
        "(*findAndModifyResult, error) {" + _RMW_LOCK,
    ),
    (
        "internal/handler/msg_delete.go",
        "func (h *Handler) execDelete(ctx context.Context, c backends.Collection, p *common.Delete) "
        "(int32, error) {\n",
        "func (h *Handler) execDelete(ctx context.Context, c backends.Collection, p *common.Delete) "
        "(int32, error) {" + _RMW_LOCK,
    ),
    (
        "internal/backends/sqlite/collection.go",
        'if params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get("_id")\n\t\tswitch v.(type) {\n'
        "\t\tcase string, types.ObjectID:\n\t\t\twhereClause",
        'if params.Filter.Len() > 0 {\n\t\tv, _ := params.Filter.Get("_id")\n\t\tswitch v.(type) {\n'
        "\t\tcase string, types.ObjectID:\n\t\t\twhereClause",
    ),
    (  # the same in explain, so it reports what a query does
        "internal/backends/sqlite/collection.go",
        'if params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get("_id")\n\t\tswitch v.(type) {\n'
        "\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown",
        'if params.Filter.Len() > 0 {\n\t\tv, _ := params.Filter.Get("_id")\n\t\tswitch v.(type) {\n'
        "\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown",
    ),
]


def install_ferretdb() -> Path:
    """`go install` FerretDB v1 (SQLite backend) at the version pinned in go.mod (once)."""
    module = repo_root() / FERRETDB_MODULE
    fingerprint = _fingerprint(module / "go.mod", module / "go.sum", module / "main.go")
    fingerprint = hashlib.sha256((fingerprint + repr(FERRETDB_PATCHES)).encode()).hexdigest()[:16]
    bindir = cache_dir() / f"ferretdb-{fingerprint}"
    binary = bindir / "ferretdb"
    if binary.exists():
        return binary
    if shutil.which("go") is None:
        raise RuntimeError("FerretDB is built with Go: `go` must be on the PATH")
    print(f"installing FerretDB v1 with go install into {bindir} (about a minute, once) ...", flush=True)
    env = {**os.environ, "GOFLAGS": "-mod=mod -trimpath", "CGO_ENABLED": "0"}
    version = next(
        line.split()[-1]
        for line in (module / "go.mod").read_text().splitlines()
        if line.strip().startswith("require github.com/FerretDB/FerretDB")
    )
    info = subprocess.run(
        ["go", "mod", "download", "-json", f"github.com/FerretDB/FerretDB@{version}"],
        cwd=module,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    import json

    source = Path(json.loads(info.stdout)["Dir"])
    build = cache_dir() / f"ferretdb-build-{fingerprint}"
    if build.exists():
        shutil.rmtree(build)
    shutil.copytree(source, build / "FerretDB")
    for relative, old, new in FERRETDB_PATCHES:
        target = build / "FerretDB" / relative
        if old is None:
            target.write_text(new)
            continue
        target.chmod(0o644)
        text = target.read_text()
        if text.count(old) != 1:
            raise RuntimeError(f"FerretDB patch does not apply to {relative}")
        target.write_text(text.replace(old, new))
    main_module = build / "main"
    main_module.mkdir()
    for name in ("go.mod", "go.sum", "main.go"):
        shutil.copy(module / name, main_module / name)
    subprocess.run(
        ["go", "mod", "edit", f"-replace=github.com/FerretDB/FerretDB={build / 'FerretDB'}"],
        cwd=main_module,
        env=env,
        check=True,
    )
    subprocess.run(["go", "install", "."], cwd=main_module, env={**env, "GOBIN": str(bindir)}, check=True)
    shutil.rmtree(build, ignore_errors=True)
    return binary


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes] | None
    log: Path
    pid_file: Path | None = None

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, timeout=30)
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)


def start_kafka(workdir: Path, port: int, controller_port: int, partitions: int = 3) -> Server:
    lib = install_kafka()
    data = workdir / "kafka-data"
    config = workdir / "kafka.properties"
    log = workdir / "kafka.log"
    config.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={data}",
                f"num.partitions={partitions}",
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=6",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=4",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "",
            ]
        )
    )
    java = ["java", "-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true"]
    classpath = f"{lib}/*"
    if not (data / "meta.properties").exists():
        data.mkdir(parents=True, exist_ok=True)
        cluster_id = (
            subprocess.run(
                [*java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        subprocess.run(
            [
                *java,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(config),
                "--ignore-formatted",
            ],
            check=True,
            capture_output=True,
        )
    log4j = repo_root() / "tools" / "kafka" / "log4j2.yaml"
    process = spawn(
        [*java, f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath, "kafka.Kafka", str(config)],
        log=log,
    )
    bootstrap = f"127.0.0.1:{port}"
    wait_for(lambda: kafka_ready(bootstrap), timeout=90, what="Apache Kafka", process=process, log=log)
    pid_file = workdir / "kafka.pid"
    pid_file.write_text(str(process.pid))
    return Server("kafka", bootstrap, process, log, pid_file)


def kafka_ready(bootstrap: str) -> bool:
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    async def probe() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        await admin.start()
        try:
            await admin.list_topics()
            return True
        finally:
            await admin.close()

    host, port = bootstrap.rsplit(":", 1)
    if not port_open(int(port), host):
        return False
    # In a thread of its own: callers may already be inside an event loop.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, probe()).result()


def start_ferretdb(workdir: Path, port: int) -> Server:
    binary = install_ferretdb()
    data = workdir / "ferretdb-data"
    data.mkdir(parents=True, exist_ok=True)
    log = workdir / "ferretdb.log"
    # synchronous(NORMAL) in WAL mode: a killed process loses no committed write;
    # only a power cut of the development machine could. Production uses MongoDB.
    sqlite_url = f"file:{data}/?_pragma=synchronous(NORMAL)"
    # FerretDB allocates a great deal per command while its live heap stays small (tens of MB):
    # collecting at 5x the live heap instead of 2x costs it 15-25 % less CPU (measured per find,
    # update and insert), for some tens of MB more memory. SPIEGEL_FERRETDB_GOGC sets another value.
    env = {**os.environ, "GOGC": os.environ.get("SPIEGEL_FERRETDB_GOGC", "400")}
    process = spawn(
        [str(binary), f"--listen-addr=127.0.0.1:{port}", f"--sqlite-url={sqlite_url}"], log=log, env=env
    )
    url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    wait_for(lambda: mongo_ready(url), timeout=30, what="FerretDB", process=process, log=log)
    pid_file = workdir / "ferretdb.pid"
    pid_file.write_text(str(process.pid))
    return Server("ferretdb", url, process, log, pid_file)


def mongo_ready(url: str) -> bool:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=1000)
    try:
        client.admin.command("ping")
        return True
    finally:
        client.close()


@dataclass
class Stack:
    """Kafka and a MongoDB-compatible server: external when configured, else local."""

    kafka_bootstrap: str
    mongodb_url: str
    servers: list[Server] = field(default_factory=list)
    workdir: Path | None = None

    @property
    def local(self) -> bool:
        return bool(self.servers)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()

    def server(self, name: str) -> Server:
        return next(s for s in self.servers if s.name == name)


def stop_stale(workdir: Path) -> None:
    """Stop servers a crashed earlier run left behind in this work directory."""
    from spiegel_dev.processes import stop_pid

    for pid_file in workdir.glob("*.pid"):
        try:
            pid = int(pid_file.read_text().strip())
        except ValueError:
            pid_file.unlink(missing_ok=True)
            continue
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and str(workdir).encode() in cmdline.read_bytes():
            stop_pid(pid)
        pid_file.unlink(missing_ok=True)


def start_stack(
    workdir: Path,
    *,
    kafka_port: int,
    controller_port: int,
    mongo_port: int,
    environ: dict[str, str] | None = None,
) -> Stack:
    environ = dict(os.environ if environ is None else environ)
    external_kafka = environ.get("KAFKA_BOOTSTRAP_SERVERS")
    external_mongo = environ.get("MONGODB_URL")
    workdir.mkdir(parents=True, exist_ok=True)
    stop_stale(workdir)
    stack = Stack(kafka_bootstrap=external_kafka or "", mongodb_url=external_mongo or "", workdir=workdir)
    try:
        if not external_mongo:
            server = start_ferretdb(workdir, mongo_port)
            stack.servers.append(server)
            stack.mongodb_url = server.url
        if not external_kafka:
            server = start_kafka(workdir, kafka_port, controller_port)
            stack.servers.append(server)
            stack.kafka_bootstrap = server.url
    except BaseException:
        stack.stop()
        raise
    return stack


def new_instance_dir(prefix: str) -> Path:
    path = cache_dir() / "run" / f"{prefix}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True, exist_ok=True)
    return path
