//! `vigie_spark._native`: vigie's engine for Python, over Arrow record
//! batches exchanged through the Arrow C Data Interface (`pyarrow`, no copy).
//!
//! The Spark job (`python/vigie-spark`) drives it: [`Engine::plan`] on the
//! driver lists the inputs and cuts them into work, [`Engine::stage_one`]
//! runs in `mapInArrow`, [`Engine::stage_two`] in `groupBy(key).applyInArrow`,
//! and [`Engine::write_case`] writes the case folder on the driver. The
//! batch shapes are those of [`vigie_engine::arrow`].

mod plan;

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_pyarrow::PyArrowType;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use vigie_engine::mail::{MailScan, Opens};
use vigie_engine::{Earlier, EngineConfig, arrow, case};

fn runtime(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// One run's engine (rules, indicators, reading options), made from the
/// `EngineConfig` as JSON; on a worker, with the driver's wanted openings.
#[pyclass(frozen)]
struct Engine {
    inner: vigie_engine::Engine,
}

#[pymethods]
impl Engine {
    /// `Engine(config_json, openings=None)`: `openings` are the bytes
    /// `plan()` gave on the driver (the flagged messages whose webmail
    /// openings stage one records).
    #[new]
    #[pyo3(signature = (config_json, openings=None))]
    fn new(config_json: &str, openings: Option<&[u8]>) -> PyResult<Engine> {
        let config: EngineConfig =
            serde_json::from_str(config_json).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let mut inner = vigie_engine::Engine::new(&config).map_err(runtime)?;
        if let Some(bytes) = openings {
            let opens: Opens = arrow::decode(bytes).map_err(runtime)?;
            inner.set_openings(opens);
        }
        Ok(Engine { inner })
    }

    /// The rules that did not load, one line each.
    fn rule_errors(&self) -> Vec<String> {
        self.inner
            .rule_errors()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    /// What loading the indicators said: `(text, failed)` pairs.
    fn intel_notes(&self) -> Vec<(String, bool)> {
        self.inner
            .intel_notes()
            .iter()
            .map(|n| (n.text.clone(), n.failed))
            .collect()
    }

    /// Plans the work of a scan of `paths` for the case `key`: a dict with
    /// `chunks` (a `pyarrow.RecordBatch`, see `plan.rs`), `openings`
    /// (bytes for the workers' engines), `errors` (inputs not read, one line
    /// each), `failed` (whether one of them is an error, not a skip).
    /// Mail stores under `paths` are scanned here (unless `no_mail`) and left
    /// out of the logs, as `vigie scan` does.
    #[pyo3(signature = (paths, key, chunk_bytes, no_mail=false))]
    fn plan<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        key: &str,
        chunk_bytes: u64,
        no_mail: bool,
    ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let (plan, openings) = py.detach(|| {
            let mail = if no_mail {
                MailScan::default()
            } else {
                self.inner.scan_mail(&paths)
            };
            let plan = plan::plan(&self.inner, &paths, key, chunk_bytes, &mail);
            let openings = arrow::encode(&Opens::new(&mail));
            (plan, openings)
        });
        let plan = plan.map_err(runtime)?;
        let out = pyo3::types::PyDict::new(py);
        out.set_item("chunks", PyArrowType(plan.chunks))?;
        out.set_item("openings", PyBytes::new(py, &openings.map_err(runtime)?))?;
        out.set_item("errors", plan.errors)?;
        out.set_item("failed", plan.failed)?;
        out.set_item("bytes", plan.bytes)?;
        Ok(out)
    }

    /// Stage one over a batch of chunks (`vigie_engine::arrow::chunk_schema`):
    /// one stage-one row per chunk or set read from disk.
    fn stage_one(
        &self,
        py: Python<'_>,
        key: &str,
        chunks: PyArrowType<RecordBatch>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let batch = py
            .detach(|| arrow::stage_one(&self.inner, key, &chunks.0))
            .map_err(runtime)?;
        Ok(PyArrowType(batch))
    }

    /// Stage two over all the stage-one rows of the case `key`: its findings
    /// (`vigie_engine::arrow::findings_schema`). The mail stores under
    /// `mail_paths` are scanned again here with the same function (the
    /// mail findings and their link to the web requests need them);
    /// `earlier` is the bytes of `earlier()` on the driver.
    #[pyo3(signature = (key, batches, mail_paths, earlier=None))]
    fn stage_two(
        &self,
        py: Python<'_>,
        key: &str,
        batches: Vec<PyArrowType<RecordBatch>>,
        mail_paths: Vec<PathBuf>,
        earlier: Option<&[u8]>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let earlier: Option<Earlier> = earlier.map(arrow::decode).transpose().map_err(runtime)?;
        let batch = py
            .detach(|| {
                let mut mail = if mail_paths.is_empty() {
                    MailScan::default()
                } else {
                    self.inner.scan_mail(&mail_paths)
                };
                arrow::stage_two(
                    &self.inner,
                    key,
                    batches.iter().map(|b| &b.0),
                    &mut mail,
                    earlier.as_ref(),
                )
            })
            .map_err(runtime)?;
        Ok(PyArrowType(batch))
    }

    /// What earlier scans recorded in the case folder `case` (bytes for
    /// `stage_two`), or `None` for a new case or with `findings_only`.
    fn earlier<'py>(
        &self,
        py: Python<'py>,
        case: PathBuf,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        if self.inner.config().findings_only {
            return Ok(None);
        }
        let Some(earlier) = case::earlier(&case).map_err(runtime)? else {
            return Ok(None);
        };
        let bytes = arrow::encode(&earlier).map_err(runtime)?;
        Ok(Some(PyBytes::new(py, &bytes)))
    }

    /// Writes the case folder `case` from stage two's rows (one key): the
    /// same files `vigie scan` writes. Returns a dict: `findings` (how many
    /// the case holds), `findings_path`, `tally` (the line `vigie scan`
    /// prints on stderr), `failed_inputs` (whether a file stopped with an
    /// error), `unread` (mail not read, one line each).
    #[pyo3(signature = (case, batches, mail_paths))]
    fn write_case<'py>(
        &self,
        py: Python<'py>,
        case: PathBuf,
        batches: Vec<PyArrowType<RecordBatch>>,
        mail_paths: Vec<PathBuf>,
    ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let written = py.detach(|| -> Result<_, String> {
            let mut outcomes =
                arrow::outcomes(batches.iter().map(|b| &b.0)).map_err(|e| e.to_string())?;
            let (_, outcome) = match outcomes.len() {
                1 => outcomes.remove(0),
                0 => return Err("stage two gave no outcome".into()),
                n => return Err(format!("stage two gave {n} cases, one was expected")),
            };
            case::create(&case).map_err(|e| e.to_string())?;
            let summary = case::write(&case, &self.inner, &outcome).map_err(|e| e.to_string())?;
            // The driver's own look at the mail, for the tally (as vigie scan counts).
            let mail = if mail_paths.is_empty() {
                MailScan::default()
            } else {
                self.inner.scan_mail(&mail_paths)
            };
            let mut tally = vigie_case::tally::Tally::new(&outcome.sources, &summary.findings);
            tally.messages = (!mail.stores.is_empty()).then_some(mail.messages);
            // As vigie scan: nothing understood is no answer (exit 2).
            let failed = outcome.reports.iter().any(|r| r.error.is_some())
                || tally.understood_nothing()
                || !mail.rule_errors.is_empty()
                || !mail.unread.is_empty();
            let errors: Vec<String> = outcome
                .reports
                .iter()
                .filter_map(|r| Some(format!("{}: {}", r.path, r.error.as_deref()?)))
                .collect();
            Ok((
                summary.findings.len(),
                summary.findings_path,
                tally.line(),
                failed,
                errors,
            ))
        });
        let (findings, path, tally, failed, errors) = written.map_err(PyRuntimeError::new_err)?;
        let out = pyo3::types::PyDict::new(py);
        out.set_item("findings", findings)?;
        out.set_item("findings_path", path_text(&path))?;
        out.set_item("tally", tally)?;
        out.set_item("failed", failed)?;
        out.set_item("errors", errors)?;
        Ok(out)
    }
}

fn path_text(path: &Path) -> String {
    vigie_event::path::to_text(path).into_owned()
}

/// The Spark-side schemas as Spark DDL strings: `(stage_one, findings)`.
#[pyfunction]
fn spark_schemas() -> (String, String) {
    (
        "key string, path string, first_line long, lines long, events long, state binary".into(),
        "key string, rule_id string, level string, title string, user string, source_ip string, \
         first_seen timestamp, last_seen timestamp, count long, finding string, outcome binary"
            .into(),
    )
}

/// The module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_function(wrap_pyfunction!(spark_schemas, m)?)?;
    m.add("STATE_FORMAT", arrow::STATE_FORMAT)?;
    Ok(())
}
