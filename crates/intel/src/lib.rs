//! Threat intelligence for vigie: indicator feeds in, recognised by content
//! and read as published (STIX 2.1 with OpenCTI's observables, MISP events
//! and feed folders, AlienVault OTX pulses, ThreatFox, URLhaus, Feodo
//! Tracker and SSLBL exports, plain and CSV lists), a persistent store of imported sets, matching on events
//! and messages, and attribution as weighted hypotheses.
//!
//! ```
//! use vigie_intel::import::import_bytes;
//! use vigie_intel::matcher::IntelIndex;
//!
//! let (indicators, report) = import_bytes(b"203.161.50[.]145\nzhblz.com\n", "list.txt", "cai").unwrap();
//! assert_eq!(report.used, 2);
//! let index = IntelIndex::new(indicators);
//! let mut hits = Vec::new();
//! index.host("www.zhblz.com", &mut |id| hits.push(id));
//! assert_eq!(hits, [1]);
//! ```

mod abusech;
pub mod attribution;
pub mod import;
pub mod indicator;
pub mod matcher;
mod misp;
mod misp_feed;
mod otx;
mod plain;
mod stix;
pub mod store;

pub use stix::reduce as reduce_stix_pattern;
