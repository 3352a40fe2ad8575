//! The indicators a scan or watch matches: the stored sets and the feeds of
//! this run, with what could not be read told as data.

use std::path::Path;

use vigie_intel::import::import_file;
use vigie_intel::indicator::Indicator;
use vigie_intel::store::IntelStore;

use crate::config::IntelConfig;

/// Something said while loading indicators, for the caller to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntelNote {
    /// What happened, one line (not sanitized for a terminal).
    pub text: String,
    /// Whether indicators were lost (a set or feed not read), not only some entries refused.
    pub failed: bool,
}

/// The stored sets (unless `no_intel_store`) and the `ioc` feeds, with a
/// note for each set or feed not read and each feed with refused entries.
pub fn load(config: &IntelConfig) -> (Vec<Indicator>, Vec<IntelNote>) {
    let (feeds, intel_dir, skip_store) = (
        &config.ioc,
        config.intel_dir.as_deref(),
        config.no_intel_store,
    );
    let mut indicators = Vec::new();
    let mut notes = Vec::new();
    let mut fail = |text: String| notes.push(IntelNote { text, failed: true });
    if !skip_store {
        let store = intel_dir
            .map(Path::to_path_buf)
            .or_else(IntelStore::default_dir)
            .map(IntelStore::new);
        match store.map(|s| s.sets()) {
            Some(Ok(sets)) => {
                for set in sets {
                    match set {
                        Ok(set) => indicators.extend(set.indicators),
                        Err(e) => fail(format!("indicator set not loaded: {e}")),
                    }
                }
            }
            Some(Err(e)) => fail(format!("indicator store not read: {e}")),
            None => {}
        }
    }
    for feed in feeds {
        let name = format!(
            "--ioc {}",
            feed.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        match import_file(feed, &name) {
            Ok((found, report)) => {
                let refused: u64 = report.refused.values().sum();
                if refused > 0 {
                    notes.push(IntelNote {
                        text: format!(
                            "{}: {refused} of {} entries refused ({})",
                            report.file,
                            report.read,
                            report
                                .refused
                                .iter()
                                .map(|(r, n)| format!("{n} {r}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        failed: false,
                    });
                }
                indicators.extend(found);
            }
            Err(e) => notes.push(IntelNote {
                text: e.to_string(),
                failed: true,
            }),
        }
    }
    (indicators, notes)
}
