"""``vigie-spark``: the command line."""

from __future__ import annotations

import argparse
import sys

from vigie_spark.job import Options, scan

EXAMPLES = """\
examples:
  # two executors on this machine (what the tests run)
  vigie-spark scan /srv/logs/mail1 --case cases/mail1 --master 'local-cluster[2,1,1024]'
  # on a cluster: the paths must be readable by every executor at the same place
  spark-submit --master yarn $(python -c 'import vigie_spark.cli as c; print(c.__file__)') \\
      scan /mnt/evidence/mail1 --case /mnt/cases/mail1 --tz Europe/Paris

exit status: 0 nothing found, 1 findings, 2 an input, rule or the job failed
"""


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="vigie-spark",
        description="vigie's scan on Apache Spark: the same findings and case files as `vigie scan`.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True)
    s = commands.add_parser(
        "scan",
        help="read logs (and mail stores) on a Spark cluster and write the case",
        description="Reads logs and mail stores as `vigie scan` does, stage one on the executors, "
        "stage two per case, and writes the case folder (findings.jsonl, case.sqlite, report).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("paths", nargs="+", metavar="PATH", help="log files, folders or globs, mail stores")
    s.add_argument("--case", required=True, metavar="DIR", help="the case folder to write")
    s.add_argument("--master", metavar="URL", help="Spark master (local[4], local-cluster[2,1,1024], yarn, spark://…)")
    s.add_argument("--tz", metavar="ZONE", help="zone of timestamps without an offset (IANA name)")
    s.add_argument("--log-format", metavar="NAME", help="force a format instead of detecting it")
    s.add_argument("--reference-time", metavar="TIME", help="year-less timestamps are placed before it")
    s.add_argument("--sigma", action="append", default=[], metavar="PATH", help="more Sigma rules (repeatable)")
    s.add_argument("--no-builtin-rules", action="store_true", help="only the --sigma rules")
    s.add_argument("--mapping", metavar="FILE", help="field and logsource mapping")
    s.add_argument("--ioc", action="append", default=[], metavar="FEED", help="indicator feed (repeatable)")
    s.add_argument("--intel-dir", metavar="DIR", help="the indicator store")
    s.add_argument("--no-intel-store", action="store_true", help="do not read the indicator store")
    s.add_argument("--yara", action="append", default=[], metavar="PATH", help="YARA rules for mail (repeatable)")
    s.add_argument("--geoip", metavar="MMDB", help="GeoIP country/city database")
    s.add_argument("--asn", metavar="MMDB", help="GeoIP ASN database")
    s.add_argument("--baseline-until", metavar="DATE", help="end of the baseline period")
    s.add_argument("--findings-only", action="store_true", help="write findings.jsonl only")
    s.add_argument("--all-accounts", action="store_true", help="list every account in the scope")
    s.add_argument("--timeline-profile", default="standard", metavar="NAME", help="timeline profile")
    s.add_argument("--no-mail", action="store_true", help="do not look for mail stores")
    s.add_argument("--chunk-mb", type=int, default=32, metavar="MB", help="size of the pieces a log that can be cut is cut into")
    s.add_argument("--json", action="store_true", help="print the findings as JSON lines")
    s.add_argument("--spark-logs", action="store_true", help="keep Spark's own log messages")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    options = Options(
        paths=args.paths,
        case=args.case,
        master=args.master,
        tz=args.tz,
        log_format=args.log_format,
        reference_time=args.reference_time,
        sigma=args.sigma,
        no_builtin_rules=args.no_builtin_rules,
        mapping=args.mapping,
        ioc=args.ioc,
        intel_dir=args.intel_dir,
        no_intel_store=args.no_intel_store,
        yara=args.yara,
        geoip=args.geoip,
        asn=args.asn,
        baseline_until=args.baseline_until,
        findings_only=args.findings_only,
        all_accounts=args.all_accounts,
        timeline_profile=args.timeline_profile,
        no_mail=args.no_mail,
        chunk_mb=max(1, args.chunk_mb),
        json=args.json,
        quiet_spark=not args.spark_logs,
    )
    try:
        return scan(options)
    except Exception as e:  # the job's own failure: said in one line, status 2
        print(f"vigie-spark: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
