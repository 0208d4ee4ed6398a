//! 2-D grids of a sweep metric: the mean of a summary metric over every finished run at each pair
//! of values of two parameters (averaging over replications and over any other parameter), as an
//! `ndarray::Array2` indexed `[y, x]`. Cells with no run are NaN. This is the data of the tipping
//! map: final platform share over incumbent data × switching cost.

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::sweep::SweepFolder;

/// A metric on a grid of two parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid2 {
    /// The metric.
    pub metric: String,
    /// Parameter on the x axis (key path).
    pub x_param: String,
    /// Parameter on the y axis (key path).
    pub y_param: String,
    /// x levels: (label, numeric value if numeric), ascending.
    pub xs: Vec<(String, Option<f64>)>,
    /// y levels, ascending.
    pub ys: Vec<(String, Option<f64>)>,
    /// Mean of the metric, `[iy, ix]`; NaN where no run.
    pub mean: Array2<f64>,
    /// Finished runs with a finite value per cell.
    pub n: Array2<usize>,
}

fn level_of(levels: &[(String, Option<f64>)], label: &str, v: Option<f64>) -> Option<usize> {
    levels.iter().position(|(l, x)| match (x, v) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300),
        _ => l == label,
    })
}

/// The grid of `metric` over parameters `x_param` × `y_param`.
pub fn grid2(sweep: &SweepFolder, metric: &str, x_param: &str, y_param: &str) -> Result<Grid2> {
    for p in [x_param, y_param] {
        if !sweep.manifest.parameters.iter().any(|q| q == p) {
            return Err(Error::Unknown {
                message: format!(
                    "`{p}` is not a parameter of the sweep in {} (parameters: {})",
                    sweep.dir.display(),
                    sweep.manifest.parameters.join(", ")
                ),
            });
        }
    }
    let xs = sweep.param_levels(x_param);
    let ys = sweep.param_levels(y_param);
    let mut sum = Array2::<f64>::zeros((ys.len(), xs.len()));
    let mut n = Array2::<usize>::zeros((ys.len(), xs.len()));
    for (i, v) in sweep.metric(metric)? {
        if !v.is_finite() {
            continue;
        }
        let ix = level_of(
            &xs,
            &sweep.param_text(x_param, i),
            sweep.param_num(x_param, i),
        );
        let iy = level_of(
            &ys,
            &sweep.param_text(y_param, i),
            sweep.param_num(y_param, i),
        );
        if let (Some(ix), Some(iy)) = (ix, iy) {
            sum[[iy, ix]] += v;
            n[[iy, ix]] += 1;
        }
    }
    let mean = Array2::from_shape_fn(sum.dim(), |(r, c)| {
        if n[[r, c]] > 0 {
            sum[[r, c]] / n[[r, c]] as f64
        } else {
            f64::NAN
        }
    });
    Ok(Grid2 {
        metric: metric.into(),
        x_param: x_param.into(),
        y_param: y_param.into(),
        xs,
        ys,
        mean,
        n,
    })
}

/// Pairs of parameters that form a full grid (every combination of their 2–30 levels has a
/// design point), in manifest order: the candidates for heatmaps.
pub fn grid_pairs(sweep: &SweepFolder) -> Vec<(String, String)> {
    let params = &sweep.manifest.parameters;
    let mut out = Vec::new();
    for (a, pa) in params.iter().enumerate() {
        for pb in &params[a + 1..] {
            let (la, lb) = (sweep.param_levels(pa), sweep.param_levels(pb));
            if !(2..=30).contains(&la.len()) || !(2..=30).contains(&lb.len()) {
                continue;
            }
            let mut seen = vec![false; la.len() * lb.len()];
            for i in 0..sweep.rows().len() {
                let ia = level_of(&la, &sweep.param_text(pa, i), sweep.param_num(pa, i));
                let ib = level_of(&lb, &sweep.param_text(pb, i), sweep.param_num(pb, i));
                if let (Some(ia), Some(ib)) = (ia, ib) {
                    seen[ib * la.len() + ia] = true;
                }
            }
            if seen.iter().all(|&s| s) {
                out.push((pa.clone(), pb.clone()));
            }
        }
    }
    out
}
