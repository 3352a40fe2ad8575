//! A table of the analytics that grows with the days a scan covers (mail
//! sent per account and hour, per account, day and address), kept in memory
//! up to a bound and written out past it, as sorted runs to temporary files,
//! so that a scan's memory depends on that bound and not on how many days
//! its logs cover (issue 21).
//!
//! The analytics read such a table once it is whole, in key order
//! ([`SpillMap::sorted`]): a merge of the runs and of what is still in
//! memory, the entries of one key combined ([`Combine`]). Combining is
//! commutative, so where the table was cut into runs (which depends on
//! the order workers finish) does not change what is read.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::hash::Hash;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::marker::PhantomData;
use std::sync::Mutex;

use ahash::AHashMap;
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Entries a table keeps in memory before it writes them out as a run.
pub const IN_MEMORY: usize = 1 << 16;

/// Bytes a table's entries in memory may take (their own size and what
/// their values hold, [`Combine::heap_bytes`]) before they are written out
/// as a run, whatever their number: an hour of refused logins holds up to
/// thousands of addresses, a day of mail sent a few logins.
pub const MEMORY_BUDGET: usize = 8 << 20;

/// Runs a table keeps before it merges them into one: each read of the
/// table holds a buffer per run.
const RUNS_KEPT: usize = 32;

/// The buffer a run is read through, in bytes.
const READ_BUFFER: usize = 1 << 16;

/// Two values of the same key made one; the result must not depend on
/// which is `self` (the order runs are merged in is not fixed).
pub trait Combine {
    /// Bytes the value holds on the heap (an estimate from its collections'
    /// capacities), counted against [`MEMORY_BUDGET`].
    fn heap_bytes(&self) -> usize;

    /// Adds `other` to `self`.
    fn combine(&mut self, other: Self);
}

/// A map from `K` to `V` that holds at most [`IN_MEMORY`] entries (or the
/// bound given to [`with_limit`](SpillMap::with_limit)) in memory, and is
/// read in key order.
///
/// Serializable as the sequence of its entries in key order (a Spark
/// worker ships its table whole; the receiver spills it again as it reads).
pub struct SpillMap<K, V> {
    map: AHashMap<K, V>,
    runs: Vec<Run>,
    limit: usize,
    /// New keys added since the memory the entries take was last measured.
    since_measured: usize,
    /// Where runs are written: the system's temporary folder when `None`.
    dir: Option<std::path::PathBuf>,
    /// Set once a run could not be written: the entries then stay in
    /// memory (nothing is lost, the bound is).
    unspillable: bool,
    /// The first error met reading a run back; [`SpillMap::error`] tells it.
    read_error: Mutex<Option<String>>,
}

/// A sorted run in its temporary file: `entries` MessagePack records of
/// `(key, value)` in key order, one key at most once.
struct Run {
    file: File,
    entries: u64,
}

impl<K, V> Default for SpillMap<K, V> {
    fn default() -> SpillMap<K, V> {
        SpillMap::with_limit(IN_MEMORY)
    }
}

impl<K, V> SpillMap<K, V> {
    /// An empty table that keeps `limit` entries in memory (at least one).
    pub fn with_limit(limit: usize) -> SpillMap<K, V> {
        SpillMap {
            map: AHashMap::new(),
            runs: Vec::new(),
            limit: limit.max(1),
            since_measured: 0,
            dir: None,
            unspillable: false,
            read_error: Mutex::new(None),
        }
    }

    /// The first error reading the table back, when a read of
    /// [`sorted`](SpillMap::sorted) ended early because of it.
    pub fn error(&self) -> Option<String> {
        self.read_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many runs are on disk.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }
}

impl<K, V> SpillMap<K, V>
where
    K: Eq + Hash + Ord + Clone + Serialize + DeserializeOwned,
    V: Default + Combine + Clone + Serialize + DeserializeOwned,
{
    /// The value of `key`, a default one added when it is not in memory
    /// (the table is written out first when memory is full).
    pub fn entry(&mut self, key: K) -> &mut V {
        if !self.unspillable
            && !self.map.contains_key(&key)
            && (self.map.len() >= self.limit || self.over_budget())
        {
            self.spill();
        }
        self.map.entry(key).or_default()
    }

    /// Whether the entries in memory take more than [`MEMORY_BUDGET`],
    /// measured once every quarter of their number of new keys (a few
    /// values read per key added).
    fn over_budget(&mut self) -> bool {
        self.since_measured += 1;
        if self.since_measured < (self.map.len() / 4).max(16) {
            return false;
        }
        self.since_measured = 0;
        let entry = std::mem::size_of::<(K, V)>() + 1;
        let held: usize = self.map.values().map(Combine::heap_bytes).sum();
        self.map.len() * entry + held > MEMORY_BUDGET
    }

    /// Combines `value` into `key`'s.
    pub fn add(&mut self, key: K, value: V) {
        self.entry(key).combine(value);
    }

    /// Adds another table's entries: its runs are taken over as they are,
    /// and so are the entries it holds in memory, written out as one more
    /// run when they are many ([`write_out`](SpillMap::write_out)): adding
    /// them one by one would hold both tables in memory at once.
    pub fn merge(&mut self, mut other: SpillMap<K, V>) {
        if let Some(e) = other.error() {
            self.read_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e);
        }
        other.write_out();
        self.runs.extend(other.runs);
        for (key, value) in other.map {
            self.add(key, value);
        }
        if self.runs.len() > RUNS_KEPT {
            self.compact();
        }
    }

    /// Writes the entries in memory out as a run, and gives their memory
    /// back, when they are at least an eighth of the bound: before another
    /// stage needs the memory (stage two's correlations run while the
    /// tables wait for the analytics). A table that small stays in memory.
    pub fn write_out(&mut self) {
        if self.map.len() >= (self.limit / 8).max(1) && !self.unspillable {
            self.spill();
            // A run that could not be written leaves the entries in memory.
            if self.map.is_empty() {
                self.map = AHashMap::new();
            }
        }
    }

    /// Every entry, in key order, the parts of a key combined. A run that
    /// cannot be read back ends the read early; [`error`](SpillMap::error)
    /// then says why.
    pub fn sorted(&self) -> impl Iterator<Item = (K, V)> + '_ {
        let mut memory: Vec<(&K, &V)> = self.map.iter().collect();
        memory.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut sources: Vec<Source<'_, K, V>> = self
            .runs
            .iter()
            .map(|run| Source::Run {
                reader: BufReader::with_capacity(READ_BUFFER, At::new(&run.file)),
                left: run.entries,
            })
            .collect();
        sources.push(Source::Memory(memory.into_iter()));
        Merged::new(sources, &self.read_error)
    }

    /// Writes what is in memory out as a sorted run; on failure the
    /// entries stay in memory and no more runs are tried.
    fn spill(&mut self) {
        let mut entries: Vec<(K, V)> = self.map.drain().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        match write_run(self.dir.as_deref(), entries.iter().map(|(k, v)| (k, v))) {
            Ok(run) => self.runs.push(run),
            Err(_) => {
                self.unspillable = true;
                self.map.extend(entries);
                return;
            }
        }
        if self.runs.len() > RUNS_KEPT {
            self.compact();
        }
    }

    /// Merges the runs into one, so that a read holds one buffer.
    fn compact(&mut self) {
        let runs = std::mem::take(&mut self.runs);
        let sources: Vec<Source<'_, K, V>> = runs
            .iter()
            .map(|run| Source::Run {
                reader: BufReader::with_capacity(READ_BUFFER, At::new(&run.file)),
                left: run.entries,
            })
            .collect();
        let error = Mutex::new(None);
        let written = write_run(self.dir.as_deref(), Merged::new(sources, &error));
        match (
            written,
            error.into_inner().unwrap_or_else(|e| e.into_inner()),
        ) {
            (Ok(run), None) => self.runs.push(run),
            // The runs stay as they are: a read meets the same problem
            // and tells it.
            _ => self.runs = runs,
        }
    }
}

impl<A, B, V> SpillMap<(A, B), V>
where
    A: Eq + Hash + Ord + Clone + Serialize + DeserializeOwned,
    B: Eq + Hash + Ord + Clone + Serialize + DeserializeOwned,
    V: Default + Combine + Clone + Serialize + DeserializeOwned,
{
    /// The entries gathered by the first part of their key (an account, a
    /// service), in key order: one group in memory at a time.
    pub fn grouped(&self) -> impl Iterator<Item = (A, Vec<(B, V)>)> + '_ {
        let mut entries = self.sorted().peekable();
        std::iter::from_fn(move || {
            let ((a, b), v) = entries.next()?;
            let mut group = vec![(b, v)];
            while let Some(((_, b), v)) = entries.next_if(|((next, _), _)| *next == a) {
                group.push((b, v));
            }
            Some((a, group))
        })
    }
}

/// Writes `entries` (`(key, value)` pairs, by reference or not, in key
/// order) to a new temporary file in `dir` (the system's when `None`).
fn write_run<T: Serialize>(
    dir: Option<&std::path::Path>,
    entries: impl Iterator<Item = T>,
) -> io::Result<Run> {
    let file = match dir {
        Some(dir) => tempfile::tempfile_in(dir)?,
        None => tempfile::tempfile()?,
    };
    let mut out = BufWriter::with_capacity(READ_BUFFER, &file);
    let mut count = 0;
    for entry in entries {
        rmp_serde::encode::write_named(&mut out, &entry).map_err(io::Error::other)?;
        count += 1;
    }
    out.flush()?;
    drop(out);
    Ok(Run {
        file,
        entries: count,
    })
}

/// Reads `file` from a position of its own, so that several reads of one
/// run (two analytics, or a read during a compaction) do not disturb each other.
struct At<'f> {
    file: &'f File,
    offset: u64,
}

impl<'f> At<'f> {
    fn new(file: &'f File) -> At<'f> {
        At { file, offset: 0 }
    }
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.offset)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// Where a merged read takes entries from.
enum Source<'m, K, V> {
    Run {
        reader: BufReader<At<'m>>,
        left: u64,
    },
    Memory(std::vec::IntoIter<(&'m K, &'m V)>),
}

impl<K: DeserializeOwned + Clone, V: DeserializeOwned + Clone> Source<'_, K, V> {
    fn next(&mut self) -> io::Result<Option<(K, V)>> {
        match self {
            Source::Run { reader, left } => {
                if *left == 0 {
                    return Ok(None);
                }
                *left -= 1;
                rmp_serde::decode::from_read(reader)
                    .map(Some)
                    .map_err(io::Error::other)
            }
            Source::Memory(entries) => Ok(entries.next().map(|(k, v)| (k.clone(), v.clone()))),
        }
    }
}

/// The next entry of one source, ordered by key, then by source (so that
/// the parts of a key are combined in a fixed order).
struct Head<K, V> {
    key: K,
    value: V,
    source: usize,
}

impl<K: Ord, V> Ord for Head<K, V> {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.key, self.source).cmp(&(&other.key, other.source))
    }
}

impl<K: Ord, V> PartialOrd for Head<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord, V> PartialEq for Head<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<K: Ord, V> Eq for Head<K, V> {}

/// A k-way merge of sorted sources.
struct Merged<'m, K, V> {
    sources: Vec<Source<'m, K, V>>,
    heads: BinaryHeap<Reverse<Head<K, V>>>,
    error: &'m Mutex<Option<String>>,
    started: bool,
    /// Set when a source failed: the read ends, as an entry missing from
    /// one source would be taken for a smaller total.
    failed: bool,
}

impl<'m, K, V> Merged<'m, K, V>
where
    K: Ord + DeserializeOwned + Clone,
    V: Combine + DeserializeOwned + Clone,
{
    fn new(sources: Vec<Source<'m, K, V>>, error: &'m Mutex<Option<String>>) -> Self {
        Merged {
            sources,
            heads: BinaryHeap::new(),
            error,
            started: false,
            failed: false,
        }
    }

    /// Puts `source`'s next entry among the heads.
    fn refill(&mut self, source: usize) {
        if self.failed {
            return;
        }
        match self.sources[source].next() {
            Ok(Some((key, value))) => self.heads.push(Reverse(Head { key, value, source })),
            Ok(None) => {}
            Err(e) => {
                self.error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert_with(|| format!("a spilled table could not be read back: {e}"));
                self.failed = true;
                self.heads.clear();
            }
        }
    }
}

impl<K, V> Iterator for Merged<'_, K, V>
where
    K: Ord + DeserializeOwned + Clone,
    V: Combine + DeserializeOwned + Clone,
{
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        if !self.started {
            self.started = true;
            for source in 0..self.sources.len() {
                self.refill(source);
            }
        }
        let Reverse(Head {
            key,
            mut value,
            source,
        }) = self.heads.pop()?;
        self.refill(source);
        while self.heads.peek().is_some_and(|h| h.0.key == key) {
            let Some(Reverse(next)) = self.heads.pop() else {
                break;
            };
            value.combine(next.value);
            self.refill(next.source);
        }
        if self.failed {
            return None;
        }
        Some((key, value))
    }
}

impl<K, V> Serialize for SpillMap<K, V>
where
    K: Eq + Hash + Ord + Clone + Serialize + DeserializeOwned,
    V: Default + Combine + Clone + Serialize + DeserializeOwned,
{
    /// Fails when a run cannot be read back.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for entry in self.sorted() {
            seq.serialize_element(&entry)?;
        }
        if let Some(e) = self.error() {
            return Err(serde::ser::Error::custom(e));
        }
        seq.end()
    }
}

impl<'de, K, V> Deserialize<'de> for SpillMap<K, V>
where
    K: Eq + Hash + Ord + Clone + Serialize + DeserializeOwned,
    V: Default + Combine + Clone + Serialize + DeserializeOwned,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K, V> Visitor<'de> for Entries<K, V>
        where
            K: Eq + Hash + Ord + Clone + Serialize + DeserializeOwned,
            V: Default + Combine + Clone + Serialize + DeserializeOwned,
        {
            type Value = SpillMap<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence of (key, value) pairs")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut map = SpillMap::default();
                while let Some((key, value)) = seq.next_element::<(K, V)>()? {
                    map.add(key, value);
                }
                Ok(map)
            }
        }
        deserializer.deserialize_seq(Entries(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Count(u64);

    impl Combine for Count {
        fn heap_bytes(&self) -> usize {
            0
        }

        fn combine(&mut self, other: Count) {
            self.0 += other.0;
        }
    }

    fn table(limit: usize, keys: impl Iterator<Item = u32>) -> SpillMap<(String, u32), Count> {
        let mut t: SpillMap<(String, u32), Count> = SpillMap::with_limit(limit);
        for k in keys {
            t.entry((format!("user{}", k % 7), k % 11)).0 += 1;
        }
        t
    }

    #[test]
    fn a_spilled_table_reads_as_one_kept_in_memory() {
        let keys = || (0..5000u32).map(|i| i.wrapping_mul(2_654_435_761) % 1000);
        let whole: Vec<_> = table(usize::MAX, keys()).sorted().collect();
        let spilled = table(5, keys());
        assert!(spilled.runs() > 1, "{} runs", spilled.runs());
        assert!(spilled.runs() <= RUNS_KEPT + 1);
        let read: Vec<_> = spilled.sorted().collect();
        assert_eq!(read, whole);
        assert_eq!(whole.len(), 77);
        assert_eq!(whole.iter().map(|(_, c)| c.0).sum::<u64>(), 5000);
        assert!(whole.windows(2).all(|w| w[0].0 < w[1].0));
        // Read twice: each read has its own position in the runs.
        assert_eq!(spilled.sorted().count(), 77);
        assert!(spilled.error().is_none());
    }

    /// A value whose bytes are on the heap.
    #[derive(Default, Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Held(Vec<u8>);

    impl Combine for Held {
        fn heap_bytes(&self) -> usize {
            self.0.capacity()
        }

        fn combine(&mut self, other: Held) {
            self.0.extend(other.0);
        }
    }

    #[test]
    fn large_values_are_written_out_before_the_entry_bound() {
        // 2,000 values of 16 KiB: 32 MB, four times the budget, in far
        // fewer entries than IN_MEMORY.
        let mut table: SpillMap<u32, Held> = SpillMap::default();
        for key in 0..2000u32 {
            table.add(key, Held(vec![key as u8; 1 << 14]));
        }
        assert!(table.runs() >= 3, "{} runs", table.runs());
        let held: usize = table.map.values().map(Combine::heap_bytes).sum();
        assert!(held <= 2 * MEMORY_BUDGET, "{held} bytes in memory");
        let read: Vec<(u32, Held)> = table.sorted().collect();
        assert_eq!(read.len(), 2000);
        assert!(
            read.iter()
                .all(|(k, v)| v.0.len() == 1 << 14 && v.0[0] == *k as u8)
        );
    }

    #[test]
    fn merged_tables_add_up_whatever_their_order() {
        let a = || table(3, 0..400u32);
        let b = || table(1000, 200..900u32);
        let mut ab = a();
        ab.merge(b());
        let mut ba = b();
        ba.merge(a());
        let ab: Vec<_> = ab.sorted().collect();
        assert_eq!(ab, ba.sorted().collect::<Vec<_>>());
        assert_eq!(ab.iter().map(|(_, c)| c.0).sum::<u64>(), 1100);
    }

    #[test]
    fn a_table_travels_whole() {
        let t = table(4, 0..300u32);
        let bytes = rmp_serde::to_vec_named(&t).unwrap();
        let back: SpillMap<(String, u32), Count> = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(
            back.sorted().collect::<Vec<_>>(),
            t.sorted().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_table_that_cannot_be_written_out_stays_whole_in_memory() {
        let keys = || (0..5000u32).map(|i| i.wrapping_mul(2_654_435_761) % 1000);
        let whole: Vec<_> = table(usize::MAX, keys()).sorted().collect();
        let mut t: SpillMap<(String, u32), Count> = SpillMap::with_limit(5);
        t.dir = Some("/nonexistent/vigie-spill".into());
        for k in keys() {
            t.entry((format!("user{}", k % 7), k % 11)).0 += 1;
        }
        assert_eq!(t.runs(), 0);
        assert!(t.unspillable);
        assert_eq!(t.sorted().collect::<Vec<_>>(), whole);
        assert!(t.error().is_none());
    }

    #[test]
    fn a_table_written_out_on_demand_keeps_what_cannot_be_written() {
        // Below the entry bound, so the first attempt to write is write_out's
        // (before the correlations run, or when merged).
        let unwritable = || {
            let mut t: SpillMap<(String, u32), Count> = SpillMap::with_limit(1000);
            t.dir = Some("/nonexistent/vigie-spill".into());
            for k in 0..500u32 {
                t.entry((format!("mailbox{k}"), k)).0 += 1;
            }
            t
        };
        let mut t = unwritable();
        t.write_out();
        assert!(t.unspillable);
        assert_eq!(t.sorted().count(), 500);
        let mut into = table(1000, 0..10u32);
        into.merge(unwritable());
        assert_eq!(into.sorted().count(), 510);
    }

    #[test]
    fn a_run_that_cannot_be_read_back_ends_the_read_and_says_so() {
        let t = table(4, 0..300u32);
        // Cut the first run short, as a full disk or a removed file would.
        t.runs[0].file.set_len(3).unwrap();
        let read = t.sorted().count();
        assert!(read < 77, "{read} entries read");
        assert!(
            t.error()
                .is_some_and(|e| e.contains("could not be read back"))
        );
    }
}
