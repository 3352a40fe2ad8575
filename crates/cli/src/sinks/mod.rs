//! Where `vigie watch` sends alerts beside standard output, `--alerts` and
//! `--exec`: a webhook (JSON POST, queued on disk) and syslog (RFC 5424).

pub mod syslog;
pub mod webhook;
