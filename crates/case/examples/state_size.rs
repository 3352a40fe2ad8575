//! The size of stage one's state against the size of its input, per rotated
//! set of a folder of logs (the table in `docs/engine.md`, "Size of the
//! state"): detection (findings being built, kept events, histories) and
//! activity, each serialized as MessagePack, as a Spark executor sends them.
//!
//! `cargo run -p vigie-case --release --example state_size -- DIR [DUMP_DIR]`
//!
//! With DUMP_DIR, each set's serialized parts are also written there (to try
//! compressors on).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use vigie_case::activity::Activity;
use vigie_detect::analytics::Histories;
use vigie_detect::correlate::{Correlator, KeptEvents};
use vigie_detect::detector::Detector;
use vigie_detect::findings::FindingSet;
use vigie_detect::mapping::Mapping;
use vigie_detect::sigma::RuleSet;
use vigie_event::wire;
use vigie_ingest::{IngestOptions, expand_inputs, ingest_input};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: state_size DIR [DUMP_DIR]");
        return ExitCode::from(2);
    };
    let dump = args.next().map(PathBuf::from);
    let pack = RuleSet::builtin();
    let detector = Detector::new(&pack, Mapping::builtin());
    let correlator = Correlator::new(&pack, &detector, Mapping::builtin());
    let (sets, errors) = expand_inputs(&[PathBuf::from(dir)]);
    for error in &errors {
        eprintln!("{error}");
    }
    let options = IngestOptions::default();
    let (mut input_total, mut state_total) = (0u64, 0u64);
    for set in &sets {
        let (mut findings, mut kept, mut histories) = (
            FindingSet::default(),
            KeptEvents::default(),
            Histories::default(),
        );
        let mut activity = Activity::default();
        let mut bytes_in = 0;
        for input in set {
            if let vigie_ingest::Input::File(path) = input {
                bytes_in += std::fs::metadata(path).map_or(0, |m| m.len());
            }
            let name: Arc<str> = input.display_name().into();
            ingest_input(input, &options, &mut |event| {
                let matched = detector.detect(event);
                for &rule in &matched {
                    if !correlator.is_silent(rule) {
                        findings.add(rule, event);
                    }
                }
                if correlator.wants(&matched) {
                    correlator.keep(&mut kept, event, &matched, &name);
                }
                histories.add(event, &name);
                activity.add(event, &name);
            });
        }
        let mut n = 0;
        let mut size = |bytes: Vec<u8>| -> std::io::Result<u64> {
            if let Some(dir) = &dump {
                n += 1;
                let name = format!("{}.{n}.msgpack", set[0].display_name().replace('/', "_"));
                std::fs::write(dir.join(name), &bytes)?;
            }
            Ok(bytes.len() as u64)
        };
        let sizes = (|| -> Result<_, Box<dyn std::error::Error>> {
            Ok((
                size(wire::to_bytes(&findings)?)?,
                size(wire::to_bytes(&kept)?)?,
                size(wire::to_bytes(&histories)?)?,
                size(wire::to_bytes(&activity)?)?,
            ))
        })();
        let (f, k, h, a) = match sizes {
            Ok(sizes) => sizes,
            Err(error) => {
                eprintln!("{}: {error}", set[0].display_name());
                return ExitCode::FAILURE;
            }
        };
        let state = f + k + h + a;
        input_total += bytes_in;
        state_total += state;
        println!(
            "{}: input {bytes_in} B, state {state} B ({:.2} %): findings {f}, kept events {k} ({} events), histories {h}, activity {a}",
            set[0].display_name(),
            100.0 * state as f64 / bytes_in.max(1) as f64,
            kept.len(),
        );
    }
    println!(
        "total: input {input_total} B, state {state_total} B ({:.2} %)",
        100.0 * state_total as f64 / input_total.max(1) as f64
    );
    ExitCode::SUCCESS
}
