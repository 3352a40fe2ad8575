#![no_main]
//! Fuzzes the log parsers of the mail transfer agents (Postfix, Sendmail, Exim, OpenSMTPD, qmail/vpopmail, Courier ESMTP, PAM), one family at a time
//! (the first byte picks it, see families.tsv).

#[path = "families.rs"]
mod families;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    families::fuzz("mta", data);
});
