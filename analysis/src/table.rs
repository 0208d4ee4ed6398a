//! A small column table read from CSV (or Parquet with the `parquet` feature): the common shape of
//! `steps.csv`, `runs.csv`, `points.csv`, `sensitivity.csv` and `steps/run_*.csv`. Columns whose
//! every non-empty cell parses as a number are numeric (empty cells become NaN); the others are text.
//! Lookups by name fail with an error that names the file and lists the columns there are.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One column.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Numbers; NaN where the cell was empty.
    Num(Vec<f64>),
    /// Text.
    Text(Vec<String>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }
}

/// A table of named columns of equal length.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    path: PathBuf,
    names: Vec<String>,
    cols: Vec<Column>,
    rows: usize,
}

impl Table {
    /// A table from columns (for tests and for callers that build tables in memory).
    pub fn from_columns(path: impl Into<PathBuf>, columns: Vec<(String, Column)>) -> Result<Table> {
        let path = path.into();
        let rows = columns.first().map_or(0, |(_, c)| c.len());
        if let Some((name, _)) = columns.iter().find(|(_, c)| c.len() != rows) {
            return Err(Error::format(
                &path,
                format!("column `{name}` has a different length"),
            ));
        }
        let (names, cols) = columns.into_iter().unzip();
        Ok(Table {
            path,
            names,
            cols,
            rows,
        })
    }

    /// Reads a CSV file with a header row.
    pub fn read_csv(path: &Path) -> Result<Table> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Table::parse_csv(path, file)
    }

    /// Parses CSV from a reader (`path` is used in messages only).
    pub fn parse_csv(path: &Path, reader: impl std::io::Read) -> Result<Table> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(reader);
        let headers = r.headers().map_err(|e| csv_error(path, e))?.clone();
        if headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty()) {
            return Err(Error::format(path, "empty file (no header row)"));
        }
        let names: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
        let mut cells: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| csv_error(path, e))?;
            if rec.len() != names.len() {
                return Err(Error::format(
                    path,
                    format!(
                        "row {} has {} fields, the header has {}",
                        i + 2,
                        rec.len(),
                        names.len()
                    ),
                ));
            }
            for (c, field) in rec.iter().enumerate() {
                cells[c].push(field.to_string());
            }
        }
        let rows = cells.first().map_or(0, Vec::len);
        let cols = cells.into_iter().map(classify).collect();
        Ok(Table {
            path: path.to_path_buf(),
            names,
            cols,
            rows,
        })
    }

    /// Reads `path` by its extension: `.parquet` (feature `parquet`) or CSV.
    pub fn read(path: &Path) -> Result<Table> {
        if path.extension().is_some_and(|e| e == "parquet") {
            return read_parquet(path);
        }
        Table::read_csv(path)
    }

    /// The file the table came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Column names in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether a column exists.
    pub fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.cols[i])
    }

    /// A numeric column, if it exists and is numeric.
    pub fn get_num(&self, name: &str) -> Option<&[f64]> {
        match self.column(name) {
            Some(Column::Num(v)) => Some(v),
            _ => None,
        }
    }

    /// A numeric column, or an error naming the file and the columns it has.
    pub fn num(&self, name: &str) -> Result<&[f64]> {
        match self.column(name) {
            Some(Column::Num(v)) => Ok(v),
            Some(Column::Text(_)) => Err(Error::format(
                &self.path,
                format!("column `{name}` is not numeric"),
            )),
            None => Err(Error::format(
                &self.path,
                format!("no column `{name}` (columns: {})", self.names.join(", ")),
            )),
        }
    }

    /// A column as text (numbers formatted in their shortest form, NaN as an empty string).
    pub fn text(&self, name: &str) -> Option<Vec<String>> {
        Some(match self.column(name)? {
            Column::Text(v) => v.clone(),
            Column::Num(v) => v
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        String::new()
                    } else {
                        format!("{x}")
                    }
                })
                .collect(),
        })
    }

    /// The rows where `keep(row)` holds, as a new table.
    pub fn filter(&self, keep: impl Fn(usize) -> bool) -> Table {
        let idx: Vec<usize> = (0..self.rows).filter(|&i| keep(i)).collect();
        let cols = self
            .cols
            .iter()
            .map(|c| match c {
                Column::Num(v) => Column::Num(idx.iter().map(|&i| v[i]).collect()),
                Column::Text(v) => Column::Text(idx.iter().map(|&i| v[i].clone()).collect()),
            })
            .collect();
        Table {
            path: self.path.clone(),
            names: self.names.clone(),
            cols,
            rows: idx.len(),
        }
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => Error::format(path, format!("{:?}", other)),
    }
}

/// Numeric when every non-empty cell parses as a number (and at least one cell is non-empty or all
/// are empty); text otherwise.
fn classify(cells: Vec<String>) -> Column {
    let mut out = Vec::with_capacity(cells.len());
    for c in &cells {
        let t = c.trim();
        if t.is_empty() {
            out.push(f64::NAN);
            continue;
        }
        match t.parse::<f64>() {
            Ok(x) => out.push(x),
            Err(_) => return Column::Text(cells),
        }
    }
    Column::Num(out)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet(path: &Path) -> Result<Table> {
    Err(Error::format(
        path,
        "reading Parquet needs the `parquet` feature (cargo build --release --features mindmarket-analysis/parquet); \
         the CSV variant of this file is read by default",
    ))
}

#[cfg(feature = "parquet")]
fn read_parquet(path: &Path) -> Result<Table> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    use arrow_array::{Array, RecordBatchReader};
    use arrow_schema::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let perr = |e: &dyn std::fmt::Display| Error::format(path, format!("Parquet: {e}"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| perr(&e))?
        .build()
        .map_err(|e| perr(&e))?;
    let schema = reader.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut cols: Vec<Column> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Column::Text(Vec::new()),
            _ => Column::Num(Vec::new()),
        })
        .collect();
    for batch in reader {
        let batch = batch.map_err(|e| perr(&e))?;
        for (c, col) in cols.iter_mut().enumerate() {
            let a = batch.column(c);
            macro_rules! push_prim {
                ($v:expr, $t:ty) => {{
                    let p = a.as_primitive::<$t>();
                    for i in 0..p.len() {
                        $v.push(if p.is_null(i) {
                            f64::NAN
                        } else {
                            p.value(i) as f64
                        });
                    }
                }};
            }
            match col {
                Column::Num(v) => match a.data_type() {
                    DataType::Float64 => push_prim!(v, Float64Type),
                    DataType::Float32 => push_prim!(v, Float32Type),
                    DataType::Int8 => push_prim!(v, Int8Type),
                    DataType::Int16 => push_prim!(v, Int16Type),
                    DataType::Int32 => push_prim!(v, Int32Type),
                    DataType::Int64 => push_prim!(v, Int64Type),
                    DataType::UInt8 => push_prim!(v, UInt8Type),
                    DataType::UInt16 => push_prim!(v, UInt16Type),
                    DataType::UInt32 => push_prim!(v, UInt32Type),
                    DataType::UInt64 => push_prim!(v, UInt64Type),
                    DataType::Boolean => {
                        let b = a.as_boolean();
                        for i in 0..b.len() {
                            v.push(if b.is_null(i) {
                                f64::NAN
                            } else {
                                b.value(i) as u8 as f64
                            });
                        }
                    }
                    DataType::Null => v.extend(std::iter::repeat_n(f64::NAN, a.len())),
                    other => {
                        return Err(Error::format(
                            path,
                            format!(
                                "Parquet column `{}` has an unsupported type {other}",
                                names[c]
                            ),
                        ));
                    }
                },
                Column::Text(v) => {
                    let s = arrow_cast_strings(a.as_ref());
                    v.extend(s);
                }
            }
        }
    }
    let rows = cols.first().map_or(0, Column::len);
    Ok(Table {
        path: path.to_path_buf(),
        names,
        cols,
        rows,
    })
}

#[cfg(feature = "parquet")]
fn arrow_cast_strings(a: &dyn arrow_array::Array) -> Vec<String> {
    use arrow_array::cast::AsArray;
    use arrow_schema::DataType;
    let n = a.len();
    let get =
        |i: usize, f: &dyn Fn(usize) -> String| if a.is_null(i) { String::new() } else { f(i) };
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            (0..n)
                .map(|i| get(i, &|i| s.value(i).to_string()))
                .collect()
        }
        DataType::LargeUtf8 => {
            let s = a.as_string::<i64>();
            (0..n)
                .map(|i| get(i, &|i| s.value(i).to_string()))
                .collect()
        }
        DataType::Utf8View => {
            let s = a.as_string_view();
            (0..n)
                .map(|i| get(i, &|i| s.value(i).to_string()))
                .collect()
        }
        _ => vec![String::new(); n],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_text_columns_are_told_apart() {
        let csv = "run_id,status,x,err\n0,ok,1.5,\n1,failed,,boom\n";
        let t = Table::parse_csv(Path::new("runs.csv"), csv.as_bytes()).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.num("run_id").unwrap(), &[0.0, 1.0]);
        let x = t.num("x").unwrap();
        assert_eq!(x[0], 1.5);
        assert!(x[1].is_nan());
        assert_eq!(t.text("status").unwrap(), vec!["ok", "failed"]);
        assert_eq!(t.text("err").unwrap(), vec!["", "boom"]);
        let e = t.num("nope").unwrap_err().to_string();
        assert!(
            e.contains("runs.csv") && e.contains("no column `nope`") && e.contains("run_id"),
            "{e}"
        );
        let ok = t.filter(|i| t.text("status").unwrap()[i] == "ok");
        assert_eq!(ok.len(), 1);
        assert_eq!(ok.num("x").unwrap(), &[1.5]);
    }

    #[cfg(feature = "parquet")]
    #[test]
    fn parquet_tables_read_like_csv() {
        use std::sync::Arc;

        use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
        use parquet::arrow::ArrowWriter;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.parquet");
        let batch = RecordBatch::try_from_iter([
            (
                "run_id",
                Arc::new(UInt32Array::from(vec![0, 1])) as ArrayRef,
            ),
            (
                "status",
                Arc::new(StringArray::from(vec![Some("ok"), None])) as ArrayRef,
            ),
            (
                "x",
                Arc::new(Float64Array::from(vec![Some(1.5), None])) as ArrayRef,
            ),
        ])
        .unwrap();
        let mut w =
            ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None)
                .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let t = Table::read(&path).unwrap();
        assert_eq!(t.names(), &["run_id", "status", "x"]);
        assert_eq!(t.num("run_id").unwrap(), &[0.0, 1.0]);
        assert_eq!(t.text("status").unwrap(), vec!["ok", ""]);
        let x = t.num("x").unwrap();
        assert!(x[0] == 1.5 && x[1].is_nan());
    }

    #[cfg(not(feature = "parquet"))]
    #[test]
    fn parquet_without_the_feature_says_how_to_enable_it() {
        let e = Table::read(Path::new("runs.parquet"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`parquet` feature"), "{e}");
    }

    #[test]
    fn ragged_and_empty_files_are_errors() {
        let e = Table::parse_csv(Path::new("a.csv"), "a,b\n1\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a.csv:"), "{e}");
        assert!(Table::parse_csv(Path::new("e.csv"), "".as_bytes()).is_err());
        let missing = Table::read_csv(Path::new("/nonexistent/steps.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("/nonexistent/steps.csv") && missing.contains("not found"),
            "{missing}"
        );
    }
}
