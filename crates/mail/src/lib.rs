//! vigie-mail: the mail stores of a server, read and searched for the
//! messages that exploit its webmail.
//!
//! [`store`] finds Maildirs, mbox files and `.eml` files by content and reads
//! them one message at a time; [`analyze`] parses each with mail-parser and
//! describes it part by part; [`html`] tokenizes its markup (html5ever) and
//! [`indicators`] names what it finds, each with a level and, where one fits,
//! a CVE and ATT&CK ids; [`yara`] (feature `yara`) adds YARA-X rules.
//! [`scan`] ties them together in parallel; [`sieve`] reads the `redirect`
//! actions of the Sieve scripts kept beside the mailboxes.

pub mod analyze;
pub mod html;
pub mod indicators;
pub mod limits;
pub mod scan;
pub mod sieve;
pub mod store;
#[cfg(feature = "yara")]
pub mod yara;

pub use analyze::{MessageReport, PartReport, analyze};
pub use indicators::{Indicator, Level};
pub use store::{Location, RawMessage, Store, StoreKind, Unread};
