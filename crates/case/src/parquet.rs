//! Every normalized event as Parquet (`--events-parquet`): one column per ECS
//! field, named as ECS names it (`source.ip`, `url.original`, …), so that
//! DuckDB, pandas, Spark or Timesketch's importers read a scan's events
//! without parsing the logs again.
//!
//! Workers fill their own [`EventBatch`] and hand it to the shared
//! [`EventsParquet`] writer every [`BATCH_ROWS`] events; rows are in the
//! order sets finished, not in time order (sort on `@timestamp` when reading).

use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex};

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field as Column, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use vigie_event::{Event, Field, Value};

/// Events a worker gathers before writing them.
pub const BATCH_ROWS: usize = 8192;

/// Rows per Parquet row group (the writer holds one group in memory, encoded).
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// How a field is stored.
#[derive(Clone, Copy)]
enum Kind {
    Time,
    Number,
    Text,
}

fn kind(field: Field) -> Kind {
    match field {
        Field::Timestamp => Kind::Time,
        Field::DestinationPort
        | Field::EmailSize
        | Field::HttpResponseBytes
        | Field::HttpStatus
        | Field::LogLine
        | Field::NetworkBytesIn
        | Field::NetworkBytesOut
        | Field::ProcessPid
        | Field::SourcePort => Kind::Number,
        _ => Kind::Text,
    }
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(
        Field::ALL
            .iter()
            .map(|&f| {
                let data_type = match kind(f) {
                    Kind::Time => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    Kind::Number => DataType::UInt64,
                    Kind::Text => DataType::Utf8,
                };
                Column::new(f.name(), data_type, f != Field::Timestamp)
            })
            .collect::<Vec<_>>(),
    ))
}

enum Builder {
    Time(TimestampMicrosecondBuilder),
    Number(UInt64Builder),
    Text(StringBuilder),
}

/// A worker's events, column by column.
pub struct EventBatch {
    columns: Vec<Builder>,
    rows: usize,
}

impl Default for EventBatch {
    fn default() -> Self {
        EventBatch {
            columns: Field::ALL
                .iter()
                .map(|&f| match kind(f) {
                    Kind::Time => {
                        Builder::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
                    }
                    Kind::Number => Builder::Number(UInt64Builder::new()),
                    Kind::Text => Builder::Text(StringBuilder::new()),
                })
                .collect(),
            rows: 0,
        }
    }
}

impl EventBatch {
    /// Adds one event.
    pub fn push(&mut self, event: &Event<'_>) {
        for (column, &field) in self.columns.iter_mut().zip(Field::ALL) {
            let value = event.value(field);
            match column {
                Builder::Time(b) => match value {
                    Some(Value::Time(t)) => b.append_value(t.0),
                    _ => b.append_null(),
                },
                Builder::Number(b) => match value {
                    Some(Value::UInt(n)) => b.append_value(n),
                    _ => b.append_null(),
                },
                Builder::Text(b) => match value {
                    Some(Value::Str(s)) => b.append_value(s),
                    Some(Value::Ip(ip)) => b.append_value(ip.to_string()),
                    Some(Value::UInt(n)) => b.append_value(n.to_string()),
                    Some(Value::Time(t)) => b.append_value(t.to_string()),
                    Some(Value::Keywords(k)) => b.append_value(k.join(",")),
                    None => b.append_null(),
                },
            }
        }
        self.rows += 1;
    }

    /// Whether it holds [`BATCH_ROWS`] events.
    pub fn is_full(&self) -> bool {
        self.rows >= BATCH_ROWS
    }

    fn finish(&mut self, schema: SchemaRef) -> Result<RecordBatch, ParquetError> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Builder::Time(b) => Arc::new(b.finish()),
                    Builder::Number(b) => Arc::new(b.finish()),
                    Builder::Text(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        Ok(RecordBatch::try_new(schema, arrays)?)
    }
}

/// The Parquet file every worker writes into.
pub struct EventsParquet {
    schema: SchemaRef,
    writer: Mutex<Option<ArrowWriter<File>>>,
    /// The first write error; later batches are dropped, and `close` reports it.
    failed: Mutex<Option<ParquetError>>,
}

impl EventsParquet {
    /// Creates `path` (Snappy-compressed, row groups of 128 Ki rows).
    pub fn create(path: &Path) -> Result<EventsParquet, ParquetError> {
        let schema = schema();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let file = File::create(path).map_err(|e| ParquetError::External(Box::new(e)))?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
        Ok(EventsParquet {
            schema,
            writer: Mutex::new(Some(writer)),
            failed: Mutex::new(None),
        })
    }

    /// Writes a worker's batch (a no-op when it is empty).
    pub fn write(&self, batch: &mut EventBatch) {
        if batch.rows == 0 {
            return;
        }
        let result = batch.finish(self.schema.clone()).and_then(|records| {
            match self
                .writer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
            {
                Some(w) => w.write(&records),
                None => Ok(()),
            }
        });
        if let Err(e) = result {
            self.failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e);
        }
    }

    /// Finishes the file; returns the rows written, or the first error.
    pub fn close(&self) -> Result<u64, ParquetError> {
        if let Some(e) = self.failed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(e);
        }
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        match writer {
            Some(w) => Ok(w.close()?.file_metadata().num_rows() as u64),
            None => Ok(0),
        }
    }
}
