//! Parsing throughput per parser family, fed the golden cases' real inputs
//! (`tests/testdata/golden/CASES`: the lab run, the corpus, the mail-server
//! samples). Each case is read from memory by `ingest_bytes`, as a scan reads
//! a piece of a file; throughput is in input bytes.
//!
//! `cargo bench -p vigie-ingest --bench parsers -- --save-baseline main` on
//! main, then `-- --baseline main` on a branch (see bench/README.md).

use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vigie_ingest::{IngestOptions, ingest_bytes};

/// The golden cases: (name, input file), as CASES lists them.
fn cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let list = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/golden/CASES"),
    )
    .expect("golden CASES");
    list.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let (name, source) = (cols.next()?, cols.next()?);
            let path = match source.strip_prefix("testdata:") {
                Some(rest) => root.join("testdata").join(rest),
                None => root.join(source),
            };
            Some((name.to_string(), path))
        })
        .collect()
}

fn parsers(c: &mut Criterion) {
    let options = IngestOptions::default();
    let mut group = c.benchmark_group("parse");
    for (name, path) in cases() {
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(&name), &data, |b, data| {
            b.iter(|| {
                let mut events = 0u64;
                let report =
                    ingest_bytes(&name, data, None, 1, None, &options, &mut |_| events += 1);
                (events, report.lines)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parsers);
criterion_main!(benches);
