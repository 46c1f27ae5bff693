//! The K-FAC tab's settings and training state (issue 13, item 3).
//!
//! [`KfacLab`] is the tab's part of the scene (serde): width, seed, damping, rates, which
//! layer and which optimizer's weights the matrices show. [`LabState`] holds three copies of
//! the network, trained from the same Xavier start by SGD, K-FAC and exact block-diagonal NGD,
//! and makes [`LabSnapshot`]s: the loss curves, and per layer the exact block, G ⊗ A, the
//! relative Frobenius error, the natural-gradient cosine and both spectra, at the shown
//! optimizer's current weights. All of it is f64; `features::kfac_lab::job` trains it off the frame loop,
//! so a large width slows the numbers, never the window.

use faer::{Mat, Side};
use serde::{Deserialize, Serialize};

use super::fisher::{LayerStats, MixtureNodes, network_stats};
use super::network::Network;
use super::{Trainer, direction, natgrad_cosine};
use crate::math::{Model, QuadratureRule};

/// Hidden widths the tab offers.
pub const LAB_HIDDEN_RANGE: (u32, u32) = (2, 64);
/// Largest parameter count of a layer whose n × n matrices the tab forms and draws.
pub const LAB_MAX_MATRIX: usize = 1100;
/// Steps the tab trains at most.
pub const LAB_MAX_STEPS: u32 = 2000;

/// The K-FAC tab's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KfacLab {
    /// Hidden width H.
    pub hidden: u32,
    /// Seed of the Xavier start.
    pub seed: u32,
    /// λ of both damped natural gradients.
    pub damping: f64,
    /// Learning rates of SGD, K-FAC and NGD.
    pub lr: [f64; 3],
    /// Quadrature nodes per mixture component.
    pub nodes: u32,
    /// 0: quadrature; N > 0: N seeded samples (shows the sampling noise).
    pub samples: u32,
    /// Whose weights the matrices show.
    pub shown: Trainer,
    /// Training runs (one step of each optimizer at a time).
    pub training: bool,
}

impl Default for KfacLab {
    fn default() -> Self {
        Self {
            hidden: 8,
            seed: 1,
            damping: 1e-3,
            lr: [0.5, 0.2, 0.2],
            nodes: 128,
            samples: 0,
            shown: Trainer::Kfac,
            training: false,
        }
    }
}

impl KfacLab {
    /// The settings that define the start: a change to any of them restarts training.
    pub fn start_key(&self) -> (u32, u32, u32, u32) {
        (self.hidden, self.seed, self.nodes, self.samples)
    }
}

/// One layer as the tab shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSnapshot {
    /// Inputs (with the bias) and outputs.
    pub d_in: usize,
    /// Outputs.
    pub d_out: usize,
    /// F_ℓ, n × n row-major; empty when n > [`LAB_MAX_MATRIX`].
    pub exact: Vec<f32>,
    /// G ⊗ A, n × n; empty like `exact`.
    pub kronecker: Vec<f32>,
    /// ‖F_ℓ − G ⊗ A‖_F / ‖F_ℓ‖_F.
    pub rel_error: f64,
    /// cos between (F_ℓ + λI)⁻¹∇ and K-FAC's damped factored step.
    pub cosine: f64,
    /// F_ℓ's eigenvalues, descending (the nonzero ones from U Uᵀ, then zeros up to n).
    pub spectrum_exact: Vec<f64>,
    /// G ⊗ A's eigenvalues: the products of G's and A's, descending.
    pub spectrum_kfac: Vec<f64>,
}

/// What the tab shows after each step.
#[derive(Clone, Debug, PartialEq)]
pub struct LabSnapshot {
    /// The settings it was computed for.
    pub settings: KfacLab,
    /// The target mixture (the data).
    pub target: Model,
    /// Steps taken by each optimizer.
    pub step: u32,
    /// Loss after each step (index 0: the start), per optimizer in [`Trainer::ALL`] order.
    pub losses: [Vec<f64>; 3],
    /// Layers 1..3 at the shown optimizer's weights.
    pub layers: [LayerSnapshot; 3],
}

/// Eigenvalues of a row-major symmetric matrix, descending.
fn eigenvalues(m: &[f64], n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let mat = Mat::<f64>::from_fn(n, n, |i, j| m[i * n + j]);
    let mut v = mat
        .self_adjoint_eigenvalues(Side::Lower)
        .unwrap_or_default();
    v.reverse();
    v
}

/// The tab's view of one layer.
pub fn layer_snapshot(st: &LayerStats, damping: f64) -> LayerSnapshot {
    let n = st.n();
    let form = n <= LAB_MAX_MATRIX;
    let exact = if form { st.exact() } else { Vec::new() };
    // F's nonzero spectrum from the smaller of F and U Uᵀ.
    let mut spectrum_exact = if form && n <= st.m {
        eigenvalues(&exact, n)
    } else {
        eigenvalues(&st.gram(), st.m)
    };
    spectrum_exact.resize(n, 0.0);
    spectrum_exact.truncate(n);
    let (eg, ea) = (eigenvalues(&st.g, st.d_out), eigenvalues(&st.a, st.d_in));
    let mut spectrum_kfac: Vec<f64> = eg
        .iter()
        .flat_map(|g| ea.iter().map(move |a| g * a))
        .collect();
    spectrum_kfac.sort_by(|a, b| b.total_cmp(a));
    LayerSnapshot {
        d_in: st.d_in,
        d_out: st.d_out,
        kronecker: if form {
            st.kronecker().iter().map(|&v| v as f32).collect()
        } else {
            Vec::new()
        },
        exact: exact.iter().map(|&v| v as f32).collect(),
        rel_error: st.rel_frobenius_error(),
        cosine: natgrad_cosine(st, damping),
        spectrum_exact,
        spectrum_kfac,
    }
}

/// The training state the lab's job advances (`features::kfac_lab::job`).
pub struct LabState {
    /// The settings it trains with (those outside [`KfacLab::start_key`] may change between
    /// steps).
    pub settings: KfacLab,
    /// The target mixture (the data).
    pub target: Model,
    nodes: MixtureNodes,
    nets: [Network; 3],
    losses: [Vec<f64>; 3],
    /// Steps taken by each optimizer.
    pub step: u32,
}

impl LabState {
    /// Three copies of the Xavier start of `settings`, on `target`'s data.
    pub fn new(settings: KfacLab, target: Model) -> Self {
        let nodes = if settings.samples > 0 {
            MixtureNodes::samples(&target, settings.samples.max(2), settings.seed)
        } else {
            let rule = QuadratureRule::new(settings.nodes)
                .unwrap_or_else(|_| QuadratureRule::new(128).expect("128 nodes are valid"));
            MixtureNodes::quadrature(&target, &rule)
        };
        let net = Network::xavier(settings.hidden as usize, settings.seed);
        let loss = network_stats(&net, &nodes).loss;
        Self {
            settings,
            target,
            nodes,
            nets: [net.clone(), net.clone(), net],
            losses: [vec![loss], vec![loss], vec![loss]],
            step: 0,
        }
    }

    /// One step of every optimizer.
    pub fn train_step(&mut self) {
        for (k, trainer) in Trainer::ALL.into_iter().enumerate() {
            let net = &mut self.nets[k];
            let stats = network_stats(net, &self.nodes);
            let lr = self.settings.lr[k];
            for (layer, st) in net.layers.iter_mut().zip(&stats.layers) {
                let d = direction(st, trainer, self.settings.damping);
                for (w, d) in layer.w.iter_mut().zip(d) {
                    *w -= lr * d;
                }
            }
            let loss = network_stats(net, &self.nodes).loss;
            self.losses[k].push(loss);
        }
        self.step += 1;
    }

    /// What the tab shows of the state now.
    pub fn snapshot(&self) -> LabSnapshot {
        let shown = Trainer::ALL
            .iter()
            .position(|&t| t == self.settings.shown)
            .unwrap_or(1);
        let stats = network_stats(&self.nets[shown], &self.nodes);
        LabSnapshot {
            settings: self.settings,
            target: self.target,
            step: self.step,
            losses: self.losses.clone(),
            layers: std::array::from_fn(|l| {
                layer_snapshot(&stats.layers[l], self.settings.damping)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Model {
        Model {
            pi: 0.4,
            mu1: -1.2,
            mu2: 1.0,
            sigma1: 0.8,
            sigma2: 1.0,
        }
    }

    /// The spectra: G ⊗ A's are the products of the factors', F's sum to its trace.
    #[test]
    fn spectra_are_consistent() {
        let nodes = MixtureNodes::quadrature(&target(), &QuadratureRule::new(32).unwrap());
        let net = Network::xavier(4, 2);
        let stats = network_stats(&net, &nodes);
        for st in &stats.layers {
            let snap = layer_snapshot(st, 1e-3);
            let n = st.n();
            assert_eq!(snap.spectrum_exact.len(), n);
            assert_eq!(snap.spectrum_kfac.len(), n);
            let trace: f64 = (0..n).map(|i| f64::from(snap.exact[i * n + i])).sum();
            let sum: f64 = snap.spectrum_exact.iter().sum();
            assert!((trace - sum).abs() <= 1e-5 * trace, "{trace} vs {sum}");
            let trace_k: f64 = (0..n).map(|i| f64::from(snap.kronecker[i * n + i])).sum();
            let sum_k: f64 = snap.spectrum_kfac.iter().sum();
            assert!(
                (trace_k - sum_k).abs() <= 1e-5 * trace_k,
                "{trace_k} vs {sum_k}"
            );
            // Negative control: the two spectra differ (K-FAC is an approximation).
            assert!(
                snap.spectrum_exact
                    .iter()
                    .zip(&snap.spectrum_kfac)
                    .any(|(a, b)| (a - b).abs() > 1e-6 * snap.spectrum_exact[0])
            );
        }
    }
}
