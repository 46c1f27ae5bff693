//! `field`: either family on an H × W grid of cell centres over an extent, as the viewer's
//! field (its grid kernels on the GPU; their SIMD/f32 mirrors on the CPU; the f64 reference
//! cell by cell). Row i, column j is at (a[j], b[i]): NumPy's meshgrid "xy" order. Cells
//! outside the model (σ ≤ 0, π outside (0, 1) on a π slice, gains outside the stability
//! triangle) are NaN rather than an error, as the viewer hatches them.

use fisherflow::cli::fim_policy::cell_values;
use fisherflow::compute::fim_field::grid_params;
use fisherflow::compute::policy::PolicyParams;
use fisherflow::cpu;
use fisherflow::gpu::general_data::general_grid_params;
use fisherflow::gpu::gpu_data::FieldCell;
use fisherflow::math::general::Metric;
use fisherflow::math::validate_damping;
use fisherflow::math::{Model, Slice};
use numpy::IntoPyArray;
use numpy::ndarray::Array1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{Failure, guarded};
use crate::families::{PyModel, PySystem};
use crate::gpu::{Path, general_grid, path, policy_cells, seed_grid};
use crate::points::{
    MixtureColumns, MixtureSettings, PolicyColumns, mixture_interruptible, policy_at,
};

/// Most cells along either side of a field.
const MAX_SIDE: usize = 8192;

/// A checked grid: the extent (a0, a1, b0, b1) and the shape (H rows, W columns).
#[derive(Clone, Copy, Debug)]
struct Grid {
    extent: [f64; 4],
    rows: usize,
    columns: usize,
}

impl Grid {
    fn new(extent: (f64, f64, f64, f64), shape: (usize, usize)) -> Result<Self, Failure> {
        let e = [extent.0, extent.1, extent.2, extent.3];
        if !e.iter().all(|v| v.is_finite()) || e[1] <= e[0] || e[3] <= e[2] {
            return Err(Failure::input(format!(
                "extent: expected finite (a_min, a_max, b_min, b_max) with a_min < a_max and \
                 b_min < b_max, got {extent:?}"
            )));
        }
        let (rows, columns) = shape;
        if !(1..=MAX_SIDE).contains(&rows) || !(1..=MAX_SIDE).contains(&columns) {
            return Err(Failure::input(format!(
                "shape: expected (rows, columns), each from 1 to {MAX_SIDE}, got {shape:?}"
            )));
        }
        Ok(Self {
            extent: e,
            rows,
            columns,
        })
    }

    fn cell_size(&self) -> [f64; 2] {
        [
            (self.extent[1] - self.extent[0]) / self.columns as f64,
            (self.extent[3] - self.extent[2]) / self.rows as f64,
        ]
    }

    /// The cell centres along a (W) and along b (H).
    fn axes(&self) -> (Vec<f64>, Vec<f64>) {
        let [da, db] = self.cell_size();
        let a = (0..self.columns)
            .map(|j| self.extent[0] + (j as f64 + 0.5) * da)
            .collect();
        let b = (0..self.rows)
            .map(|i| self.extent[2] + (i as f64 + 0.5) * db)
            .collect();
        (a, b)
    }

    /// Every cell centre, row-major from (a0, b0).
    fn centres(&self) -> Vec<[f64; 2]> {
        let (a, b) = self.axes();
        b.iter()
            .flat_map(|&y| a.iter().map(move |&x| [x, y]))
            .collect()
    }

    fn put_axes<'py>(&self, py: Python<'py>, d: &Bound<'py, PyDict>) -> PyResult<()> {
        let (a, b) = self.axes();
        d.set_item("a", Array1::from(a).into_pyarray(py))?;
        d.set_item("b", Array1::from(b).into_pyarray(py))?;
        Ok(())
    }
}

/// The kernels' cells as columns.
fn columns_of(settings: &MixtureSettings, cells: &[FieldCell]) -> MixtureColumns {
    let mut columns = MixtureColumns::new(cells.len(), settings.target.is_some());
    for cell in cells {
        columns.push_cell(cell);
    }
    columns
}

/// Where the seed kernel computes the field (the viewer's rule: the (μ1, μ2) slice of
/// ½N(μ1, σ²) + ½N(μ2, σ²) under the induced metric, with a target of the same σ or none):
/// the target's (μ1*, μ2*) to give it (the model's own means where there is no target; that
/// half of the cells is then dropped).
fn seed_kernel(s: &MixtureSettings) -> Option<[f64; 2]> {
    let m = &s.model;
    let seed = |m: &Model| m.pi == 0.5 && m.sigma1 == m.sigma2;
    let fits = s.slice == Slice::SEED
        && s.metric == Metric::Induced
        && seed(m)
        && s.target.is_none_or(|t| seed(&t) && t.sigma1 == m.sigma1);
    fits.then(|| s.target.map_or([m.mu1, m.mu2], |t| [t.mu1, t.mu2]))
}

/// The mixture over a grid of `slice`.
#[pyfunction]
#[pyo3(signature = (model, slice, extent, shape, target, metric, damping, device, precision, nodes))]
#[allow(clippy::too_many_arguments)]
pub fn field_mixture<'py>(
    py: Python<'py>,
    model: PyRef<'py, PyModel>,
    slice: (String, String),
    extent: (f64, f64, f64, f64),
    shape: (usize, usize),
    target: Option<PyRef<'py, PyModel>>,
    metric: &str,
    damping: f64,
    device: &str,
    precision: Option<&str>,
    nodes: u32,
) -> PyResult<Bound<'py, PyDict>> {
    let settings = MixtureSettings::new(
        &model,
        slice,
        target.as_deref(),
        metric,
        damping,
        device,
        precision,
        nodes,
    )?;
    let grid = Grid::new(extent, shape)?;
    let columns = guarded(py, || match settings.path {
        Path::CpuF64 => Ok(None),
        Path::CpuF32 | Path::Gpu if seed_kernel(&settings).is_some() => {
            // The seed's slice: the seed kernel, as the viewer draws it (Q nodes per component).
            let target = seed_kernel(&settings).expect("checked in the guard");
            let params = grid_params(
                [grid.extent[0], grid.extent[2]],
                [grid.extent[1], grid.extent[3]],
                grid.columns as u32,
                grid.rows as u32,
                settings.model.sigma1 as f32,
                target,
                settings.damping as f32,
            );
            let cells: Vec<FieldCell> = if settings.path == Path::Gpu {
                seed_grid(&params, &settings.rule)?
            } else {
                let table = settings.rule.panel_rule().table_f32();
                let mut cells = vec![FieldCell::default(); params.cell_count as usize];
                cpu::simd::field_into(&params, &table, &mut cells);
                cells
            };
            Ok(Some(columns_of(&settings, &cells)))
        }
        Path::CpuF32 | Path::Gpu => {
            let params = general_grid_params(
                [grid.extent[0], grid.extent[2]],
                [grid.extent[1], grid.extent[3]],
                grid.columns as u32,
                grid.rows as u32,
                &settings.model,
                &settings.slice,
                settings.target.as_ref(),
                settings.damping as f32,
                settings.metric,
            );
            let cells: Vec<FieldCell> = if settings.path == Path::Gpu {
                general_grid(&params, &settings.rule)?
            } else {
                let table = settings.rule.panel_rule().table_f32();
                let mut cells = vec![FieldCell::default(); params.cell_count as usize];
                cpu::simd::general_grid_into_at(
                    cpu::simd::simd_level(),
                    &params,
                    &table,
                    &mut cells,
                );
                cells
            };
            Ok(Some(columns_of(&settings, &cells)))
        }
    })?;
    let columns = match columns {
        Some(c) => c,
        None => {
            // The f64 reference cell by cell (cells outside the model NaN), interruptible.
            let inputs: Vec<_> = grid
                .centres()
                .iter()
                .map(|xy| settings.input(*xy, "cell").ok())
                .collect();
            mixture_interruptible(py, &settings, &inputs)?
        }
    };
    let d = columns.into_dict(py, &[grid.rows, grid.columns])?;
    grid.put_axes(py, &d)?;
    Ok(d)
}

/// The policy plane over a grid of gains.
#[pyfunction]
#[pyo3(signature = (system, extent, shape, damping, device, precision))]
pub fn field_policy<'py>(
    py: Python<'py>,
    system: PyRef<'py, PySystem>,
    extent: (f64, f64, f64, f64),
    shape: (usize, usize),
    damping: f64,
    device: &str,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    validate_damping(damping).map_err(|e| Failure::input(format!("damping: {e}")))?;
    let path = path(device, precision)?;
    let grid = Grid::new(extent, shape)?;
    let system = system.system;
    let values = guarded(py, || match path {
        Path::CpuF64 => policy_at(&system, &grid.centres(), damping, path),
        Path::CpuF32 | Path::Gpu => {
            let params = PolicyParams::new(&system, damping).with_grid(
                [grid.extent[0], grid.extent[2]],
                grid.cell_size(),
                [grid.columns as u32, grid.rows as u32],
            );
            let cells = if path == Path::Gpu {
                policy_cells(&params, None)?
            } else {
                cpu::policy::grid(&params)
            };
            Ok(cells.iter().map(|c| cell_values(&system, c)).collect())
        }
    })?;
    let d = PolicyColumns::new(&values).into_dict(py, &[grid.rows, grid.columns])?;
    grid.put_axes(py, &d)?;
    Ok(d)
}
