//! `--webhook URL`: each alert POSTed as JSON (`Content-Type:
//! application/json`, the finding as `--json` prints it).
//!
//! Alerts wait in a queue on disk (`webhook/` in the state folder, one
//! file each, named by sequence) until the collector answers 2xx; a thread
//! sends them oldest first, retrying with backoff (1 s doubling to 60 s).
//! The queue is bounded in bytes (`--webhook-queue-max`): past it new
//! alerts are not queued, and stderr and the status count them, so a dead
//! collector cannot fill the disk. A restart drains what is queued.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::terminal::sanitize;
use crate::watch_state::write_atomically;

/// The longest wait between two tries.
const MOST_BACKOFF: Duration = Duration::from_secs(60);

/// How long one POST may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A webhook and its queue.
pub struct Webhook {
    shared: Arc<Shared>,
    sender: Option<JoinHandle<()>>,
}

struct Shared {
    dir: PathBuf,
    url: String,
    max_bytes: u64,
    queue: Mutex<Queue>,
    changed: Condvar,
}

#[derive(Default)]
struct Queue {
    /// Sequence number and size of each file waiting, oldest first.
    waiting: VecDeque<(u64, u64)>,
    bytes: u64,
    next: u64,
    /// Alerts not queued because the queue was full.
    dropped: u64,
    /// Alerts the collector accepted.
    sent: u64,
    stop: bool,
}

impl Webhook {
    /// Posts to `url`, queueing in `dir` (created; files already there
    /// are sent first) at most `max_bytes`.
    pub fn start(url: &str, dir: &Path, max_bytes: u64) -> Result<Webhook> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("--webhook: {url:?} is not an http:// or https:// URL");
        }
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the webhook queue {}", dir.display()))?;
        let mut queue = Queue::default();
        let mut found: Vec<(u64, u64)> = fs::read_dir(dir)?
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let seq = name.strip_suffix(".json")?.parse().ok()?;
                Some((seq, e.metadata().ok()?.len()))
            })
            .collect();
        found.sort();
        queue.bytes = found.iter().map(|(_, size)| size).sum();
        queue.next = found.last().map_or(0, |(seq, _)| seq + 1);
        queue.waiting = found.into();
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            url: url.to_string(),
            max_bytes,
            queue: Mutex::new(queue),
            changed: Condvar::new(),
        });
        let sender = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || shared.send_all())
        };
        Ok(Webhook {
            shared,
            sender: Some(sender),
        })
    }

    /// Queues one alert (its JSON `line`); `false` when the queue is full.
    pub fn push(&self, line: &[u8]) -> Result<bool> {
        let mut queue = self.shared.lock();
        let size = line.len() as u64;
        if queue.bytes + size > self.shared.max_bytes {
            queue.dropped += 1;
            eprintln!(
                "vigie: --webhook: the queue is full ({} bytes waiting); alert not queued",
                queue.bytes
            );
            return Ok(false);
        }
        let seq = queue.next;
        write_atomically(&self.shared.file(seq), line)?;
        queue.next += 1;
        queue.bytes += size;
        queue.waiting.push_back((seq, size));
        self.shared.changed.notify_all();
        Ok(true)
    }

    /// Alerts waiting, bytes waiting, alerts not queued, alerts sent.
    pub fn counts(&self) -> (usize, u64, u64, u64) {
        let queue = self.shared.lock();
        (queue.waiting.len(), queue.bytes, queue.dropped, queue.sent)
    }

    /// Waits up to `patience` for the queue to empty, then stops sending;
    /// what is left stays on disk for the next run.
    pub fn finish(mut self, patience: Duration) {
        let deadline = Instant::now() + patience;
        let mut queue = self.shared.lock();
        while !queue.waiting.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                eprintln!(
                    "vigie: --webhook: {} alerts still queued; sent at the next start",
                    queue.waiting.len()
                );
                break;
            }
            queue = match self.shared.changed.wait_timeout(queue, left) {
                Ok((queue, _)) => queue,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        queue.stop = true;
        drop(queue);
        self.shared.changed.notify_all();
        if let Some(sender) = self.sender.take() {
            let _ = sender.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn file(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:016}.json"))
    }

    /// The sending thread: oldest first, backing off while the collector fails.
    fn send_all(&self) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .build()
            .into();
        let mut backoff = Duration::ZERO;
        loop {
            let next = {
                let mut queue = self.lock();
                loop {
                    if queue.stop {
                        return;
                    }
                    if let Some(&first) = queue.waiting.front()
                        && backoff.is_zero()
                    {
                        break first;
                    }
                    let wait = if backoff.is_zero() {
                        Duration::from_secs(3600)
                    } else {
                        backoff
                    };
                    let (q, timeout) = match self.changed.wait_timeout(queue, wait) {
                        Ok(r) => r,
                        Err(p) => p.into_inner(),
                    };
                    queue = q;
                    if timeout.timed_out() && !backoff.is_zero() {
                        // Time to try again.
                        if let Some(&first) = queue.waiting.front() {
                            break first;
                        }
                    }
                }
            };
            let (seq, size) = next;
            let path = self.file(seq);
            let body = match fs::read(&path) {
                Ok(body) => body,
                Err(e) => {
                    eprintln!(
                        "vigie: --webhook: {}: {e}; this alert is dropped",
                        sanitize(&path.display().to_string())
                    );
                    self.done(seq, size, false);
                    continue;
                }
            };
            let sent = agent
                .post(&self.url)
                .header("Content-Type", "application/json")
                .send(&body[..]);
            match sent {
                Ok(_) => {
                    let _ = fs::remove_file(&path);
                    self.done(seq, size, true);
                    backoff = Duration::ZERO;
                }
                Err(e) => {
                    if backoff.is_zero() {
                        eprintln!(
                            "vigie: --webhook: {}; retrying with backoff",
                            sanitize(&e.to_string())
                        );
                    }
                    backoff = (backoff * 2).clamp(Duration::from_secs(1), MOST_BACKOFF);
                }
            }
        }
    }

    /// Takes `seq` off the queue.
    fn done(&self, seq: u64, size: u64, sent: bool) {
        let mut queue = self.lock();
        if queue.waiting.front().is_some_and(|(s, _)| *s == seq) {
            queue.waiting.pop_front();
            queue.bytes = queue.bytes.saturating_sub(size);
            queue.sent += u64::from(sent);
        }
        self.changed.notify_all();
    }
}
