//! `--events-parquet`: every event of a scan written to `CASE/events.parquet`,
//! when this build has Parquet (feature `parquet`, on by default).

use std::path::Path;

#[cfg(feature = "parquet")]
use anyhow::Context;
use anyhow::Result;
use vigie_event::Event;

#[cfg(feature = "parquet")]
use vigie_case::parquet::{EventBatch, EventsParquet};

/// The Parquet file, when asked for.
pub struct EventsOut {
    #[cfg(feature = "parquet")]
    file: Option<EventsParquet>,
}

/// A worker's events not yet written.
#[derive(Default)]
pub struct Batch {
    #[cfg(feature = "parquet")]
    rows: EventBatch,
}

impl EventsOut {
    /// Creates `case/events.parquet` when `wanted`.
    #[cfg(feature = "parquet")]
    pub fn open(wanted: bool, case: &Path) -> Result<EventsOut> {
        let path = case.join("events.parquet");
        let file = wanted
            .then(|| EventsParquet::create(&path))
            .transpose()
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(EventsOut { file })
    }

    /// This build has no Parquet: asking for it is an error.
    #[cfg(not(feature = "parquet"))]
    pub fn open(wanted: bool, _case: &Path) -> Result<EventsOut> {
        if wanted {
            anyhow::bail!(
                "--events-parquet: this build of vigie has no Parquet support (feature `parquet`)"
            );
        }
        Ok(EventsOut {})
    }

    /// Adds an event to a worker's batch, writing the batch when it is full.
    pub fn add(&self, batch: &mut Batch, event: &Event<'_>) {
        #[cfg(feature = "parquet")]
        if let Some(file) = &self.file {
            batch.rows.push(event);
            if batch.rows.is_full() {
                file.write(&mut batch.rows);
            }
        }
        #[cfg(not(feature = "parquet"))]
        let _ = (batch, event);
    }

    /// Writes what a worker's batch still holds.
    pub fn flush(&self, batch: &mut Batch) {
        #[cfg(feature = "parquet")]
        if let Some(file) = &self.file {
            file.write(&mut batch.rows);
        }
        #[cfg(not(feature = "parquet"))]
        let _ = batch;
    }

    /// Finishes the file; the rows written, when there is one.
    pub fn close(&self) -> Result<Option<u64>> {
        #[cfg(feature = "parquet")]
        if let Some(file) = &self.file {
            return Ok(Some(file.close().context("cannot finish events.parquet")?));
        }
        Ok(None)
    }
}
