//! A finding: what a rule concluded, about whom, when, and on which lines.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Timestamp;

/// One detection result as `findings.jsonl` carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// `informational`, `low`, `medium`, `high` or `critical`.
    pub level: String,
    /// ATT&CK technique ids (`T1114.003`).
    pub attack: Vec<String>,
    /// Who and where.
    pub entity: Entity,
    /// Time of the first event.
    pub first_seen: Timestamp,
    /// Time of the last event.
    pub last_seen: Timestamp,
    /// Events that made the finding.
    pub count: u64,
    /// The lines of those events (at most [`EVIDENCE_KEPT`]; `count` says how many there were).
    pub evidence: Vec<Evidence>,
    /// One line saying why.
    pub reason: String,
}

impl Finding {
    /// Puts `findings` in the order every output lists them: by first time,
    /// then rule, entity and evidence, so that the same inputs give the same
    /// bytes whatever the threads did.
    pub fn sort(findings: &mut [Finding]) {
        findings.sort_by(|a, b| {
            (a.first_seen, &a.rule_id, &a.entity, &a.evidence).cmp(&(
                b.first_seen,
                &b.rule_id,
                &b.entity,
                &b.evidence,
            ))
        });
    }
}

/// How many evidence lines a finding keeps.
pub const EVIDENCE_KEPT: usize = 100;

/// The account, address and session a finding is about, where known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entity {
    /// `user.name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `source.ip` (or `source.address`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// `session.id`, when every event of the finding shares it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// A line that made a finding, or a message and its MIME part.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Evidence {
    /// `log.file.path`, or the message's file.
    pub path: String,
    /// `log.file.line`; for a message, the line it starts at (1 but in an mbox).
    pub line: u64,
    /// For a message, the MIME part (`1.2`: the second part of the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

impl Serialize for Timestamp {
    /// RFC 3339 UTC text in a human-readable format (JSON); microseconds
    /// since the epoch in a binary one (the shipped stage state, [`crate::wire`]).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// Reads what `Serialize` writes: RFC 3339 UTC text, or microseconds in a binary format.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            i64::deserialize(deserializer).map(Timestamp)
        }
    }
}
