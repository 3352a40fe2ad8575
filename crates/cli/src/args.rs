//! Command-line flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Mail-server intrusion forensics: reads the logs and mailboxes of a mail
/// server (Postfix, Exim, Dovecot, Roundcube and other webmails, nginx,
/// Apache, syslog, journald) and tells whether it was breached, what was
/// reached, what left and whom the evidence points to.
#[derive(Parser, Debug)]
#[command(name = "vigie", version, propagate_version = true, after_help = TOP_EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse logs into normalized ECS events (JSON lines or CSV), or count them with --stats.
    #[command(after_help = EVENTS_EXAMPLES)]
    Events(EventsArgs),
    /// Read logs, run the detection rules and write the findings of a case.
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(Box<ScanArgs>),
    /// Run Sigma rules over JSON or JSON-lines documents (any source, dotted field names).
    #[command(after_help = HUNT_EXAMPLES)]
    Hunt(HuntArgs),
    /// Work with rule packs.
    #[command(
        subcommand,
        after_help = "Examples:\n  vigie rules check rules/\n  vigie rules check my-rules/ --json | jq ."
    )]
    Rules(RulesCommand),
    /// Write the HTML report and Markdown summary of a case that `vigie scan` wrote.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Follow logs as they are written and alert on what the rules, correlations and indicators find.
    #[command(after_help = WATCH_EXAMPLES)]
    Watch(Box<WatchArgs>),
    /// Import indicator feeds (STIX 2.1, MISP, OTX, abuse.ch exports, CSV or plain lists) and manage the stored sets.
    #[command(
        subcommand,
        after_help = "Examples:\n  vigie intel import roundpress.stix.json --name roundpress\n  vigie intel list\n  vigie intel remove roundpress"
    )]
    Intel(IntelCommand),
    /// Posture check of an installed mail stack from its own files: exploited versions and risky settings.
    #[command(after_help = AUDIT_EXAMPLES)]
    Audit(AuditArgs),
}

/// Flags of `vigie audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Folder standing for `/` of the audited system (a mounted image or a copy works the same).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,

    /// One JSON object per finding (JSON lines) instead of the table.
    #[arg(long)]
    pub json: bool,

    /// List the checks (id, level, component, ATT&CK, title) and exit.
    #[arg(long)]
    pub list_checks: bool,
}

const AUDIT_EXAMPLES: &str = "\
Examples:
  vigie audit                          (this machine)
  vigie audit --root /mnt/mail-image   (a mounted disk image or an offline copy)
  vigie audit --json | jq 'select(.level == \"high\")'
  vigie audit --list-checks            (what is checked, with ATT&CK ids)

Nothing is run on the audited system: package database, Roundcube, Dovecot,
Pigeonhole, Postfix, Exim, nginx, Apache, PHP and fail2ban/CrowdSec files are read.
Exit status: 0 no high finding, 1 a high finding, 2 error.";

/// `vigie intel …`.
#[derive(Subcommand, Debug)]
pub enum IntelCommand {
    /// Import feeds into a stored set that every later scan matches.
    #[command(after_help = INTEL_IMPORT_EXAMPLES)]
    Import(IntelImportArgs),
    /// List the stored sets.
    #[command(
        after_help = "Examples:\n  vigie intel list\n  vigie intel list --intel-dir /srv/vigie/intel"
    )]
    List(IntelDirArgs),
    /// Remove a stored set.
    #[command(
        after_help = "Examples:\n  vigie intel list                 # the sets' names\n  vigie intel remove roundpress"
    )]
    Remove(IntelRemoveArgs),
}

const INTEL_IMPORT_EXAMPLES: &str = "\
Examples:
  vigie intel import eset-winter-vivern.json            # a MISP event
  vigie intel import misp-feed/                         # a MISP feed folder (manifest.json)
  vigie intel import roundpress.stix.json --name roundpress
  vigie intel import threatfox.csv urlhaus.csv ipblocklist.csv --name abusech
  vigie intel import pulse.json --name otx-bianlian     # an AlienVault OTX pulse
  vigie intel list
  vigie scan /var/log --case case --ioc extra.txt       # a feed for one scan only

The format is found by content: STIX 2.x (indicators and OpenCTI's
observables), MISP events and feed folders, OTX pulses, the ThreatFox,
URLhaus, Feodo Tracker and SSLBL exports (CSV, JSON, text), CSV with a
header, plain lists. Columns are read by name: references, report links,
malware names and reporters are never taken as indicators; ip:port gives
the address. Defanged forms (hxxp, [.], [@]) are refanged and read. Each file's report
says how many entries were read, used, and refused by reason. A set of the
same name is replaced. A file that is not a feed (prose, binary, other
JSON) is refused with the reason. Exit status: 0 imported, 2 a file could
not be read or is not a feed (the others are still imported).";

/// Where the stored sets are.
#[derive(Debug, Args)]
pub struct IntelDirArgs {
    /// The store (default: $XDG_DATA_HOME/vigie/intel or ~/.local/share/vigie/intel).
    #[arg(long, value_name = "DIR")]
    pub intel_dir: Option<PathBuf>,

    /// One JSON object a line instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `vigie intel import`.
#[derive(Debug, Args)]
pub struct IntelImportArgs {
    /// Feed files, or MISP feed folders.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// The set's name (default: the first file's name).
    #[arg(long)]
    pub name: Option<String>,

    #[command(flatten)]
    pub store: IntelDirArgs,
}

/// `vigie intel remove`.
#[derive(Debug, Args)]
pub struct IntelRemoveArgs {
    /// The set's name, as `vigie intel list` shows it.
    pub name: String,

    #[command(flatten)]
    pub store: IntelDirArgs,
}

const REPORT_EXAMPLES: &str = "\
Examples:
  vigie report case-2026-11            # case-2026-11/report.html and report.md
  vigie report case --name 'Ministry mail, Dec 2025'

The HTML file is self-contained (no script, no external fetch, charts as inline SVG).";

/// `vigie report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The case folder (findings.jsonl and scope.json from `vigie scan`).
    #[arg(value_name = "DIR")]
    pub case: PathBuf,

    /// The case's name in the report (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
}

const TOP_EXAMPLES: &str = "\
Examples:
  vigie scan /var/log/ /var/vmail/ --case case   # logs and mailboxes: the case
  vigie report case                              # its HTML report again
  vigie events --stats /var/log/mail.log*        # what vigie understands of some logs
  vigie watch /var/log/ /var/vmail/              # live alerts, resumed after a restart
  vigie audit                                    # posture of this machine's mail stack

`vigie <command> --help` gives each command's options, examples and exit status.";

const SCAN_EXAMPLES: &str = "\
Examples:
  vigie scan /var/log/ --case case-2026-11
  vigie scan mail.log* nginx/ roundcube/ --case case --sigma my-rules/ --tz Europe/Paris
  vigie scan --json logs/ --case case | jq .
  vigie scan /var/log/ /var/vmail/ --case case --yara my-yara/   # logs and mailboxes
  vigie scan /var/log/ --case case --ioc roundpress.stix.json     # plus an indicator feed
  vigie scan /var/log/ --case case --events-parquet --geoip GeoLite2-Country.mmdb

Mail stores among the inputs (Maildir, mbox, .eml, found by content) are
scanned too. Writes CASE/findings.jsonl, one finding a line (rule, level,
ATT&CK ids, account and source, first and last time, count, evidence
file:line or message part), CASE/scope.json (per account: sessions, webmail
actions, forwards, mail sent, exfiltration estimate by channel with the
logs' coverage caveats), CASE/timeline.csv / timeline.jsonl,
CASE/attribution.json (hypotheses with evidence for and against, never a
verdict), STIX/MISP/ATT&CK exports and CASE/case.sqlite. Indicator sets
imported with `vigie intel import` are matched too (--no-intel-store: not).
A message past 100 nested MIME containers or 10,000 parts is read up to
there, counted as read in part and flagged VM090; one whose analysis takes
longer than 30 s is stopped there and flagged VM091; one another bound
cut short, VM092. A file or message vigie
fails on is named on stderr and skipped; the others are still read.
Exit status: 0 no finding, 1 findings, 2 usage or input error, nothing
read understood (no known log line, no mail store), or a file or message
vigie failed on.";

const HUNT_EXAMPLES: &str = "\
Examples:
  vigie hunt --sigma rules/ events.jsonl
  vigie events /var/log/mail.log | vigie hunt --sigma my-rules/ -
  vigie hunt --sigma sigma/rules/windows dump.json

A vigie event (event.dataset, as `vigie events` writes it) is only seen by
the rules whose logsource the mapping routes to its dataset, as in `vigie
scan`; other documents are seen by every rule. Correlation rules run over
the matches in document order, timed by @timestamp. Each match is one JSON
line: rule_id, title, level, correlation (true for a correlation), file and
index (1-based position of the document in its file). Exit status: 0 no match, 1 matches,
2 usage or input error (unreadable file, broken rules: they are listed on
stderr and the rules that load are still run).";

/// `vigie rules` subcommands.
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Load rules and list every one that cannot be loaded, with file, line and reason.
    #[command(
        after_help = "Examples:\n  vigie rules check rules/\n  vigie rules check my-rules/ --json | jq .\n\nYAML files that are not Sigma rules (no title, detection, correlation or\nfilter: a field mapping, test fixtures) are skipped with a note.\n\nExit status: 0 every rule loads, 1 some do not, 2 usage error or no rule\nat all in the paths given."
    )]
    Check(RulesCheckArgs),
}

/// Flags of `vigie rules check`.
#[derive(Args, Debug)]
pub struct RulesCheckArgs {
    /// Rule files or folders (read recursively for .yml and .yaml).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `vigie hunt`.
#[derive(Args, Debug)]
pub struct HuntArgs {
    /// Sigma rule files or folders; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    pub sigma: Vec<PathBuf>,

    /// JSON files (one or more documents each) or JSON-lines files; - for standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Field and logsource mapping for Sigma rules (default: the built-in rules/mappings/vigie.yml).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
}

const EVENTS_EXAMPLES: &str = "\
Examples:
  vigie events /var/log/mail.log /var/log/dovecot.log
  vigie events --stats /var/log/            (every file below, any compression)
  vigie events --stats --json 'logs/*.gz'   (counts per file, for machines)
  zcat mail.log.2.gz | vigie events --tz Europe/Paris -
  vigie events --format csv /var/log/nginx/access.log > events.csv

Exit status: 0 when every input was read, 2 when an input could not be read
(or ended early, e.g. a truncated .gz); what could be read is still output.";

/// Output shape of `vigie events`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One nested ECS JSON object per line.
    Jsonl,
    /// One CSV row per event, formula-safe.
    Csv,
}

/// Flags of `vigie events`.
#[derive(Args, Debug)]
pub struct EventsArgs {
    /// What to read and how.
    #[command(flatten)]
    pub input: InputArgs,

    /// Print only counts per file: detected format, lines, events, skipped lines by reason.
    #[arg(long)]
    pub stats: bool,

    /// With --stats: write the counts as JSON.
    #[arg(long, requires = "stats")]
    pub json: bool,

    /// Output format of the events.
    #[arg(long, value_enum, default_value = "jsonl", conflicts_with = "stats")]
    pub format: OutputFormat,
}

/// The log inputs and how to read them (shared by `events` and `scan`).
#[derive(Args, Debug)]
pub struct InputArgs {
    /// Log files, folders (read recursively), glob patterns, or - for standard input.
    /// Plain, .gz, .zst, .xz or .bz2 (detected by content); rotated sets are read oldest first.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Read every input as this log format instead of detecting it from its content.
    #[arg(long, value_name = "FORMAT", value_parser = log_format_names())]
    pub log_format: Option<String>,

    /// Time zone of timestamps that carry no offset (IANA name). Default: this machine's zone.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Place year-less syslog timestamps in the year before this date (RFC 3339 or YYYY-MM-DD)
    /// instead of before each file's modification time.
    #[arg(long, value_name = "DATE")]
    pub reference_time: Option<String>,

    /// Longest line read whole, in bytes (at least 1024: a smaller value reads as 1024);
    /// longer lines are counted as skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_line: usize,

    /// Most bytes one compressed input may expand to (guards against decompression bombs).
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024 * 1024)]
    pub max_decompressed: u64,

    /// Most bytes one compressed file may expand to per byte of it (never
    /// below 256 MiB; 0: no such bound). Logs compress 5 to 30 times; a bomb
    /// of zeros about a thousand.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_ratio: u64,

    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

/// Flags of `vigie scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// What to read and how.
    #[command(flatten)]
    pub input: InputArgs,

    /// Case folder (created if missing; never one holding an input): findings, scope, timeline, exports, case.sqlite.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,

    /// The detection rules.
    #[command(flatten)]
    pub rules: RuleArgs,

    /// Where addresses are.
    #[command(flatten)]
    pub geo: GeoArgs,

    /// End of a baseline period nothing in which is judged (RFC 3339 or YYYY-MM-DD).
    /// Default: none; each account is compared with its own earlier days after a week's warm-up.
    #[arg(long, value_name = "DATE")]
    pub baseline_until: Option<String>,

    /// More YARA rule files or folders, run over mail content beside the shipped rules.
    #[arg(long, value_name = "PATH")]
    pub yara: Vec<PathBuf>,

    /// Also write every normalized event to CASE/events.parquet (one column per ECS field).
    #[arg(long)]
    pub events_parquet: bool,

    /// The indicators matched.
    #[command(flatten)]
    pub intel: IntelArgs,

    /// Do not look for mail stores (Maildir, mbox, .eml) among the inputs.
    #[arg(long)]
    pub no_mail: bool,

    /// Also audit the installed system under DIR, as `vigie audit --root DIR` does,
    /// into CASE/audit.jsonl (exploited versions and risky settings of the mail stack).
    #[arg(long, value_name = "DIR")]
    pub audit_root: Option<PathBuf>,

    /// Write the scope of every account seen, not only of those with a finding.
    #[arg(long, conflicts_with = "findings_only")]
    pub all_accounts: bool,

    /// Write only findings.jsonl: no scope, no timeline (a faster first triage).
    #[arg(long)]
    pub findings_only: bool,

    /// Columns of timeline.csv / timeline.jsonl.
    #[arg(long, value_name = "PROFILE", default_value = "standard",
          value_parser = ["standard", "verbose", "timesketch", "ecs"])]
    pub timeline_profile: String,

    /// Print the findings as JSON lines instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// The Sigma rules run (shared by `scan` and `watch`).
#[derive(Args, Debug)]
pub struct RuleArgs {
    /// More Sigma rule files or folders, run beside the built-in pack.
    #[arg(long, value_name = "PATH")]
    pub sigma: Vec<PathBuf>,

    /// Run only the rules given with --sigma, not the built-in pack.
    #[arg(long, requires = "sigma")]
    pub no_builtin_rules: bool,

    /// Field and logsource mapping for Sigma rules (default: the built-in rules/mappings/vigie.yml).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
}

/// The databases that place addresses (shared by `scan` and `watch`).
#[derive(Args, Debug)]
pub struct GeoArgs {
    /// MaxMind-format country database (GeoIP2/GeoLite2 Country or City): logins are
    /// compared with each account's baseline countries.
    #[arg(long, value_name = "FILE")]
    pub geoip: Option<PathBuf>,

    /// MaxMind-format ASN database: logins are compared with each account's baseline
    /// network operators.
    #[arg(long, value_name = "FILE")]
    pub asn: Option<PathBuf>,
}

/// The indicator sets matched (shared by `scan` and `watch`).
#[derive(Args, Debug)]
pub struct IntelArgs {
    /// An indicator feed for this run only (STIX 2.1, MISP, CSV or plain list); repeatable.
    #[arg(long, value_name = "FILE")]
    pub ioc: Vec<PathBuf>,

    /// The store of imported sets to match (default: the user's; see `vigie intel`).
    #[arg(long, value_name = "DIR")]
    pub intel_dir: Option<PathBuf>,

    /// Match no stored set (only --ioc feeds).
    #[arg(long)]
    pub no_intel_store: bool,
}

const WATCH_EXAMPLES: &str = "\
Examples:
  vigie watch /var/log/mail.log /var/log/nginx/ /var/log/roundcube/
  vigie watch /var/log/ --alerts /var/lib/vigie/alerts.jsonl --ioc roundpress.stix.json
  vigie watch /var/log/ --json | jq -c 'select(.level == \"critical\")'
  journalctl -f -o json -u dovecot -u postfix@- | vigie watch -
  vigie watch /var/log/ --min-level high --exec 'mail -s \"vigie alert\" soc@example.org'
  vigie watch /var/log/ /var/vmail/          # logs, and each message as it is delivered
  vigie watch /var/log/mail.log --webhook https://soc.example.org/hook --syslog udp:siem:514
  vigie watch /var/log/mail.log --status     # files, offsets, lag, alerts queued

Follows the files (and the live files of the folders: not rotations, not
compressed) and prints an alert the moment a rule, a correlation or an
indicator matches a new line. Messages delivered into the Maildirs under
the folders are analysed as they land (webmail exploits, YARA, indicators),
and Sieve scripts written beside them are read for redirects. The lines already in the files at start are
read first, silently, as the baseline the analytics (login from a new
address, network or hour; unusual download volume) compare new logins
with; --from-start alerts on them too. Rotation (create or copytruncate)
and new files are followed. Standard input (-) is read as it comes; the
watch ends when it ends (if nothing else is followed). An alert repeats for
the same rule and account/address only after --quiet-for seconds. Runs
until interrupted (or --stop-after); exit status 1 when it raised an
alert, 0 when not, 2 on a usage error.

A watch resumes: its state folder (--state-dir) keeps each file's position,
the correlation windows and the alerts delivered, written every few seconds
and on SIGTERM/SIGINT. After a stop or a crash, the lines written meanwhile
(in the file, or in a rotation of it, even compressed) are read and alerted,
and no alert is delivered twice. SIGHUP reloads the rules and indicators.";

/// Flags of `vigie watch`.
#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Log files and folders to follow, or - for standard input.
    #[arg(required_unless_present = "status", value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Where the watch keeps what it needs to resume after a stop or a crash (files'
    /// positions, correlation windows, alerts delivered, the webhook queue). Default:
    /// $XDG_STATE_HOME/vigie/watch-<hash of the paths> (~/.local/state/vigie/...).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Print the status of the watch of these paths (or of --state-dir): files followed,
    /// offsets, lag behind each file's end, alerts queued; then exit.
    #[arg(long)]
    pub status: bool,

    /// Also POST every alert as JSON to this http(s) URL, queued on disk and retried
    /// with backoff until the collector answers 2xx.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// Most bytes of alerts the webhook queue holds on disk; past it, alerts are not
    /// queued (and counted).
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub webhook_queue_max: u64,

    /// Also send every alert as an RFC 5424 syslog message: unix:/dev/log,
    /// udp:HOST:PORT or tcp:HOST:PORT.
    #[arg(long, value_name = "TARGET")]
    pub syslog: Option<String>,

    /// Alert on the lines already in the files too, not only on new ones.
    #[arg(long)]
    pub from_start: bool,

    /// Seconds between two looks at the files.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub interval: f64,

    /// Seconds before an alert of the same rule and account/address repeats.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub quiet_for: u64,

    /// Also append every alert, one JSON finding a line, to this file.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,

    /// Print alerts as JSON lines (one finding each) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long, value_name = "SECONDS")]
    pub stop_after: Option<f64>,

    /// Raise only alerts of this level or above.
    #[arg(long, value_name = "LEVEL", default_value = "informational",
          value_parser = ["critical", "high", "medium", "low", "informational"])]
    pub min_level: String,

    /// Run this shell command for each alert, the alert's JSON on its standard input
    /// (and VIGIE_RULE_ID, VIGIE_LEVEL in its environment); it does not hold the watch up.
    #[arg(long, value_name = "COMMAND")]
    pub exec: Option<String>,

    /// The detection rules.
    #[command(flatten)]
    pub rules: RuleArgs,

    /// The indicators matched.
    #[command(flatten)]
    pub intel: IntelArgs,

    /// Where addresses are.
    #[command(flatten)]
    pub geo: GeoArgs,

    /// More YARA rule files or folders, run over each message delivered beside the shipped rules.
    #[arg(long, value_name = "PATH")]
    pub yara: Vec<PathBuf>,

    /// Do not watch the mail stores (Maildirs, Sieve scripts) under the folders.
    #[arg(long)]
    pub no_mail: bool,

    /// Read every input as this log format instead of detecting it from its content.
    #[arg(long, value_name = "FORMAT", value_parser = log_format_names())]
    pub log_format: Option<String>,

    /// Time zone of timestamps that carry no offset (IANA name). Default: this machine's zone.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Longest line read whole, in bytes (at least 1024: a smaller value reads as 1024);
    /// longer lines are counted as skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_line: usize,
}

fn log_format_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(vigie_ingest::Format::ALL.iter().map(|f| f.name()))
}
