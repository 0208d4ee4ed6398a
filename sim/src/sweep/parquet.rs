//! Parquet output (cargo feature `parquet`): runs.parquet and points.parquet converted from the
//! finished CSV tables in batches of [`BATCH`] rows (memory stays bounded), and one Parquet file
//! per run's step series. Snappy compression; the minimal parquet/arrow crates (ECOSYSTEM.md §4).
//!
//! Types: ids, seeds and counts are UInt64 (`replicate` UInt32); integer parameters Int64, float
//! parameters and every statistic Float64, booleans Boolean, strings and compound values Utf8;
//! an empty CSV field (a failed run's metrics, an undefined statistic) is null. Step columns are
//! Int64 or Float64 as in steps.csv.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::io::{self, ManifestHead};
use super::param::ValueKind;
use super::summary::{ColumnKind, Columns, step_values};
use super::{SweepError, io_err};
use crate::metrics::StepMetrics;
use crate::output::AtomicFile;

/// Rows per batch and row group.
pub const BATCH: usize = 8192;

#[derive(Clone, Copy, Debug)]
enum Col {
    U64,
    U32,
    I64,
    F64,
    Bool,
    Str,
}

impl Col {
    fn data_type(self) -> DataType {
        match self {
            Col::U64 => DataType::UInt64,
            Col::U32 => DataType::UInt32,
            Col::I64 => DataType::Int64,
            Col::F64 => DataType::Float64,
            Col::Bool => DataType::Boolean,
            Col::Str => DataType::Utf8,
        }
    }
}

enum Builder {
    U64(UInt64Builder),
    U32(UInt32Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
}

impl Builder {
    fn new(c: Col) -> Builder {
        match c {
            Col::U64 => Builder::U64(UInt64Builder::new()),
            Col::U32 => Builder::U32(UInt32Builder::new()),
            Col::I64 => Builder::I64(Int64Builder::new()),
            Col::F64 => Builder::F64(Float64Builder::new()),
            Col::Bool => Builder::Bool(BooleanBuilder::new()),
            Col::Str => Builder::Str(StringBuilder::new()),
        }
    }

    /// Appends a CSV field (empty = null); `None` if it does not parse.
    fn push(&mut self, s: &str) -> Option<()> {
        if s.is_empty() {
            match self {
                Builder::U64(b) => b.append_null(),
                Builder::U32(b) => b.append_null(),
                Builder::I64(b) => b.append_null(),
                Builder::F64(b) => b.append_null(),
                Builder::Bool(b) => b.append_null(),
                Builder::Str(b) => b.append_null(),
            }
            return Some(());
        }
        match self {
            Builder::U64(b) => b.append_value(s.parse().ok()?),
            Builder::U32(b) => b.append_value(s.parse().ok()?),
            Builder::I64(b) => b.append_value(s.parse().ok()?),
            Builder::F64(b) => b.append_value(s.parse().ok()?),
            Builder::Bool(b) => b.append_value(s.parse().ok()?),
            Builder::Str(b) => b.append_value(s),
        }
        Some(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::U64(b) => Arc::new(b.finish()),
            Builder::U32(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Str(b) => Arc::new(b.finish()),
        }
    }
}

fn perr(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> SweepError + '_ {
    move |e| SweepError::Parquet {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn aerr(path: &Path) -> impl Fn(arrow_schema::ArrowError) -> SweepError + '_ {
    move |e| SweepError::Parquet {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn writer(path: &Path, schema: SchemaRef) -> Result<ArrowWriter<AtomicFile>, SweepError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(BATCH))
        .build();
    let f = AtomicFile::create(path).map_err(io_err("write", path))?;
    ArrowWriter::try_new(f, schema, Some(props)).map_err(perr(path))
}

fn close(w: ArrowWriter<AtomicFile>, path: &Path) -> Result<(), SweepError> {
    let f = w.into_inner().map_err(perr(path))?;
    f.commit().map_err(io_err("write", path))
}

/// Converts a CSV table (header + rows) to Parquet with the given column types.
fn convert(csv_path: &Path, out: &Path, cols: &[Col]) -> Result<(), SweepError> {
    let mut rdr = csv::Reader::from_path(csv_path).map_err(|e| SweepError::Io {
        action: "read",
        path: csv_path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    let names = rdr.headers().map_err(|e| SweepError::Io {
        action: "read",
        path: csv_path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    if names.len() != cols.len() {
        return Err(SweepError::Folder {
            path: csv_path.display().to_string(),
            message: "unexpected columns".into(),
        });
    }
    let schema: SchemaRef = Arc::new(Schema::new(
        names
            .iter()
            .zip(cols)
            .map(|(n, c)| Field::new(n, c.data_type(), true))
            .collect::<Vec<_>>(),
    ));
    let mut w = writer(out, schema.clone())?;
    let mut builders: Vec<Builder> = cols.iter().map(|&c| Builder::new(c)).collect();
    let mut rows = 0usize;
    let flush =
        |builders: &mut Vec<Builder>, w: &mut ArrowWriter<AtomicFile>| -> Result<(), SweepError> {
            let arrays: Vec<ArrayRef> = builders.iter_mut().map(Builder::finish).collect();
            let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(aerr(out))?;
            w.write(&batch).map_err(perr(out))
        };
    let mut rec = csv::StringRecord::new();
    loop {
        let more = rdr.read_record(&mut rec).map_err(|e| SweepError::Io {
            action: "read",
            path: csv_path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        if !more {
            break;
        }
        for (b, f) in builders.iter_mut().zip(rec.iter()) {
            b.push(f).ok_or_else(|| SweepError::Folder {
                path: csv_path.display().to_string(),
                message: format!("`{f}` does not fit its column's type"),
            })?;
        }
        rows += 1;
        if rows.is_multiple_of(BATCH) {
            flush(&mut builders, &mut w)?;
        }
    }
    if rows == 0 || !rows.is_multiple_of(BATCH) {
        flush(&mut builders, &mut w)?;
    }
    close(w, out)
}

fn param_col(k: ValueKind) -> Col {
    match k {
        ValueKind::Int => Col::I64,
        ValueKind::Float => Col::F64,
        ValueKind::Bool => Col::Bool,
        ValueKind::Str | ValueKind::Other => Col::Str,
    }
}

/// runs.parquet and points.parquet from the CSV tables of a finished folder.
pub(crate) fn tables(dir: &Path, head: &ManifestHead) -> Result<(), SweepError> {
    let params: Vec<Col> = head
        .sweep
        .parameters
        .iter()
        .map(|p| param_col(p.spec.kind()))
        .collect();
    let m = head.metrics.len();
    let mut runs = vec![
        Col::U64,
        Col::U64,
        Col::U32,
        Col::U64,
        Col::U64,
        Col::Str,
        Col::Str,
    ];
    runs.extend(&params);
    runs.extend(std::iter::repeat_n(Col::F64, m));
    convert(&dir.join(io::RUNS), &dir.join("runs.parquet"), &runs)?;
    let mut points = vec![Col::U64];
    points.extend(&params);
    points.extend([Col::U64, Col::U64]);
    points.extend(std::iter::repeat_n(Col::F64, 5 * m));
    convert(&dir.join(io::POINTS), &dir.join("points.parquet"), &points)
}

/// One run's recorded step rows, held until the run ends (a run's rows only: memory is bounded by
/// the runs in flight).
pub(crate) struct StepRows {
    run_id: u64,
    names: Vec<&'static str>,
    kinds: Vec<ColumnKind>,
    rows: Vec<Vec<f64>>,
}

impl StepRows {
    pub fn new(run_id: u64, columns: &Columns) -> StepRows {
        StepRows {
            run_id,
            names: columns.names.clone(),
            kinds: columns.kinds.clone(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, m: &StepMetrics) {
        let mut v = Vec::with_capacity(self.names.len());
        step_values(m, &mut v);
        self.rows.push(v);
    }

    pub fn write(self, path: &Path) -> Result<(), SweepError> {
        let mut fields = vec![Field::new("run_id", DataType::UInt64, false)];
        for (n, k) in self.names.iter().zip(&self.kinds) {
            let t = if *k == ColumnKind::Int {
                DataType::Int64
            } else {
                DataType::Float64
            };
            fields.push(Field::new(*n, t, true));
        }
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(arrow_array::UInt64Array::from(vec![
                self.run_id;
                self.rows
                    .len()
            ]))];
        for (j, k) in self.kinds.iter().enumerate() {
            let col = self
                .rows
                .iter()
                .map(|r| r.get(j).copied().unwrap_or(f64::NAN));
            if *k == ColumnKind::Int {
                arrays.push(Arc::new(arrow_array::Int64Array::from_iter(
                    col.map(|v| v.is_finite().then_some(v as i64)),
                )));
            } else {
                arrays.push(Arc::new(arrow_array::Float64Array::from_iter_values(col)));
            }
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(aerr(path))?;
        let mut w = writer(path, schema)?;
        w.write(&batch).map_err(perr(path))?;
        close(w, path)
    }
}
