//! Work on one attacker-written input (a log file, a message) runs isolated:
//! a panic there is caught and reported as that input's failure, and the run
//! goes on with the others.
//!
//! A stack overflow aborts the process and cannot be caught: recursion on
//! input is bounded by limits instead (MIME nesting, `data:` documents,
//! STIX patterns, Sieve blocks).

use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a caught panic says about itself.
pub type Panic = String;

/// Runs `work`, catching a panic as its message.
///
/// The work's own state may be left half-updated (events of a file counted
/// up to the panic): callers report the input as failed, never as read.
pub fn isolate<T>(work: impl FnOnce() -> T) -> Result<T, Panic> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

/// Debug builds only: panics when `VIGIE_TEST_PANIC_ON` is set and `data`
/// contains it, so tests can show a failing input is isolated. Release
/// builds compile it to nothing.
pub fn test_panic_point(data: &[u8]) {
    #[cfg(debug_assertions)]
    {
        static MARKER: std::sync::LazyLock<Option<String>> =
            std::sync::LazyLock::new(|| marker("VIGIE_TEST_PANIC_ON"));
        if let Some(marker) = MARKER.as_deref()
            && contains(data, marker)
        {
            panic!("test panic on {marker:?} (VIGIE_TEST_PANIC_ON)");
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = data;
}

/// Debug builds only: whether `VIGIE_TEST_SLOW_ON` is set and `data`
/// contains it. Work on such an input is taken to have run out of its time
/// from the start, so tests can show that an input over its time limit is
/// reported and the run goes on. Release builds: always `false`.
pub fn test_slow_point(data: &[u8]) -> bool {
    #[cfg(debug_assertions)]
    {
        static MARKER: std::sync::LazyLock<Option<String>> =
            std::sync::LazyLock::new(|| marker("VIGIE_TEST_SLOW_ON"));
        MARKER.as_deref().is_some_and(|m| contains(data, m))
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = data;
        false
    }
}

#[cfg(debug_assertions)]
fn marker(variable: &str) -> Option<String> {
    std::env::var(variable).ok().filter(|m| !m.is_empty())
}

#[cfg(debug_assertions)]
fn contains(data: &[u8], marker: &str) -> bool {
    data.windows(marker.len()).any(|w| w == marker.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(isolate(|| 7), Ok(7));
        assert_eq!(
            isolate(|| -> u8 { panic!("boom {}", 1) }),
            Err("boom 1".to_string())
        );
        assert_eq!(
            isolate(|| -> u8 { panic!("static") }),
            Err("static".to_string())
        );
    }
}
