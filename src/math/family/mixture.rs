//! The two-component mixture as a [`Plane`]: a slice through the target θ*, the three held
//! parameters from θ*, every expectation by the general model's quadrature
//! ([`crate::math::general`]).

use super::{MetricJet, Plane, Preconditioner, TargetTerms};
use crate::math::estimates;
use crate::math::general::{
    self, GeneralMixture, empirical_fisher_full, fisher_slice, metric_jet, slice_block,
};
use crate::math::model::{Model, Param, Slice};
use crate::math::quadrature::QuadratureRule;
use crate::math::sym2::Sym2;

/// The slice `slice` through `target`, with expectations by `rule`. The loss is
/// L(θ) = KL(p_target ‖ p_θ); the metric is the induced block of F (the geodesics' and the
/// optimizers' metric: the profiled one is a Schur complement whose distance is not the
/// length of curves in the slice).
#[derive(Clone, Copy, Debug)]
pub struct MixturePlane<'a> {
    /// θ*: the loss's minimizer, and the held parameters' values.
    pub target: &'a Model,
    /// Which two parameters vary.
    pub slice: &'a Slice,
    /// The quadrature rule of every expectation.
    pub rule: &'a QuadratureRule,
}

impl<'a> MixturePlane<'a> {
    /// The slice `slice` through `target`.
    pub fn new(target: &'a Model, slice: &'a Slice, rule: &'a QuadratureRule) -> Self {
        Self {
            target,
            slice,
            rule,
        }
    }

    /// The model at slice coordinates `xy`.
    pub fn model_at(&self, xy: [f64; 2]) -> Model {
        self.slice.place(self.target, xy)
    }
}

impl Plane for MixturePlane<'_> {
    fn check(&self, xy: [f64; 2]) -> Result<(), String> {
        self.model_at(xy)
            .validate_for(self.slice)
            .map_err(|e| e.to_string())
    }

    fn metric(&self, xy: [f64; 2]) -> Sym2<f64> {
        fisher_slice(&self.model_at(xy), self.slice, self.rule)
    }

    fn metric_jet(&self, xy: [f64; 2]) -> MetricJet {
        metric_jet(&self.model_at(xy), self.slice, self.rule)
    }

    /// A quarter of the smaller σ there for a mean or a σ (the model's natural length), 0.05
    /// for π.
    fn coordinate_scales(&self, xy: [f64; 2]) -> [f64; 2] {
        let m = self.model_at(xy);
        let sigma = m.sigma1.min(m.sigma2);
        self.slice.params().map(|p| match p {
            Param::Pi => 0.05,
            _ => 0.25 * sigma,
        })
    }

    /// L, ∇L and (with `with_empirical_fisher`) the slice block of EF, in one quadrature pass
    /// under the target (the same panels as [`general::kl_divergence`] and
    /// [`general::gradient`]).
    fn target_terms(&self, xy: [f64; 2], with_empirical_fisher: bool) -> TargetTerms {
        let model = self.model_at(xy);
        let (g, t) = (
            GeneralMixture::new(&model),
            GeneralMixture::new(self.target),
        );
        let (a, b) = (self.slice.a.index(), self.slice.b.index());
        let rule = self.rule;
        if with_empirical_fisher {
            // ln p* − ln p, the two scores, and the three entries of the EF block.
            let [kl, sa, sb, eaa, eab, ebb] = general::expectation(rule, &t, &[&g, &t], |x| {
                let s = g.scores(x);
                [
                    t.log_density(x) - g.log_density(x),
                    s[a],
                    s[b],
                    s[a] * s[a],
                    s[a] * s[b],
                    s[b] * s[b],
                ]
            });
            TargetTerms {
                loss: kl,
                grad: [-sa, -sb],
                empirical_fisher: Some(Sym2::new(eaa, eab, ebb)),
            }
        } else {
            let [kl, sa, sb] = general::expectation(rule, &t, &[&g, &t], |x| {
                let s = g.scores(x);
                [t.log_density(x) - g.log_density(x), s[a], s[b]]
            });
            TargetTerms {
                loss: kl,
                grad: [-sa, -sb],
                empirical_fisher: None,
            }
        }
    }

    /// F, the empirical Fisher under the target and the Monte-Carlo Fisher; no Gauss–Newton
    /// matrix (the loss is not a sum of squares).
    fn offers(&self, which: Preconditioner) -> bool {
        !matches!(which, Preconditioner::GaussNewton)
    }

    fn preconditioner(
        &self,
        which: Preconditioner,
        xy: [f64; 2],
        terms: &TargetTerms,
    ) -> Sym2<f64> {
        let model = self.model_at(xy);
        match which {
            Preconditioner::Fisher => fisher_slice(&model, self.slice, self.rule),
            Preconditioner::EmpiricalFisher => terms.empirical_fisher.unwrap_or_else(|| {
                slice_block(
                    &empirical_fisher_full(&model, self.target, self.rule),
                    self.slice,
                )
            }),
            Preconditioner::MonteCarloFisher {
                samples,
                seed,
                step,
            } => estimates::mc_fisher(&model, self.slice, samples, seed, step),
            Preconditioner::GaussNewton => {
                unreachable!("the mixture does not offer it (offers), so direction never asks")
            }
        }
    }
}
