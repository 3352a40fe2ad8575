//! vigie-case: what a scan's findings mean for each account, written so that
//! people and other tools can use it.
//!
//! [`activity`] gathers, in stage one, what every account did (mail-client
//! sessions with byte counters, webmail requests, forwards, mail sent) and
//! which time each log family covers; [`scope`] turns it, with the findings,
//! into the compromise scope and exfiltration estimate of each account, with
//! the limits of the evidence; [`timeline`] writes the findings in time
//! order (CSV, JSON lines; standard, verbose, Timesketch and ECS columns);
//! [`report`] renders the self-contained HTML report and a Markdown summary;
//! [`export`] writes a STIX 2.1 bundle, a MISP event and an ATT&CK Navigator layer;
//! [`store`] keeps all of it in the case database, `case.sqlite`; with the
//! `parquet` feature, `parquet` writes every normalized event as Parquet.

pub mod activity;
pub mod answers;
pub mod export;
pub mod owner;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod report;
pub mod scope;
pub mod store;
pub mod tally;
pub mod timeline;
