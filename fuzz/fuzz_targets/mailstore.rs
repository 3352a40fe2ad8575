#![no_main]
//! Fuzzes the mail stores' readers: store sniffing, Maildir file names and
//! mbox splitting (From_ lines, >From unescaping, sizes).

use std::io::Write;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = vigie_mail::store::sniff(data);
    if let Ok(name) = std::str::from_utf8(data) {
        let _ = vigie_mail::store::split_maildir_name(name);
    }
    // read_mbox streams from a file, as it reads real mailboxes.
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(data).expect("writing the mbox");
    let mut total = 0usize;
    let _ = vigie_mail::store::read_mbox(
        file.path(),
        &mut |m| total += m.bytes.len(),
        &mut |_| {},
    );
    assert!(total <= data.len());
});
