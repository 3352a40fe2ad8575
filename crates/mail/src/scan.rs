//! Scanning mail stores in parallel: Maildir messages and `.eml` files are
//! read by the worker that analyses them; an mbox is read by one thread
//! and its messages handed, a few at a time, to the others. Never a whole
//! mailbox in memory.

use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

use vigie_event::isolate::{isolate, test_panic_point};

use crate::analyze::{MessageReport, analyze};
use crate::store::{self, Location, RawMessage, Store, StoreKind, Unread};

/// The compiled YARA rules a scan uses.
#[cfg(feature = "yara")]
pub type Rules = crate::yara::YaraRules;

/// This build has no YARA: nothing to compile.
#[cfg(not(feature = "yara"))]
pub struct Rules;

#[cfg(feature = "yara")]
type Scanner<'r> = Option<crate::yara::YaraScanner<'r>>;
#[cfg(not(feature = "yara"))]
type Scanner<'r> = Option<&'r Rules>;

#[cfg(feature = "yara")]
fn scanner(rules: Option<&Rules>) -> Scanner<'_> {
    rules.map(Rules::scanner)
}

#[cfg(not(feature = "yara"))]
fn scanner(rules: Option<&Rules>) -> Scanner<'_> {
    rules
}

/// Analyses `raw` where a panic is caught: the message is then reported as
/// not read, with the panic's message, and `scanner` is made anew.
fn analyze_isolated<'r>(
    raw: &RawMessage,
    rules: Option<&'r Rules>,
    scanner: &mut Scanner<'r>,
) -> Result<MessageReport, Unread> {
    isolate(|| {
        test_panic_point(&raw.bytes);
        analyze_with(raw, scanner)
    })
    .map_err(|panic| {
        *scanner = self::scanner(rules);
        Unread::panicked(raw.location.clone(), &panic)
    })
}

fn analyze_with(raw: &RawMessage, scanner: &mut Scanner<'_>) -> MessageReport {
    #[cfg(feature = "yara")]
    if let Some(s) = scanner.as_mut() {
        let mut scan = |data: &[u8], part: &str| s.scan(data, part);
        return analyze(raw, Some(&mut scan));
    }
    let _ = scanner;
    analyze(raw, None)
}

/// Analyses one message as [`scan_stores`] analyses each: for a watch,
/// which reads messages as they are delivered. A panic in the analysis is
/// caught and returned as the message's [`Unread`] ([`Unread::panicked`]).
pub fn analyze_message(raw: &RawMessage, rules: Option<&Rules>) -> Result<MessageReport, Unread> {
    analyze_isolated(raw, rules, &mut scanner(rules))
}

/// Messages an mbox reader may have read ahead of the analysers.
const READ_AHEAD: usize = 64;

/// Analyses every message of `stores`, calling `report` with each verdict
/// and `unread` with each message that could not be read (from any thread),
/// or whose analysis panicked ([`Unread::panicked`]): one message never
/// stops the others.
pub fn scan_stores(
    stores: &[Store],
    rules: Option<&Rules>,
    report: &(dyn Fn(MessageReport) + Sync),
    unread: &(dyn Fn(Unread) + Sync),
) {
    // Files first (one message each, read in parallel), then each mbox.
    let files: Vec<Location> = stores
        .iter()
        .flat_map(|s| match s.kind {
            StoreKind::Maildir => store::maildir_messages(&s.path),
            StoreKind::Eml => vec![store::message_file_location(&s.path)],
            StoreKind::Mbox | StoreKind::Sieve | StoreKind::DovecotState => Vec::new(),
        })
        .collect();
    files.into_par_iter().for_each_init(
        || scanner(rules),
        |scanner, location| match store::read_location(location)
            .and_then(|raw| analyze_isolated(&raw, rules, scanner))
        {
            Ok(r) => report(r),
            Err(u) => unread(u),
        },
    );
    for mbox in stores.iter().filter(|s| s.kind == StoreKind::Mbox) {
        let (sender, receiver) = sync_channel::<RawMessage>(READ_AHEAD);
        // The reader blocks when the analysers fall behind: it gets a thread
        // of its own, never one of rayon's (whose blocking could starve them).
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut send = |m: RawMessage| {
                    let _ = sender.send(m);
                };
                store::read_store(mbox, &mut send, &mut |u| unread(u));
                drop(sender);
            });
            receiver.into_iter().par_bridge().for_each_init(
                || scanner(rules),
                |scanner, raw| match analyze_isolated(&raw, rules, scanner) {
                    Ok(r) => report(r),
                    Err(u) => unread(u),
                },
            );
        });
    }
}
