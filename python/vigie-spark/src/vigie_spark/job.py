"""The Spark job: plan on the driver, stage one in ``mapInArrow``, stage two
per case in ``groupBy("key").applyInArrow``, the case written on the driver.

Inputs are read by the executors from the paths the driver lists (made
absolute, so that evidence names the same file on every machine): a local
or shared file system (NFS, a FUSE mount of object storage) seen at the
same path by the driver and the executors.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field

import pyarrow as pa

from vigie_spark import _native

# The Arrow types Spark hands over and accepts (it has no unsigned integers).
STAGE_ONE_SPARK = pa.schema(
    [
        ("key", pa.string()),
        ("path", pa.string()),
        ("first_line", pa.int64()),
        ("lines", pa.int64()),
        ("events", pa.int64()),
        ("state", pa.binary()),
    ]
)
FINDINGS_SPARK = pa.schema(
    [
        ("key", pa.string()),
        ("rule_id", pa.string()),
        ("level", pa.string()),
        ("title", pa.string()),
        ("user", pa.string()),
        ("source_ip", pa.string()),
        ("first_seen", pa.timestamp("us", tz="UTC")),
        ("last_seen", pa.timestamp("us", tz="UTC")),
        ("count", pa.int64()),
        ("finding", pa.string()),
        ("outcome", pa.binary()),
    ]
)
# What the engine's stage one reads (vigie_engine::arrow::chunk_schema).
CHUNKS = pa.schema(
    [
        ("path", pa.string()),
        ("set", pa.string()),
        ("format", pa.string()),
        ("first_line", pa.uint64()),
        ("modified", pa.timestamp("us", tz="UTC")),
        ("data", pa.binary()),
    ]
)


@dataclass
class Options:
    """What ``vigie-spark scan`` was asked (the flags of ``vigie scan`` it shares)."""

    paths: list[str]
    case: str
    master: str | None = None
    tz: str | None = None
    log_format: str | None = None
    reference_time: str | None = None
    sigma: list[str] = field(default_factory=list)
    no_builtin_rules: bool = False
    mapping: str | None = None
    ioc: list[str] = field(default_factory=list)
    intel_dir: str | None = None
    no_intel_store: bool = False
    yara: list[str] = field(default_factory=list)
    geoip: str | None = None
    asn: str | None = None
    baseline_until: str | None = None
    findings_only: bool = False
    all_accounts: bool = False
    timeline_profile: str = "standard"
    no_mail: bool = False
    chunk_mb: int = 32
    json: bool = False
    quiet_spark: bool = True


def engine_config(o: Options) -> str:
    """The ``EngineConfig`` (vigie_engine::config) as JSON, as ``vigie scan`` makes it from its flags."""
    absolute = lambda paths: [os.path.abspath(p) for p in paths]  # noqa: E731
    one = lambda p: os.path.abspath(p) if p else None  # noqa: E731
    return json.dumps(
        {
            "rules": {
                "sigma": absolute(o.sigma),
                "no_builtin_rules": o.no_builtin_rules,
                "mapping": one(o.mapping),
            },
            "intel": {
                "ioc": absolute(o.ioc),
                "intel_dir": one(o.intel_dir),
                "no_intel_store": o.no_intel_store,
            },
            "input": {
                "log_format": o.log_format,
                "tz": o.tz,
                "reference_time": o.reference_time,
            },
            "yara": absolute(o.yara),
            "geoip": one(o.geoip),
            "asn": one(o.asn),
            "baseline_until": o.baseline_until,
            "findings_only": o.findings_only,
            "all_accounts": o.all_accounts,
            "timeline_profile": o.timeline_profile,
        }
    )


# One engine per Python worker process (Spark reuses workers between tasks).
_ENGINES: dict[tuple[str, bytes | None], _native.Engine] = {}


def _engine(config: str, openings: bytes | None) -> _native.Engine:
    key = (config, openings)
    if key not in _ENGINES:
        _ENGINES[key] = _native.Engine(config, openings)
    return _ENGINES[key]


def _read(path: str, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def stage_one_task(config: str, openings: bytes):
    """The function ``mapInArrow`` runs: plan rows in, stage-one rows out."""

    def run(batches):
        engine = _engine(config, openings)
        for plan in batches:
            rows = plan.to_pylist()
            if not rows:
                continue
            key = rows[0]["key"]
            chunks = pa.RecordBatch.from_pylist(
                [
                    {
                        "path": r["path"],
                        "set": r["set"],
                        "format": r["format"],
                        "first_line": r["first_line"],
                        "modified": r["modified"],
                        "data": None if r["whole"] else _read(r["path"], r["offset"], r["length"]),
                    }
                    for r in rows
                ],
                schema=CHUNKS,
            )
            yield engine.stage_one(key, chunks).cast(STAGE_ONE_SPARK)

    return run


def stage_two_task(config: str, openings: bytes, mail_paths: list[str], earlier: bytes | None):
    """The function ``applyInArrow`` runs: one case's stage-one rows in, its findings out."""

    def run(table: pa.Table) -> pa.Table:
        # The flagged messages too: stage two links them to the requests that opened them.
        engine = _engine(config, openings)
        key = table.column("key")[0].as_py()
        out = engine.stage_two(key, table.to_batches(), mail_paths, earlier)
        return pa.Table.from_batches([out.cast(FINDINGS_SPARK)])

    return run


def session(master: str | None):
    """A Spark session on ``master``; without one, ``spark-submit``'s master, else ``local[*]``."""
    from pyspark.sql import SparkSession

    # Executors run this interpreter (the one vigie-spark is installed in).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("vigie-spark")
    if master:
        builder = builder.master(master)
    return (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
        .getOrCreate()
    )


def say(text: str) -> None:
    print(f"vigie-spark: {text}", file=sys.stderr)


def scan(o: Options) -> int:
    """Runs the job; returns ``vigie scan``'s exit status (0 nothing found, 1 findings, 2 error)."""
    started = time.monotonic()
    config = engine_config(o)
    engine = _native.Engine(config)
    failed = False
    for e in engine.rule_errors():
        say(f"rule not loaded: {e.splitlines()[0] if e else e}")
        failed = True
    for text, lost in engine.intel_notes():
        say(text)
        failed = failed or lost
    paths = [os.path.abspath(p) for p in o.paths]
    case = os.path.abspath(o.case)
    key = os.path.basename(case.rstrip(os.sep)) or "case"
    plan = engine.plan(paths, key, o.chunk_mb << 20, o.no_mail)
    for e in plan["errors"]:
        say(e)
    failed = failed or plan["failed"]
    chunks: pa.RecordBatch = plan["chunks"]
    if chunks.num_rows == 0:
        say("no input to read")
        return 2
    mail_paths = [] if o.no_mail else paths
    earlier = engine.earlier(case) if os.path.isdir(case) else None

    spark = session(o.master)
    spark_ready = time.monotonic()
    if o.quiet_spark:
        spark.sparkContext.setLogLevel("ERROR")
    # One unit of work per task, the largest first (they are scheduled in order).
    rows = sorted(chunks.to_pylist(), key=lambda r: -r["length"])
    units = spark.sparkContext.parallelize(rows, len(rows))
    plan_schema = (
        "key string, path string, set string, format string, first_line long, offset long, "
        "length long, modified timestamp, whole boolean"
    )
    frame = spark.createDataFrame(units, plan_schema)
    stage_one_ddl, findings_ddl = _native.spark_schemas()
    stage_one = frame.mapInArrow(stage_one_task(config, plan["openings"]), stage_one_ddl)
    stage_two = stage_one.groupBy("key").applyInArrow(
        stage_two_task(config, plan["openings"], mail_paths, earlier), findings_ddl
    )
    found = stage_two.toArrow()
    summary = engine.write_case(case, found.to_batches(), mail_paths)
    elapsed = time.monotonic() - started
    say(summary["tally"])
    for e in summary["errors"]:
        say(e)
    failed = failed or summary["failed"]
    if o.json:
        with open(summary["findings_path"], encoding="utf-8") as f:
            sys.stdout.write(f.read())
    else:
        mb = plan["bytes"] / 1e6
        job = time.monotonic() - spark_ready
        print(
            f"{len(rows)} units of work, {mb:.1f} MB in {elapsed:.1f} s "
            f"({mb / max(elapsed, 1e-9):.1f} MB/s; the job {job:.1f} s after Spark started in "
            f"{spark_ready - started:.1f} s); {summary['findings']} findings in {summary['findings_path']}"
        )
    if failed:
        return 2
    return 1 if summary["findings"] else 0
