//! Stage one (reading, rules, histories) and stage two (correlations,
//! analytics, scope) over the embedded sample incident
//! (`examples/lab-intrusion/`: the lab's real logs and mailboxes).
//!
//! `cargo bench -p vigie-engine --bench stages -- --save-baseline main` on
//! main, then `-- --baseline main` on a branch (see bench/README.md).

use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vigie_engine::config::{EngineConfig, InputConfig, IntelConfig};
use vigie_engine::{Engine, StageOne};
use vigie_ingest::{Input, expand_inputs};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion")
}

/// An engine as `vigie scan --tz UTC --no-intel-store` makes it.
fn engine() -> Engine {
    let config = EngineConfig {
        input: InputConfig {
            tz: Some("UTC".into()),
            ..InputConfig::default()
        },
        intel: IntelConfig {
            no_intel_store: true,
            ..IntelConfig::default()
        },
        timeline_profile: "standard".into(),
        ..EngineConfig::default()
    };
    Engine::new(&config).expect("engine")
}

fn stage_one(engine: &Engine, sets: &[Vec<Input>]) -> StageOne {
    let mut all = StageOne::default();
    for set in sets {
        all.merge(engine.stage_one_set(set, &mut ()));
    }
    all
}

fn stages(c: &mut Criterion) {
    let dir = sample();
    let mut engine = engine();
    let mail = engine.scan_mail(&[dir.join("vmail")]);
    engine.watch_openings(&mail);
    let (sets, _) = expand_inputs(&[dir.join("logs")]);
    c.bench_function("stage one: sample logs", |b| {
        b.iter(|| stage_one(&engine, &sets))
    });
    c.bench_function("stage two: sample incident", |b| {
        b.iter_batched(
            || {
                (
                    stage_one(&engine, &sets),
                    engine.scan_mail(&[dir.join("vmail")]),
                )
            },
            |(merged, mut mail)| {
                engine
                    .stage_two(merged, &mut mail, None)
                    .map(|o| o.findings.len())
            },
            BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, stages);
criterion_main!(benches);
