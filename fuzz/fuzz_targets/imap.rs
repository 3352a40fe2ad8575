#![no_main]
//! Fuzzes the log parsers of the IMAP and POP3 servers (Dovecot, Courier, UW IMAP, Cyrus, perdition, solid-pop3d, PAM), one family at a time
//! (the first byte picks it, see families.tsv).

#[path = "families.rs"]
mod families;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    families::fuzz("imap", data);
});
