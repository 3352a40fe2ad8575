#![no_main]
//! Fuzzes the log parsers of the webmail and proxy logs (Roundcube, Horde, SOGo, Zimbra, Kerio, OpenWebMail, the nginx mail proxy, web servers), one family at a time
//! (the first byte picks it, see families.tsv).

#[path = "families.rs"]
mod families;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    families::fuzz("webmail", data);
});
