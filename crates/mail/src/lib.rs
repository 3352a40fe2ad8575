//! vigie-mail: the mail stores of a server, read and searched for the
//! messages that exploit its webmail.
//!
//! [`store`] finds Maildirs, mbox files and `.eml` files by content and reads
//! them one message at a time; [`analyze`] parses each with mail-parser and
//! describes it part by part; [`html`] tokenizes its markup (html5ever) and
//! [`indicators`] names what it finds, each with a level and, where one fits,
//! a CVE and ATT&CK ids; [`yara`] (feature `yara`) adds YARA-X rules.
//! [`payload`] decodes the strings of its scripts for the URLs and addresses
//! they hide; [`raw_regions`] splits the raw message again as the webmail's IMAP server
//! does, so that a part mail-parser cuts differently is analysed all the same.
//! [`scan`] ties them together in parallel; [`sieve`] reads the `redirect`
//! actions of the Sieve scripts kept beside the mailboxes.

pub mod analyze;
pub mod html;
pub mod indicators;
pub mod limits;
pub mod payload;
pub mod raw_regions;
pub mod scan;
pub mod sieve;
pub mod store;
pub mod webmail_vectors;
#[cfg(feature = "yara")]
pub mod yara;

pub use analyze::{MessageReport, PartReport, analyze, analyze_within};
pub use indicators::{Indicator, Level};
pub use store::{Location, RawMessage, Store, StoreKind, Unread};
