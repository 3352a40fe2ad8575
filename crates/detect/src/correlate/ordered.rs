//! The kept events stage two feeds the correlation engine, in time order,
//! without holding them all: an external merge sort (sorted runs of records
//! and their values in anonymous temporary files, merged through a heap),
//! and the events already fed read back by their position when a firing
//! names them.
//!
//! Memory is bounded by the chunk size given to [`Sorter::new`] (in events,
//! each a record of [`RECORD`] bytes and its values), whatever the number of
//! events kept: a year of logins on a busy server is sorted in the same few
//! megabytes as an hour of them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek, SeekFrom, Write};

use vigie_event::Timestamp;

use super::{Kept, RECORD, read_exact_at};

/// A kept event and its values.
type Item = (Kept, String);

/// Events sorted in memory before a run is written: 131,072, about 10 MiB
/// with their values (4 MiB of records).
pub(super) const CHUNK: usize = 1 << 17;

/// Runs merged at once: past this many, they are first merged into one, so
/// that the readers' buffers stay bounded too.
const MAX_RUNS: usize = 32;

/// The buffer of each run's reader and writer, in bytes.
const BUFFER: usize = 1 << 15;

/// Where an event goes in the order: its time, then its file (by the rank
/// of its name, see [`Sorter::new`]), then its line. Ties (two events of
/// one line) keep the order they were pushed in.
type Key = (Timestamp, u32, u64);

/// Sorts kept events by [`Key`] with at most one chunk in memory.
pub(super) struct Sorter {
    /// Per interned file id, the rank of its name among all names.
    rank: Vec<u32>,
    chunk: Vec<Item>,
    chunk_size: usize,
    runs: Vec<Run>,
}

/// A sorted run written out: its file and how many events it holds.
struct Run {
    file: File,
    events: u64,
}

impl Sorter {
    /// A sorter keeping at most `chunk_size` events (at least one) in
    /// memory; `rank` maps each file id of the events to the rank of its
    /// name, so that ties in time are broken by file name, not by the order
    /// in which workers kept their events.
    pub(super) fn new(rank: Vec<u32>, chunk_size: usize) -> Sorter {
        let chunk_size = chunk_size.max(1);
        Sorter {
            rank,
            chunk: Vec::with_capacity(chunk_size.min(CHUNK)),
            chunk_size,
            runs: Vec::new(),
        }
    }

    fn key(rank: &[u32], k: &Kept) -> Key {
        let file = rank.get(k.path as usize).copied().unwrap_or(u32::MAX);
        (k.timestamp, file, k.line)
    }

    /// Adds an event and its values. Fails when a full chunk cannot be
    /// written out.
    pub(super) fn push(&mut self, kept: Kept, values: &str) -> io::Result<()> {
        self.chunk.push((kept, values.to_string()));
        if self.chunk.len() >= self.chunk_size {
            self.write_chunk()?;
        }
        Ok(())
    }

    /// Sorts the chunk (stably: pushed order breaks ties) and writes it as a run.
    fn write_chunk(&mut self) -> io::Result<()> {
        let rank = &self.rank;
        self.chunk.sort_by_key(|(k, _)| Self::key(rank, k));
        let mut writer = BufWriter::with_capacity(BUFFER, tempfile::tempfile()?);
        for (k, values) in &self.chunk {
            k.write(values, &mut writer)?;
        }
        let file = writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        self.runs.push(Run {
            file,
            events: self.chunk.len() as u64,
        });
        self.chunk.clear();
        if self.runs.len() > MAX_RUNS {
            self.compact()?;
        }
        Ok(())
    }

    /// Merges every run into one.
    fn compact(&mut self) -> io::Result<()> {
        let runs = std::mem::take(&mut self.runs);
        let events = runs.iter().map(|r| r.events).sum();
        let mut merge = Merge::new(runs, Vec::new(), self.rank.clone())?;
        let mut writer = BufWriter::with_capacity(BUFFER, tempfile::tempfile()?);
        for item in &mut merge {
            let (k, values) = item?;
            k.write(&values, &mut writer)?;
        }
        let file = writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        self.runs.push(Run { file, events });
        Ok(())
    }

    /// Every event pushed, in order. Fails when a run cannot be written or
    /// read back.
    pub(super) fn finish(mut self) -> io::Result<Merge> {
        if !self.runs.is_empty() && !self.chunk.is_empty() {
            self.write_chunk()?;
        }
        let rank = &self.rank;
        self.chunk.sort_by_key(|(k, _)| Self::key(rank, k));
        Merge::new(self.runs, self.chunk, self.rank)
    }
}

/// The events of sorted runs (and of one sorted chunk still in memory),
/// merged into one order; an `Err` item ends it.
pub(super) struct Merge {
    rank: Vec<u32>,
    memory: std::vec::IntoIter<Item>,
    readers: Vec<RunReader>,
    /// The next event of each reader, by key and reader (the earlier run
    /// first on ties: runs hold events in the order they were pushed).
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    heads: Vec<Option<Item>>,
    failed: bool,
}

/// Reads one run's records in order.
struct RunReader {
    reader: BufReader<File>,
    left: u64,
}

impl RunReader {
    fn next(&mut self) -> io::Result<Option<Item>> {
        if self.left == 0 {
            return Ok(None);
        }
        let mut values = String::new();
        let kept = Kept::read(&mut self.reader, &mut values)?;
        self.left -= 1;
        Ok(Some((kept, values)))
    }
}

impl Merge {
    fn new(runs: Vec<Run>, memory: Vec<Item>, rank: Vec<u32>) -> io::Result<Merge> {
        let mut merge = Merge {
            rank,
            memory: memory.into_iter(),
            readers: Vec::with_capacity(runs.len()),
            heap: BinaryHeap::with_capacity(runs.len()),
            heads: Vec::with_capacity(runs.len()),
            failed: false,
        };
        for mut run in runs {
            run.file.seek(SeekFrom::Start(0))?;
            let mut reader = RunReader {
                reader: BufReader::with_capacity(BUFFER, run.file),
                left: run.events,
            };
            let head = reader.next()?;
            if let Some((k, _)) = &head {
                let key = Sorter::key(&merge.rank, k);
                merge.heap.push(Reverse((key, merge.readers.len())));
            }
            merge.readers.push(reader);
            merge.heads.push(head);
        }
        Ok(merge)
    }
}

impl Iterator for Merge {
    type Item = io::Result<Item>;

    fn next(&mut self) -> Option<io::Result<Item>> {
        if self.failed {
            return None;
        }
        if self.readers.is_empty() {
            return self.memory.next().map(Ok);
        }
        let Reverse((_, i)) = self.heap.pop()?;
        let head = self.heads[i].take()?;
        match self.readers[i].next() {
            Ok(Some(next)) => {
                let key = Sorter::key(&self.rank, &next.0);
                self.heap.push(Reverse((key, i)));
                self.heads[i] = Some(next);
            }
            Ok(None) => {}
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        }
        Some(Ok(head))
    }
}

/// The events fed to the engine, by position: the last `recent` in
/// memory, the older ones in a temporary file read back at their offset
/// (a firing names events of its window, almost always recent ones).
pub(super) struct Fed {
    recent: VecDeque<Kept>,
    capacity: usize,
    /// Position of `recent[0]`: the number of events written out.
    first: u64,
    older: Option<BufWriter<File>>,
}

impl Fed {
    /// Keeps at most `capacity` (at least one) events in memory.
    pub(super) fn new(capacity: usize) -> Fed {
        let capacity = capacity.max(1);
        Fed {
            recent: VecDeque::with_capacity(capacity.min(CHUNK)),
            capacity,
            first: 0,
            older: None,
        }
    }

    /// Appends the next event. Fails when the oldest cannot be written out.
    pub(super) fn push(&mut self, kept: Kept) -> io::Result<()> {
        if self.recent.len() == self.capacity
            && let Some(oldest) = self.recent.pop_front()
        {
            let writer = match &mut self.older {
                Some(w) => w,
                None => self
                    .older
                    .insert(BufWriter::with_capacity(BUFFER, tempfile::tempfile()?)),
            };
            writer.write_all(&oldest.encode(0))?;
            self.first += 1;
        }
        self.recent.push_back(kept);
        Ok(())
    }

    /// The event at `position` (0 for the first fed), if one was fed there.
    pub(super) fn get(&mut self, position: u64) -> io::Result<Option<Kept>> {
        match position.checked_sub(self.first) {
            Some(i) => Ok(usize::try_from(i)
                .ok()
                .and_then(|i| self.recent.get(i))
                .copied()),
            None => {
                let Some(writer) = &mut self.older else {
                    return Ok(None);
                };
                writer.flush()?;
                let mut record = [0u8; RECORD];
                read_exact_at(writer.get_ref(), &mut record, position * RECORD as u64)?;
                Ok(Some(Kept::decode(&record).0))
            }
        }
    }
}

/// Ranks of `names` (file names by id): equal names share a rank.
pub(super) fn ranks<S: AsRef<str>>(names: &[S]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| names[i].as_ref());
    let mut rank = vec![0u32; names.len()];
    for pair in order.windows(2) {
        let step = u32::from(names[pair[0]].as_ref() != names[pair[1]].as_ref());
        rank[pair[1]] = rank[pair[0]] + step;
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::{KEPT_RULES, NO_RULE};

    fn kept(seconds: i64, path: u32, line: u64) -> Kept {
        Kept {
            timestamp: Timestamp::from_unix(seconds, 0),
            line,
            path,
            rules: [NO_RULE; KEPT_RULES],
        }
    }

    /// Time, file, line and values of each event, in the sorter's order.
    fn order(events: &[Kept], rank: &[u32], chunk: usize) -> Vec<(i64, u32, u64, String)> {
        let mut sorter = Sorter::new(rank.to_vec(), chunk);
        for k in events {
            // Values of every length, up to a few hundred bytes.
            sorter.push(*k, &"é".repeat(k.line as usize % 150)).unwrap();
        }
        sorter
            .finish()
            .unwrap()
            .map(|item| item.map(|(k, v)| (k.timestamp.unix_seconds(), k.path, k.line, v)))
            .collect::<io::Result<_>>()
            .unwrap()
    }

    /// Pseudo-random events (a fixed linear congruential sequence): many
    /// ties in time, two files whose ids run against their names' order.
    fn events(n: u64) -> Vec<Kept> {
        let mut x = 12_345u64;
        (0..n)
            .map(|line| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                kept(((x >> 33) % 50) as i64, ((x >> 20) % 2) as u32, line)
            })
            .collect()
    }

    #[test]
    fn runs_merged_give_the_order_of_one_sort() {
        let events = events(1_000);
        let rank = ranks(&["b.log", "a.log"]);
        let whole = order(&events, &rank, usize::MAX);
        let mut expected: Vec<_> = events
            .iter()
            .map(|k| {
                let values = "é".repeat(k.line as usize % 150);
                (k.timestamp.unix_seconds(), k.path, k.line, values)
            })
            .collect();
        expected.sort_by_key(|(t, path, line, _)| (*t, rank[*path as usize], *line));
        assert_eq!(whole, expected);
        // 7 events a run: 143 runs, compacted past 32.
        for chunk in [1, 7, 100, 999] {
            assert_eq!(order(&events, &rank, chunk), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn ties_keep_the_order_pushed() {
        for chunk in [1, 2, 10] {
            let mut sorter = Sorter::new(vec![0], chunk);
            for (k, values) in [
                (kept(6, 0, 1), "late"),
                (kept(5, 0, 9), "first of line 9"),
                (kept(5, 0, 9), "second of line 9"),
                (kept(1, 0, 3), "early"),
            ] {
                sorter.push(k, values).unwrap();
            }
            let values: Vec<String> = sorter.finish().unwrap().map(|i| i.unwrap().1).collect();
            assert_eq!(
                values,
                ["early", "first of line 9", "second of line 9", "late"],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn fed_events_are_read_back_by_position() {
        let events = events(300);
        let mut fed = Fed::new(16);
        for k in &events {
            fed.push(*k).unwrap();
        }
        for position in [0u64, 1, 150, 283, 284, 299] {
            let k = fed.get(position).unwrap().unwrap();
            assert_eq!(k.line, position, "position {position}");
        }
        assert!(fed.get(300).unwrap().is_none());
    }

    #[test]
    fn a_damaged_record_is_refused_not_allocated() {
        let k = kept(1, 0, 1);
        let mut values = String::new();
        // A length past the bound (a damaged file), values that are not
        // UTF-8, values cut short.
        let mut record = k.encode(u32::MAX).to_vec();
        record.extend_from_slice(b"abc");
        assert!(Kept::read(&mut record.as_slice(), &mut values).is_err());
        let mut record = k.encode(2).to_vec();
        record.extend_from_slice(&[0xff, 0xfe]);
        assert!(Kept::read(&mut record.as_slice(), &mut values).is_err());
        let mut record = k.encode(4).to_vec();
        record.extend_from_slice(b"ab");
        assert!(Kept::read(&mut record.as_slice(), &mut values).is_err());
        // Values kept longer than the bound are cut at a character.
        let mut out = Vec::new();
        let long = "é".repeat(super::super::MAX_VALUES);
        k.write(super::super::bounded(&long), &mut out).unwrap();
        Kept::read(&mut out.as_slice(), &mut values).unwrap();
        assert_eq!(values.len(), super::super::MAX_VALUES);
    }

    #[test]
    fn equal_names_share_a_rank() {
        assert_eq!(ranks(&["b", "a", "b", "c"]), [1, 0, 1, 2]);
    }
}
