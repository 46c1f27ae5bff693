//! The K-FAC lab (issue 13): a small tanh network that classifies which component of the target
//! mixture generated x, its exact layer Fisher blocks against K-FAC's Kronecker factors, and
//! the three optimizers (SGD, K-FAC, exact block-diagonal NGD) that train it.
//!
//! * [`network`]: the network, Xavier initialisation, forward and backward passes;
//! * [`fisher`]: expectations over the mixture, the blocks F_ℓ, A, G, the relative Frobenius
//!   error and the damped natural gradients (exact by Woodbury, K-FAC factored).

pub mod cost;
pub mod fisher;
pub mod lab;
pub mod network;

use serde::{Deserialize, Serialize};

pub use fisher::{LayerStats, MixtureNodes, NetworkStats, cosine, network_stats};
pub use network::Network;

/// How the lab's network is trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trainer {
    /// W ← W − lr ∇ℒ.
    Sgd,
    /// W_ℓ ← W_ℓ − lr (G_ℓ + (√λ/π_ℓ) I)⁻¹ ∇_ℓ (A_ℓ + π_ℓ√λ I)⁻¹, per layer.
    Kfac,
    /// W_ℓ ← W_ℓ − lr (F_ℓ + λI)⁻¹ ∇_ℓ, the exact block-diagonal natural gradient.
    Ngd,
}

impl Trainer {
    /// All three, in the order the UI lists them.
    pub const ALL: [Trainer; 3] = [Trainer::Sgd, Trainer::Kfac, Trainer::Ngd];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Trainer::Sgd => "sgd",
            Trainer::Kfac => "kfac",
            Trainer::Ngd => "ngd",
        }
    }
}

impl std::str::FromStr for Trainer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Trainer::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown optimizer '{s}': choose sgd, kfac or ngd"))
    }
}

/// One layer's update direction for `trainer` (the step is −lr times it).
pub fn direction(stats: &LayerStats, trainer: Trainer, damping: f64) -> Vec<f64> {
    match trainer {
        Trainer::Sgd => stats.grad.clone(),
        Trainer::Kfac => stats.kfac_solve(&stats.grad, damping),
        Trainer::Ngd => stats.exact_solve(&stats.grad, damping),
    }
}

/// Takes `steps` steps of `trainer` from `net`, returning the loss before each step and after
/// the last (steps + 1 values).
pub fn train(
    net: &mut Network,
    nodes: &MixtureNodes,
    trainer: Trainer,
    lr: f64,
    damping: f64,
    steps: u32,
) -> Vec<f64> {
    let mut losses = Vec::with_capacity(steps as usize + 1);
    for _ in 0..steps {
        let stats = network_stats(net, nodes);
        losses.push(stats.loss);
        for (layer, st) in net.layers.iter_mut().zip(&stats.layers) {
            let d = direction(st, trainer, damping);
            for (w, d) in layer.w.iter_mut().zip(d) {
                *w -= lr * d;
            }
        }
    }
    losses.push(network_stats(net, nodes).loss);
    losses
}

/// The natural-gradient cosine of one layer: between the exact (F_ℓ + λI)⁻¹∇ and K-FAC's
/// damped factored one.
pub fn natgrad_cosine(stats: &LayerStats, damping: f64) -> f64 {
    cosine(
        &stats.exact_solve(&stats.grad, damping),
        &stats.kfac_solve(&stats.grad, damping),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::{Model, QuadratureRule};

    fn target() -> Model {
        Model {
            pi: 0.3,
            mu1: -1.0,
            mu2: 1.5,
            sigma1: 0.7,
            sigma2: 1.1,
        }
    }

    /// The exact block against a per-parameter computation: ∂ log p(y|x)/∂W_ij by central
    /// differences of the network's log-probability, squared and summed under the quadrature.
    #[test]
    fn exact_block_matches_finite_difference_scores() {
        let nodes = MixtureNodes::quadrature(&target(), &QuadratureRule::new(16).unwrap());
        let net = Network::xavier(3, 7);
        let stats = network_stats(&net, &nodes);
        for l in 0..3 {
            let st = &stats.layers[l];
            let n = st.n();
            let exact = st.exact();
            let mut direct = vec![0.0; n * n];
            for k in 0..nodes.len() {
                let x = nodes.x[k];
                let probs = net.forward(x).probs;
                for (y, py) in probs.into_iter().enumerate() {
                    let score: Vec<f64> = (0..n)
                        .map(|p| {
                            let h = 1e-6;
                            let mut plus = net.clone();
                            plus.layers[l].w[p] += h;
                            let mut minus = net.clone();
                            minus.layers[l].w[p] -= h;
                            (plus.forward(x).probs[y].ln() - minus.forward(x).probs[y].ln())
                                / (2.0 * h)
                        })
                        .collect();
                    for i in 0..n {
                        for j in 0..n {
                            direct[i * n + j] += nodes.w[k] * py * score[i] * score[j];
                        }
                    }
                }
            }
            let scale = exact.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let worst = exact
                .iter()
                .zip(&direct)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(
                worst <= 1e-7 * scale,
                "layer {}: {worst} vs scale {scale}",
                l + 1
            );
        }
    }

    /// The Gram-based error equals the one from the formed matrices, and is not zero.
    #[test]
    fn rel_error_matches_formed_matrices() {
        let nodes = MixtureNodes::quadrature(&target(), &QuadratureRule::new(32).unwrap());
        let net = Network::xavier(4, 3);
        let stats = network_stats(&net, &nodes);
        for st in &stats.layers {
            let f = st.exact();
            let k = st.kronecker();
            let num: f64 = f.iter().zip(&k).map(|(a, b)| (a - b).powi(2)).sum();
            let den: f64 = f.iter().map(|a| a * a).sum();
            let direct = (num / den).sqrt();
            let fast = st.rel_frobenius_error();
            assert!(
                (direct - fast).abs() <= 1e-9 * direct.max(1e-3),
                "{direct} vs {fast}"
            );
            assert!(direct > 1e-6, "F and G⊗A should differ: {direct}");
        }
    }

    /// Woodbury against a dense solve, and K-FAC's factored solve against (G_λ ⊗ A_λ)⁻¹.
    #[test]
    fn solves_match_dense_inverses() {
        let nodes = MixtureNodes::quadrature(&target(), &QuadratureRule::new(16).unwrap());
        let net = Network::xavier(3, 11);
        let stats = network_stats(&net, &nodes);
        let lambda = 1e-3;
        for st in &stats.layers {
            let n = st.n();
            let mut f = st.exact();
            for i in 0..n {
                f[i * n + i] += lambda;
            }
            let mut dense = st.grad.clone();
            fisher::cholesky_solve(&mut f, n, &mut dense).unwrap();
            let woodbury = st.exact_solve(&st.grad, lambda);
            let scale = dense.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (a, b) in dense.iter().zip(&woodbury) {
                assert!((a - b).abs() <= 1e-8 * scale, "{a} vs {b}");
            }
            // (G_λ ⊗ A_λ) applied to K-FAC's answer gives back the gradient.
            let pi = st.pi_split();
            let mut g = st.g.clone();
            for i in 0..st.d_out {
                g[i * st.d_out + i] += lambda.sqrt() / pi;
            }
            let mut a = st.a.clone();
            for i in 0..st.d_in {
                a[i * st.d_in + i] += pi * lambda.sqrt();
            }
            let kr = fisher::kron(&g, st.d_out, &a, st.d_in);
            let sol = st.kfac_solve(&st.grad, lambda);
            for i in 0..n {
                let back: f64 = (0..n).map(|j| kr[i * n + j] * sol[j]).sum();
                assert!((back - st.grad[i]).abs() <= 1e-8 * scale.max(1.0));
            }
        }
    }

    /// Training lowers the loss with each method.
    #[test]
    fn every_trainer_lowers_the_loss() {
        let nodes = MixtureNodes::quadrature(&target(), &QuadratureRule::new(16).unwrap());
        for (trainer, lr) in [
            (Trainer::Sgd, 0.5),
            (Trainer::Kfac, 0.2),
            (Trainer::Ngd, 0.2),
        ] {
            let mut net = Network::xavier(4, 5);
            let losses = train(&mut net, &nodes, trainer, lr, 1e-2, 20);
            assert!(
                losses[20] < 0.9 * losses[0],
                "{}: {} -> {}",
                trainer.name(),
                losses[0],
                losses[20]
            );
        }
    }
}
