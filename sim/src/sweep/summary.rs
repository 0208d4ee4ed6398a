//! Summary metrics of a run: one number per run reduced from one `steps.csv` column while the run
//! streams (O(1) memory per metric), and access to the step row's columns by name.
//!
//! The columns are read from [`StepMetrics`] through its `Serialize` implementation, so a column
//! added to the step row is available to sweeps without touching this file.

use serde::ser::{self, Impossible, Serialize};
use serde::{Deserialize, Serialize as SerializeDerive};

use crate::metrics::StepMetrics;

/// How a summary metric reduces its column over the steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, SerializeDerive, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    /// The value at the last step.
    Final,
    /// The mean over all steps.
    Mean,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// The sum over all steps (`total` is accepted too).
    #[serde(alias = "total")]
    Sum,
    /// The first step (0-based) at which the value is ≥ `threshold`; empty if never.
    FirstStepGe,
    /// The first step (0-based) at which the value is ≤ `threshold`; empty if never.
    FirstStepLe,
}

impl Stat {
    /// The stat's name as written in the sweep table.
    pub fn name(self) -> &'static str {
        match self {
            Stat::Final => "final",
            Stat::Mean => "mean",
            Stat::Min => "min",
            Stat::Max => "max",
            Stat::Sum => "sum",
            Stat::FirstStepGe => "first_step_ge",
            Stat::FirstStepLe => "first_step_le",
        }
    }

    /// Whether the stat needs a threshold.
    pub fn needs_threshold(self) -> bool {
        matches!(self, Stat::FirstStepGe | Stat::FirstStepLe)
    }
}

/// One summary metric, with its name resolved.
#[derive(Clone, Debug, PartialEq, SerializeDerive, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricDef {
    /// Column name in runs.csv and points.csv.
    pub name: String,
    /// The `steps.csv` column it reduces.
    pub column: String,
    /// The reduction.
    pub stat: Stat,
    /// Threshold of `first_step_ge` / `first_step_le`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

impl MetricDef {
    /// The default name: `<stat>_<column>`, or `<column>_ge_<threshold>_step` (`_le_`).
    pub fn default_name(column: &str, stat: Stat, threshold: Option<f64>) -> String {
        match (stat, threshold) {
            (Stat::FirstStepGe, Some(t)) => format!("{column}_ge_{t}_step"),
            (Stat::FirstStepLe, Some(t)) => format!("{column}_le_{t}_step"),
            _ => format!("{}_{column}", stat.name()),
        }
    }

    fn new(column: &str, stat: Stat, threshold: Option<f64>) -> MetricDef {
        MetricDef {
            name: MetricDef::default_name(column, stat, threshold),
            column: column.into(),
            stat,
            threshold,
        }
    }
}

/// The metrics summarised when the sweep table names none.
pub fn default_metrics() -> Vec<MetricDef> {
    vec![
        MetricDef::new("platform_share_requests", Stat::Final, None),
        MetricDef::new("token_price_usd", Stat::Final, None),
        MetricDef::new("gmv_platform_usd", Stat::Mean, None),
        MetricDef::new("onboarded_customers", Stat::Final, None),
        MetricDef::new("active_providers", Stat::Final, None),
        MetricDef::new("gmv_b2b_usd", Stat::Sum, None),
        MetricDef::new("platform_share_requests", Stat::FirstStepGe, Some(0.05)),
    ]
}

/// The numeric type of a step column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// An integer column.
    Int,
    /// A float column.
    Float,
    /// Not a number (a string or a compound value): cannot be summarised.
    Other,
}

/// The step row's columns, in `steps.csv` order.
#[derive(Clone, Debug)]
pub struct Columns {
    /// Column names.
    pub names: Vec<&'static str>,
    /// Their types.
    pub kinds: Vec<ColumnKind>,
}

impl Columns {
    /// The columns of [`StepMetrics`].
    pub fn of_step_metrics() -> Columns {
        let mut c = Collector {
            schema: true,
            ..Collector::default()
        };
        // Serializing a plain struct of numbers into the collector cannot fail.
        let _ = StepMetrics::default().serialize(&mut c);
        Columns {
            names: c.names,
            kinds: c.kinds,
        }
    }

    /// Index of a column by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }
}

/// Reads a step row's values (as f64, NaN for non-numbers) into `out`, in column order.
pub fn step_values(m: &StepMetrics, out: &mut Vec<f64>) {
    let mut c = Collector {
        values: std::mem::take(out),
        ..Collector::default()
    };
    c.values.clear();
    let _ = m.serialize(&mut c);
    *out = c.values;
}

/// Length in bytes of a step row as steps.csv writes it (for output size estimates).
pub fn step_row_len(m: &StepMetrics) -> usize {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let _ = w.serialize(m);
    w.into_inner().map_or(0, |b| b.len())
}

/// Whether a metric's values are whole numbers (printed without a fraction).
pub fn integer_valued(def: &MetricDef, kind: ColumnKind) -> bool {
    match def.stat {
        Stat::FirstStepGe | Stat::FirstStepLe => true,
        Stat::Final | Stat::Min | Stat::Max | Stat::Sum => kind == ColumnKind::Int,
        Stat::Mean => false,
    }
}

/// Reduces the step rows of one run to its summary metrics.
#[derive(Clone, Debug)]
pub struct Accumulator {
    idx: Vec<usize>,
    defs: Vec<(Stat, f64)>,
    acc: Vec<f64>,
    steps: u64,
    row: Vec<f64>,
}

impl Accumulator {
    /// An accumulator for `defs`; every column must exist in `columns`.
    pub fn new(defs: &[MetricDef], columns: &Columns) -> Accumulator {
        let idx = defs
            .iter()
            .map(|d| columns.index(&d.column).unwrap_or(usize::MAX))
            .collect();
        let acc = defs
            .iter()
            .map(|d| match d.stat {
                Stat::Min => f64::INFINITY,
                Stat::Max => f64::NEG_INFINITY,
                Stat::FirstStepGe | Stat::FirstStepLe | Stat::Final => f64::NAN,
                Stat::Mean | Stat::Sum => 0.0,
            })
            .collect();
        Accumulator {
            idx,
            defs: defs
                .iter()
                .map(|d| (d.stat, d.threshold.unwrap_or(f64::NAN)))
                .collect(),
            acc,
            steps: 0,
            row: Vec::new(),
        }
    }

    /// Adds one step.
    pub fn add(&mut self, m: &StepMetrics) {
        step_values(m, &mut self.row);
        let step = f64::from(m.step);
        for ((&i, &(stat, th)), a) in self.idx.iter().zip(&self.defs).zip(&mut self.acc) {
            let v = self.row.get(i).copied().unwrap_or(f64::NAN);
            match stat {
                Stat::Final => *a = v,
                Stat::Mean | Stat::Sum => *a += v,
                Stat::Min => *a = a.min(v),
                Stat::Max => *a = a.max(v),
                Stat::FirstStepGe => {
                    if a.is_nan() && v >= th {
                        *a = step;
                    }
                }
                Stat::FirstStepLe => {
                    if a.is_nan() && v <= th {
                        *a = step;
                    }
                }
            }
        }
        self.steps += 1;
    }

    /// The metrics (NaN where undefined: no steps, or a threshold never reached).
    pub fn finish(&self) -> Vec<f64> {
        self.acc
            .iter()
            .zip(&self.defs)
            .map(|(&a, &(stat, _))| match stat {
                _ if self.steps == 0 => f64::NAN,
                Stat::Mean => a / self.steps as f64,
                _ => a,
            })
            .collect()
    }
}

/// A `serde::Serializer` that records a flat struct's field names, kinds and numeric values.
#[derive(Default)]
struct Collector {
    /// Whether to record names and kinds (once, for [`Columns`]).
    schema: bool,
    names: Vec<&'static str>,
    kinds: Vec<ColumnKind>,
    values: Vec<f64>,
}

#[derive(Debug)]
struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a flat struct of numbers")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

macro_rules! unsupported {
    ($($name:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $name(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> { Err(Unsupported) })*
    };
}

impl ser::Serializer for &mut Collector {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    unsupported!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i128(self, _: i128) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
}

impl ser::SerializeStruct for &mut Collector {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        let (v, kind) = value
            .serialize(Scalar)
            .unwrap_or((f64::NAN, ColumnKind::Other));
        if self.schema {
            self.names.push(key);
            self.kinds.push(kind);
        }
        self.values.push(v);
        Ok(())
    }

    fn end(self) -> Result<(), Unsupported> {
        Ok(())
    }
}

/// Serializes one field's value to (f64, kind).
struct Scalar;

macro_rules! int_scalar {
    ($($name:ident($t:ty)),*) => {
        $(fn $name(self, v: $t) -> Result<Self::Ok, Self::Error> { Ok((v as f64, ColumnKind::Int)) })*
    };
}

impl ser::Serializer for Scalar {
    type Ok = (f64, ColumnKind);
    type Error = Unsupported;
    type SerializeSeq = Impossible<(f64, ColumnKind), Unsupported>;
    type SerializeTuple = Impossible<(f64, ColumnKind), Unsupported>;
    type SerializeTupleStruct = Impossible<(f64, ColumnKind), Unsupported>;
    type SerializeTupleVariant = Impossible<(f64, ColumnKind), Unsupported>;
    type SerializeMap = Impossible<(f64, ColumnKind), Unsupported>;
    type SerializeStruct = Impossible<(f64, ColumnKind), Unsupported>;
    type SerializeStructVariant = Impossible<(f64, ColumnKind), Unsupported>;

    int_scalar!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128)
    );

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, Unsupported> {
        Ok((f64::from(u8::from(v)), ColumnKind::Int))
    }
    fn serialize_f32(self, v: f32) -> Result<Self::Ok, Unsupported> {
        Ok((f64::from(v), ColumnKind::Float))
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok, Unsupported> {
        Ok((v, ColumnKind::Float))
    }
    fn serialize_none(self) -> Result<Self::Ok, Unsupported> {
        Ok((f64::NAN, ColumnKind::Float))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Self::Ok, Unsupported> {
        v.serialize(Scalar)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Self::Ok, Unsupported> {
        v.serialize(Scalar)
    }
    fn serialize_char(self, _: char) -> Result<Self::Ok, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_str(self, _: &str) -> Result<Self::Ok, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<Self::Ok, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Self::Ok, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_step_row() {
        let c = Columns::of_step_metrics();
        assert_eq!(c.names[0], "step");
        assert_eq!(c.kinds[0], ColumnKind::Int);
        let i = c.index("token_price_usd").unwrap();
        assert_eq!(c.kinds[i], ColumnKind::Float);
        let m = StepMetrics {
            step: 3,
            token_price_usd: 0.25,
            conservation_error_tokens: -7,
            ..StepMetrics::default()
        };
        let mut v = Vec::new();
        step_values(&m, &mut v);
        assert_eq!(v.len(), c.names.len());
        assert_eq!((v[0], v[i]), (3.0, 0.25));
        assert_eq!(v[c.index("conservation_error_tokens").unwrap()], -7.0);
        // The header of steps.csv is the same list.
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(&m).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), c.names.join(","));
    }

    #[test]
    fn accumulates_every_stat() {
        let c = Columns::of_step_metrics();
        let defs = vec![
            MetricDef::new("token_price_usd", Stat::Final, None),
            MetricDef::new("token_price_usd", Stat::Mean, None),
            MetricDef::new("token_price_usd", Stat::Min, None),
            MetricDef::new("token_price_usd", Stat::Max, None),
            MetricDef::new("requests_platform", Stat::Sum, None),
            MetricDef::new("token_price_usd", Stat::FirstStepGe, Some(2.0)),
            MetricDef::new("token_price_usd", Stat::FirstStepLe, Some(0.5)),
            MetricDef::new("token_price_usd", Stat::FirstStepGe, Some(99.0)),
        ];
        assert_eq!(defs[5].name, "token_price_usd_ge_2_step");
        assert_eq!(defs[6].name, "token_price_usd_le_0.5_step");
        assert_eq!(defs[4].name, "sum_requests_platform");
        let mut a = Accumulator::new(&defs, &c);
        assert!(a.finish().iter().all(|x| x.is_nan()));
        for (step, (p, r)) in [(1.0, 10u64), (3.0, 20), (0.5, 30), (2.0, 40)]
            .into_iter()
            .enumerate()
        {
            a.add(&StepMetrics {
                step: step as u32,
                token_price_usd: p,
                requests_platform: r,
                ..StepMetrics::default()
            });
        }
        let got = a.finish();
        assert_eq!(&got[..7], &[2.0, 1.625, 0.5, 3.0, 100.0, 1.0, 2.0]);
        assert!(got[7].is_nan());
    }
}
