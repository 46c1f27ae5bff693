//! `fim` at N points of either family, all in one call: the f64 reference on the CPU (the
//! functions `fisherflow fim` calls, so the values are its JSON's bit for bit), the SIMD f32
//! path, or the viewer's WGSL kernels. The results are columns (N, …) of float64.

use fisherflow::cli::fim::{Device as CliDevice, FimArgs};
use fisherflow::cli::fim_policy::{Values, cell_values, values};
use fisherflow::compute::policy::PolicyParams;
use fisherflow::cpu;
use fisherflow::gpu::general_data::{FLAG_METRIC_UNDEFINED, FLAG_OUTSIDE_MODEL, GeneralPointInput};
use fisherflow::gpu::gpu_data::{FieldCell, flags};
use fisherflow::math::estimates::{empirical_fisher_samples, mc_fisher};
use fisherflow::math::general::{GeneralReport, Metric, evaluate_general_metric};
use fisherflow::math::policy::{Lqr, System};
use fisherflow::math::{
    GeneralInput, Model, QuadratureRule, Slice, evaluate_general, validate_damping,
};
use numpy::{IntoPyArray, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;

use crate::errors::{Failure, guarded};
use crate::families::{PyModel, PySystem, parse_slice};
use crate::gpu::{Path, general_points, path, policy_cells};

/// The mixture's values at N points, as columns.
pub struct MixtureColumns {
    n: usize,
    has_target: bool,
    fisher: Vec<f64>,
    eigenvalues: Vec<f64>,
    kappa: Vec<f64>,
    kl: Vec<f64>,
    grad: Vec<f64>,
    natgrad: Vec<f64>,
    angle_deg: Vec<f64>,
    empirical_fisher: Vec<f64>,
}

impl MixtureColumns {
    /// Empty columns for `n` points.
    pub fn new(n: usize, has_target: bool) -> Self {
        let k = if has_target { n } else { 0 };
        Self {
            n,
            has_target,
            fisher: Vec::with_capacity(4 * n),
            eigenvalues: Vec::with_capacity(2 * n),
            kappa: Vec::with_capacity(n),
            kl: Vec::with_capacity(k),
            grad: Vec::with_capacity(2 * k),
            natgrad: Vec::with_capacity(2 * k),
            angle_deg: Vec::with_capacity(k),
            empirical_fisher: Vec::with_capacity(4 * k),
        }
    }

    /// Appends a report (the CLI's record: None → NaN, an infinite κ → inf).
    pub fn push_report(&mut self, r: &GeneralReport) {
        self.fisher.extend(r.fisher.iter().flatten());
        self.eigenvalues.extend(r.eigenvalues);
        self.kappa.push(r.kappa.unwrap_or(f64::INFINITY));
        if self.has_target {
            match &r.loss {
                Some(l) => {
                    self.kl.push(l.kl);
                    self.grad.extend(l.grad);
                    self.natgrad.extend(l.natgrad.unwrap_or([f64::NAN; 2]));
                    self.angle_deg.push(l.angle_deg.unwrap_or(f64::NAN));
                    self.empirical_fisher
                        .extend(l.empirical_fisher.iter().flatten());
                }
                None => self.push_missing_target(),
            }
        }
    }

    /// Appends `other`'s points after these.
    pub fn append(&mut self, other: MixtureColumns) {
        self.n += other.n;
        self.fisher.extend(other.fisher);
        self.eigenvalues.extend(other.eigenvalues);
        self.kappa.extend(other.kappa);
        self.kl.extend(other.kl);
        self.grad.extend(other.grad);
        self.natgrad.extend(other.natgrad);
        self.angle_deg.extend(other.angle_deg);
        self.empirical_fisher.extend(other.empirical_fisher);
    }

    /// Appends a point where nothing is defined (NaN everywhere).
    pub fn push_undefined(&mut self) {
        self.fisher.extend([f64::NAN; 4]);
        self.eigenvalues.extend([f64::NAN; 2]);
        self.kappa.push(f64::NAN);
        if self.has_target {
            self.push_missing_target();
        }
    }

    fn push_missing_target(&mut self) {
        self.kl.push(f64::NAN);
        self.grad.extend([f64::NAN; 2]);
        self.natgrad.extend([f64::NAN; 2]);
        self.angle_deg.push(f64::NAN);
        self.empirical_fisher.extend([f64::NAN; 4]);
    }

    /// Appends a kernel cell, widened to f64 as `fisherflow fim --device gpu` reads one (its
    /// report from a cell, written here straight into the columns without a per-cell report
    /// and model: a 256² field has 65k cells; outside the model or where the profiled metric
    /// is undefined: NaN).
    pub fn push_cell(&mut self, cell: &FieldCell) {
        if cell.flags & (FLAG_OUTSIDE_MODEL | FLAG_METRIC_UNDEFINED) != 0 {
            self.push_undefined();
            return;
        }
        let f = cell.fisher.map(f64::from);
        self.fisher.extend([f[0], f[1], f[1], f[2]]);
        self.eigenvalues.extend(cell.eigenvalues.map(f64::from));
        self.kappa
            .push(cell.kappa().map_or(f64::INFINITY, f64::from));
        if !self.has_target {
            return;
        }
        if cell.flags & flags::HAS_TARGET == 0 {
            self.push_missing_target();
            return;
        }
        self.kl.push(f64::from(cell.loss));
        self.grad.extend(cell.grad.map(f64::from));
        self.natgrad
            .extend(cell.natgrad().map_or([f64::NAN; 2], |n| n.map(f64::from)));
        self.angle_deg
            .push(cell.angle().map_or(f64::NAN, f64::from));
        let e = cell.empirical.map(f64::from);
        self.empirical_fisher.extend([e[0], e[1], e[1], e[2]]);
    }

    /// The columns as a dict of arrays, each with `lead` as its leading shape ((N,) or (H, W)).
    pub fn into_dict<'py>(self, py: Python<'py>, lead: &[usize]) -> PyResult<Bound<'py, PyDict>> {
        debug_assert_eq!(self.kappa.len(), self.n);
        let d = PyDict::new(py);
        let put = |name: &str, data: Vec<f64>, tail: &[usize]| -> PyResult<()> {
            let shape: Vec<usize> = lead.iter().chain(tail).copied().collect();
            let array = numpy::ndarray::ArrayD::from_shape_vec(shape, data)
                .map_err(|e| Failure::runtime(format!("array shape: {e}")))?;
            d.set_item(name, array.into_pyarray(py))
        };
        put("fisher", self.fisher, &[2, 2])?;
        put("eigenvalues", self.eigenvalues, &[2])?;
        put("kappa", self.kappa, &[])?;
        if self.has_target {
            put("kl", self.kl, &[])?;
            put("grad", self.grad, &[2])?;
            put("natgrad", self.natgrad, &[2])?;
            put("angle_deg", self.angle_deg, &[])?;
            put("empirical_fisher", self.empirical_fisher, &[2, 2])?;
        }
        Ok(d)
    }
}

/// The settings shared by `fim` and `field` on the mixture, checked.
pub struct MixtureSettings {
    /// The base model (held parameters; slice coordinates replaced per point).
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The target, if any (valid: a `Model` is checked when made).
    pub target: Option<Model>,
    /// Induced or profiled.
    pub metric: Metric,
    /// λ of (F + λI)⁻¹∇L.
    pub damping: f64,
    /// Where and how precisely.
    pub path: Path,
    /// The quadrature.
    pub rule: QuadratureRule,
}

impl MixtureSettings {
    /// Checks the arguments, naming the bad one as the CLI does.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: &PyModel,
        slice: (String, String),
        target: Option<&PyModel>,
        metric: &str,
        damping: f64,
        device: &str,
        precision: Option<&str>,
        nodes: u32,
    ) -> Result<Self, Failure> {
        let slice = parse_slice(slice)?;
        let metric: Metric = metric
            .parse()
            .map_err(|e| Failure::input(format!("metric: {e}")))?;
        validate_damping(damping).map_err(|e| Failure::input(format!("damping: {e}")))?;
        let rule = QuadratureRule::new(nodes).map_err(|e| Failure::input(format!("nodes: {e}")))?;
        Ok(Self {
            model: model.model,
            slice,
            target: target.map(|t| t.model),
            metric,
            damping,
            path: path(device, precision)?,
            rule,
        })
    }

    /// The point input at slice coordinates `xy`, validated ("{what}: model: …" as the CLI's
    /// "point i: model: …").
    pub fn input(&self, xy: [f64; 2], what: &str) -> Result<GeneralInput, Failure> {
        let model = self.slice.place(&self.model, xy);
        model
            .validate_for(&self.slice)
            .map_err(|e| Failure::input(format!("{what}: model: {e}")))?;
        Ok(GeneralInput {
            model,
            slice: self.slice,
            target: self.target,
        })
    }
}

/// The finite-sample estimates at every input (`fisherflow fim --samples N --seed S`): the MC
/// Fisher from N samples of the model (stream k = 0) and, with a target, the empirical Fisher
/// from N samples of the target; f64 on the CPU, `estimates.wgsl` on the GPU.
fn sample_estimates(
    s: &MixtureSettings,
    inputs: &[GeneralInput],
    samples: u32,
    seed: u32,
) -> Result<(Vec<f64>, Vec<f64>), Failure> {
    let (mut mc, mut ef) = (Vec::new(), Vec::new());
    let block = |b: [f64; 3]| [b[0], b[1], b[1], b[2]];
    match s.path {
        Path::CpuF64 => {
            let blocks: Vec<([f64; 3], Option<[f64; 3]>)> = inputs
                .par_iter()
                .map(|p| {
                    let m = mc_fisher(&p.model, &p.slice, samples, seed, 0);
                    let e = p.target.map(|t| {
                        let e = empirical_fisher_samples(&p.model, &p.slice, &t, samples, seed);
                        [e.xx, e.xy, e.yy]
                    });
                    ([m.xx, m.xy, m.yy], e)
                })
                .collect();
            for (m, e) in blocks {
                mc.extend(block(m));
                if let Some(e) = e {
                    ef.extend(block(e));
                }
            }
        }
        Path::Gpu => {
            let kernel_inputs: Vec<GeneralPointInput> = inputs
                .iter()
                .map(|p| GeneralPointInput::new(&p.model, &p.slice, p.target.as_ref()))
                .collect();
            for cell in crate::gpu::estimates(&kernel_inputs, samples, seed)? {
                mc.extend(block(cell.mc_fisher().map(f64::from)));
                if let Some(e) = cell.empirical_samples() {
                    ef.extend(block(e.map(f64::from)));
                }
            }
        }
        Path::CpuF32 => {
            return Err(Failure::input(
                "samples: the sample estimates run in f64 on the CPU (precision=\"f64\") or on \
                 the GPU (device=\"gpu\"); the f32 CPU path has none",
            ));
        }
    }
    Ok((mc, ef))
}

/// `samples`/`seed` checked with `fisherflow fim`'s own rule and message.
fn sample_options(samples: Option<u32>, seed: Option<u32>) -> Result<Option<(u32, u32)>, Failure> {
    let args = FimArgs {
        mu1: None,
        mu2: None,
        sigma: None,
        target: None,
        points: None,
        damping: 0.0,
        device: CliDevice::Cpu,
        nodes: None,
        json: true,
        backend: None,
        samples,
        seed,
    };
    let options = args
        .sample_options()
        .map_err(|e| Failure::from_cli(e, &[]))?;
    Ok(options.map(|o| (o.samples, o.seed)))
}

/// The mixture at `points` (N × 2 slice coordinates; the held parameters from `model`).
#[pyfunction]
#[pyo3(signature = (model, slice, points, target, metric, damping, device, precision, nodes,
                    samples = None, seed = None))]
#[allow(clippy::too_many_arguments)]
pub fn fim_mixture<'py>(
    py: Python<'py>,
    model: PyRef<'py, PyModel>,
    slice: (String, String),
    points: PyReadonlyArray2<'py, f64>,
    target: Option<PyRef<'py, PyModel>>,
    metric: &str,
    damping: f64,
    device: &str,
    precision: Option<&str>,
    nodes: u32,
    samples: Option<u32>,
    seed: Option<u32>,
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
    let sampling = sample_options(samples, seed)?;
    let xy = pairs(&points)?;
    let n = xy.len();
    let inputs = xy
        .iter()
        .enumerate()
        .map(|(i, p)| settings.input(*p, &format!("points[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let estimates = match sampling {
        Some((samples, seed)) => Some(guarded(py, || {
            sample_estimates(&settings, &inputs, samples, seed)
        })?),
        None => None,
    };
    let inputs: Vec<Option<GeneralInput>> = inputs.into_iter().map(Some).collect();
    let columns = mixture_interruptible(py, &settings, &inputs)?;
    let d = columns.into_dict(py, &[n])?;
    if let Some((mc, ef)) = estimates {
        let put = |name: &str, data: Vec<f64>| -> PyResult<()> {
            let array = numpy::ndarray::Array3::from_shape_vec((n, 2, 2), data)
                .map_err(|e| Failure::runtime(format!("array shape: {e}")))?;
            d.set_item(name, array.into_pyarray(py))
        };
        put("mc_fisher", mc)?;
        if settings.target.is_some() {
            put("empirical_fisher_samples", ef)?;
        }
    }
    Ok(d)
}

/// The (N, 2) array as pairs.
pub fn pairs(points: &PyReadonlyArray2<'_, f64>) -> Result<Vec<[f64; 2]>, Failure> {
    let view = points.as_array();
    if view.ncols() != 2 {
        return Err(Failure::input(format!(
            "points: expected an array of shape (N, 2), got (N, {})",
            view.ncols()
        )));
    }
    Ok(view.rows().into_iter().map(|r| [r[0], r[1]]).collect())
}

/// Points per GIL-free stretch of the f64 path: between stretches Ctrl-C is looked at, so a long
/// call can be interrupted (a stretch takes ~0.2 s on 2 cores on a general slice).
const INTERRUPT_CHUNK: usize = 2048;

/// [`mixture_at`], the f64 path in stretches with a check for Ctrl-C (KeyboardInterrupt)
/// between them; the f32 and GPU paths, fast, in one go.
pub fn mixture_interruptible(
    py: Python<'_>,
    s: &MixtureSettings,
    inputs: &[Option<GeneralInput>],
) -> PyResult<MixtureColumns> {
    if s.path != Path::CpuF64 {
        return guarded(py, || mixture_at(s, inputs));
    }
    let mut all = MixtureColumns::new(0, s.target.is_some());
    for chunk in inputs.chunks(INTERRUPT_CHUNK) {
        all.append(guarded(py, || mixture_at(s, chunk))?);
        py.check_signals()?;
    }
    Ok(all)
}

/// The values at validated inputs on the f64 path (None: outside the model, NaN).
pub fn mixture_at(
    s: &MixtureSettings,
    inputs: &[Option<GeneralInput>],
) -> Result<MixtureColumns, Failure> {
    let mut columns = MixtureColumns::new(inputs.len(), s.target.is_some());
    match s.path {
        Path::CpuF64 => {
            let reports: Vec<Option<GeneralReport>> = inputs
                .par_iter()
                .map(|input| {
                    let input = input.as_ref()?;
                    match s.metric {
                        // The call `fisherflow fim` makes for a {"model", "slice", "target"} point.
                        Metric::Induced => Some(evaluate_general(input, &s.rule, s.damping)),
                        Metric::Profiled => {
                            evaluate_general_metric(input, &s.rule, s.damping, s.metric).ok()
                        }
                    }
                })
                .collect();
            for r in &reports {
                match r {
                    Some(r) => columns.push_report(r),
                    None => columns.push_undefined(),
                }
            }
        }
        Path::CpuF32 | Path::Gpu => {
            if s.metric == Metric::Profiled {
                return Err(Failure::input(
                    "metric: \"profiled\" at points is computed in f64 only (the kernels' point \
                     entry computes the induced metric); use precision=\"f64\" on the CPU, or \
                     field(), whose grid kernels offer both",
                ));
            }
            let inputs: Vec<GeneralInput> = inputs.iter().flatten().copied().collect();
            let kernel_inputs: Vec<GeneralPointInput> = inputs
                .iter()
                .map(|p| GeneralPointInput::new(&p.model, &p.slice, p.target.as_ref()))
                .collect();
            let cells = if s.path == Path::Gpu {
                general_points(&kernel_inputs, s.damping as f32, &s.rule)?
            } else {
                let table = s.rule.panel_rule().table_f32();
                cpu::simd::general_points_at(
                    cpu::simd::simd_level(),
                    &kernel_inputs,
                    s.damping as f32,
                    &table,
                )
                .0
            };
            for cell in &cells {
                columns.push_cell(cell);
            }
        }
    }
    Ok(columns)
}

/// The policy plane's values at N points, as columns.
pub struct PolicyColumns {
    stable: Vec<bool>,
    spectral_radius: Vec<f64>,
    cost: Vec<f64>,
    control_energy: Vec<f64>,
    grad: Vec<f64>,
    fisher: Vec<f64>,
    natgrad: Vec<f64>,
    gauss_newton: Vec<f64>,
    eigenvalues: Vec<f64>,
    kappa: Vec<f64>,
}

impl PolicyColumns {
    /// The columns of `values`, in order.
    pub fn new(values: &[Values]) -> Self {
        let n = values.len();
        let mut c = Self {
            stable: Vec::with_capacity(n),
            spectral_radius: Vec::with_capacity(n),
            cost: Vec::with_capacity(n),
            control_energy: Vec::with_capacity(n),
            grad: Vec::with_capacity(2 * n),
            fisher: Vec::with_capacity(4 * n),
            natgrad: Vec::with_capacity(2 * n),
            gauss_newton: Vec::with_capacity(2 * n),
            eigenvalues: Vec::with_capacity(2 * n),
            kappa: Vec::with_capacity(n),
        };
        for v in values {
            c.stable.push(v.stable);
            c.spectral_radius.push(v.spectral_radius);
            match &v.inside {
                Some(i) => {
                    c.cost.push(i.cost);
                    c.control_energy.push(i.control_energy);
                    c.grad.extend(i.grad);
                    let f = i.fisher;
                    c.fisher.extend([f.xx, f.xy, f.xy, f.yy]);
                    c.natgrad.extend(i.natgrad);
                    c.gauss_newton.extend(i.gauss_newton);
                    c.eigenvalues.extend(i.eigenvalues);
                    c.kappa.push(i.kappa);
                }
                None => {
                    c.cost.push(f64::NAN);
                    c.control_energy.push(f64::NAN);
                    c.grad.extend([f64::NAN; 2]);
                    c.fisher.extend([f64::NAN; 4]);
                    c.natgrad.extend([f64::NAN; 2]);
                    c.gauss_newton.extend([f64::NAN; 2]);
                    c.eigenvalues.extend([f64::NAN; 2]);
                    c.kappa.push(f64::NAN);
                }
            }
        }
        c
    }

    /// The columns as a dict of arrays with leading shape `lead`.
    pub fn into_dict<'py>(self, py: Python<'py>, lead: &[usize]) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let shape = |tail: &[usize]| -> Vec<usize> { lead.iter().chain(tail).copied().collect() };
        let put = |name: &str, data: Vec<f64>, tail: &[usize]| -> PyResult<()> {
            let array = numpy::ndarray::ArrayD::from_shape_vec(shape(tail), data)
                .map_err(|e| Failure::runtime(format!("array shape: {e}")))?;
            d.set_item(name, array.into_pyarray(py))
        };
        let stable = numpy::ndarray::ArrayD::from_shape_vec(shape(&[]), self.stable)
            .map_err(|e| Failure::runtime(format!("array shape: {e}")))?;
        d.set_item("stable", stable.into_pyarray(py))?;
        put("spectral_radius", self.spectral_radius, &[])?;
        put("cost", self.cost, &[])?;
        put("control_energy", self.control_energy, &[])?;
        put("grad", self.grad, &[2])?;
        put("fisher", self.fisher, &[2, 2])?;
        put("natgrad", self.natgrad, &[2])?;
        put("gauss_newton", self.gauss_newton, &[2])?;
        put("eigenvalues", self.eigenvalues, &[2])?;
        put("kappa", self.kappa, &[])?;
        Ok(d)
    }
}

/// The policy plane's values at gains `points` on `path`.
pub fn policy_at(
    system: &System,
    gains: &[[f64; 2]],
    damping: f64,
    path: Path,
) -> Result<Vec<Values>, Failure> {
    Ok(match path {
        // What `fisherflow fim` answers for {"system", "gains"} points.
        Path::CpuF64 => {
            let lqr = Lqr::new(system);
            gains
                .par_iter()
                .map(|k| values(&lqr, *k, damping))
                .collect()
        }
        Path::CpuF32 => {
            let k32: Vec<[f32; 2]> = gains.iter().map(|k| k.map(|v| v as f32)).collect();
            let params = PolicyParams {
                cell_count: k32.len() as u32,
                use_points: 1,
                shape: [k32.len().max(1) as u32, 1],
                ..PolicyParams::new(system, damping)
            };
            (0..k32.len() as u32)
                .into_par_iter()
                .map(|i| cell_values(system, &cpu::policy::evaluate(&params, i, Some(&k32))))
                .collect()
        }
        Path::Gpu => {
            let k32: Vec<[f32; 2]> = gains.iter().map(|k| k.map(|v| v as f32)).collect();
            policy_cells(&PolicyParams::new(system, damping), Some(&k32))?
                .iter()
                .map(|c| cell_values(system, c))
                .collect()
        }
    })
}

/// The policy plane at gains `points` (N × 2).
#[pyfunction]
#[pyo3(signature = (system, points, damping, device, precision))]
pub fn fim_policy<'py>(
    py: Python<'py>,
    system: PyRef<'py, PySystem>,
    points: PyReadonlyArray2<'py, f64>,
    damping: f64,
    device: &str,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    validate_damping(damping).map_err(|e| Failure::input(format!("damping: {e}")))?;
    let path = path(device, precision)?;
    let gains = pairs(&points)?;
    if let Some((i, k)) = gains
        .iter()
        .enumerate()
        .find(|(_, k)| !k.iter().all(|g| g.is_finite()))
    {
        // The CLI's "point i: gains: must be finite numbers, got …".
        return Err(Failure::input(format!(
            "points[{i}]: gains: must be finite numbers, got {k:?}"
        ))
        .into());
    }
    let system = system.system;
    let n = gains.len();
    let values = guarded(py, || policy_at(&system, &gains, damping, path))?;
    PolicyColumns::new(&values).into_dict(py, &[n])
}
