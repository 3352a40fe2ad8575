//! The case report: one self-contained HTML file (no external fetch, charts
//! as inline SVG, a Content-Security-Policy that allows no script at all and
//! only the report's own style, by hash) and a Markdown summary.
//!
//! Both are rendered from the case's typed structs ([`CaseFiles`]: the
//! findings, scope, answers, attribution and posture audit) through
//! [askama](https://askama.rs) templates (`crates/case/templates/`).
//! askama was chosen over maud and minijinja because its templates are
//! compiled with the crate: a field the template names must exist on the
//! view, a typo is a build error, and every value is printed through the
//! escaper of the template's extension ([`escape::Html`], [`escape::Markdown`])
//! unless the template says `|safe`, which none does (a test checks);
//! maud escapes as well but mixes the page's markup into Rust code, and
//! minijinja's templates are checked only when rendered. Every string
//! that came from a log or a mail is attacker-written: so all of them pass
//! through the escaper, control characters included.

pub mod escape;
mod svg;
mod view;

pub use view::human_bytes;

use askama::Template;
use serde::Deserialize;
use vigie_event::Finding;

use crate::answers::Answers;
use crate::scope::CaseScope;

/// Everything a case folder holds that the report shows.
#[derive(Debug)]
pub struct CaseFiles {
    /// The case's name (its folder's).
    pub name: String,
    /// `findings.jsonl`.
    pub findings: Vec<Finding>,
    /// `scope.json`.
    pub scope: CaseScope,
    /// `attribution.json`; `None` for a case written before it existed.
    pub attribution: Option<AttributionFile>,
    /// `answers.json`; `None` for a case written before it existed.
    pub answers: Option<Answers>,
    /// `audit.jsonl`, the posture audit of `vigie scan --audit-root`; empty without it.
    pub posture: Vec<PostureFinding>,
}

/// `attribution.json` as the report reads it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AttributionFile {
    /// What the ranking means.
    #[serde(default)]
    pub statement: String,
    /// The profiles weighed, with their sources.
    #[serde(default)]
    pub profiles: String,
    /// Best first.
    #[serde(default)]
    pub hypotheses: Vec<HypothesisRow>,
}

/// One hypothesis of `attribution.json`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HypothesisRow {
    /// Actor or hypothesis name.
    pub name: String,
    /// `actor` or `generic`.
    pub kind: String,
    /// The campaign the evidence matches.
    pub campaign: Option<String>,
    /// The actor's country, for an actor.
    pub country: Option<String>,
    /// Score (support, not probability).
    pub score: f64,
    /// `weak`, `moderate`, `substantial`, `strong`.
    pub support: String,
    /// What supports it, each line `behaviour (+weight): findings`.
    pub evidence_for: Vec<String>,
    /// What speaks against it.
    pub evidence_against: Vec<String>,
    /// What would raise it.
    pub would_raise: Vec<String>,
    /// What would lower it.
    pub would_lower: Vec<String>,
}

/// One finding of the posture audit (`audit.jsonl`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PostureFinding {
    /// Stable check id (`VAUD101`).
    pub check_id: String,
    /// Short title of the check.
    pub title: String,
    /// `high`, `medium`, `low`, `info`.
    pub level: String,
    /// The component (`roundcube`, `dovecot`…).
    pub component: Option<String>,
    /// Installed version.
    pub version: Option<String>,
    /// The CVE, for a vulnerable version.
    pub cve: Option<String>,
    /// Who exploited it in the wild.
    pub exploited_by: Option<String>,
    /// The file read.
    pub path: String,
    /// Its line, when the weakness is a setting written there.
    pub line: Option<u32>,
    /// Why it matters.
    pub why: String,
    /// How to fix it.
    pub fix: String,
}

/// The report's style sheet, allowed by the CSP by its hash. It holds no
/// character the escaper changes (a test checks), so the hash is of what
/// the page carries.
const STYLE: &str = "\
*{box-sizing:border-box}\
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1280px;color:#1b1f24;padding:0 1em}\
h1{font-size:1.5em;overflow-wrap:anywhere}h2{margin-top:1.8em;border-bottom:1px solid #d0d7de}h3{overflow-wrap:anywhere}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;width:100%;margin:.6em 0}\
td,th{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}th{background:#f6f8fa}\
.critical{background:#7d1111;color:#fff}.high{background:#d1242f;color:#fff}.medium{background:#f5a623}.low{background:#ddf4ff}\
.informational,.info{background:#eee}.lvl{padding:1px 6px;border-radius:3px;white-space:nowrap}\
code,.mono{font-family:ui-monospace,monospace;font-size:12px}\
.path{font-family:ui-monospace,monospace;font-size:12px;overflow-wrap:anywhere;word-break:break-word}\
.time{font-family:ui-monospace,monospace;font-size:12px;white-space:nowrap}\
.filetime{font-style:italic;color:#57606a}\
.answer{background:#f6f8fa;border-left:4px solid #0969da;padding:.5em 1em;margin:.5em 0}\
.caveat{color:#57606a}.weight{color:#57606a;font-size:12px}td.wide{min-width:24em}td.wide div{margin-bottom:.3em}\
svg{background:#fff;border:1px solid #d0d7de;max-width:100%;height:auto}\
details{margin:.4em 0}summary{cursor:pointer}small{color:#57606a}\
@media (max-width:700px){body{font-size:13px;padding:0 .4em}td,th{padding:2px 4px}}";

/// The HTML report of a case.
pub fn html(case: &CaseFiles) -> askama::Result<String> {
    view::HtmlReport::new(case, STYLE).render()
}

/// The Markdown summary of a case.
pub fn markdown(case: &CaseFiles) -> askama::Result<String> {
    view::MarkdownReport::new(case).render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_is_printed_as_written() {
        assert_eq!(escape::html(STYLE), STYLE);
    }

    #[test]
    fn no_template_prints_a_value_unescaped() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for unsafe_ in ["|safe", "| safe", "escape(", "e(\"none\")", "autoescape"] {
                assert!(!text.contains(unsafe_), "{} uses {unsafe_}", path.display());
            }
        }
    }
}
