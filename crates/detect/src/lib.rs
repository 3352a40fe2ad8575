//! Detection: Sigma rules compiled once and run over events.
//!
//! [`sigma::RuleSet::load`] reads rule files and folders; a file that cannot
//! be read, parsed or compiled is reported as a [`sigma::RuleError`] with its
//! file, line and reason while every other rule still loads. The rules
//! compile into one `rsigma_eval::Engine` (rsigma: the full Sigma 2
//! specification — modifiers, condition grammar, filters and correlation
//! rules — with a rule index so that an event is not tried against every rule).
//!
//! A scan runs in two stages. Stage one, in parallel over files:
//! [`detector::Detector`] routes each event to the rules whose logsource
//! covers its dataset ([`mapping::Mapping`]) and [`findings::FindingSet`]
//! folds matches into findings; [`correlate::Correlator`] keeps a compact copy
//! of the events correlations need; [`analytics::LoginHistory`] and
//! [`analytics::VolumeHistory`] aggregate logins and downloads. Stage two:
//! correlations over all kept events in time order, then the
//! [`analytics::Analytic`]s (new address, network, country/ASN via
//! [`geo::GeoDb`], unusual hour, download volume, and the takeover chain).
//!
//! [`hunt::Hunter`] runs a rule set over arbitrary JSON documents, with
//! dotted access into nested objects and Windows event-log JSON (as `evtx`
//! dumps write it) flattened to the field names Sigma rules use.
//!
//! ```
//! use vigie_detect::{hunt::Hunter, mapping::Mapping, sigma::RuleSet};
//!
//! let rules = RuleSet::from_yaml("inline.yml", r#"
//! title: Webmail login failure
//! id: 5b1a4c5e-0000-4000-8000-000000000001
//! logsource: {product: roundcube}
//! detection:
//!     selection: {event.action: login-failed}
//!     condition: selection
//! level: low
//! "#);
//! assert!(rules.errors.is_empty());
//! let mut hunter = Hunter::new(&rules, &Mapping::builtin());
//! let event = serde_json::json!({"event": {"action": "login-failed"}});
//! assert_eq!(hunter.matches(&event)[0].title, "Webmail login failure");
//! // A Dovecot event is not a Roundcube log: the rule does not run on it.
//! let dovecot = serde_json::json!({"event": {"action": "login-failed", "dataset": "dovecot"}});
//! assert!(hunter.matches(&dovecot).is_empty());
//! ```

pub mod analytics;
pub mod correlate;
pub mod detector;
pub mod event_view;
pub mod findings;
pub mod geo;
pub mod hunt;
pub mod mapping;
pub mod sigma;
