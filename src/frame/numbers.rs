//! The few numbers the side panel shows, computed on the CPU with the f64 reference (cheap:
//! a few thousand integrand evaluations), never read back from the GPU.
//!
//! Two paths, chosen per scene:
//!
//! * **the seed's** — (μ1, μ2) with π = ½ and σ1 = σ2 ([`Scene::seed_sigma`]): F from the
//!   rotated basis (`math::fisher`, `math::loss`), exactly as before the general model, because
//!   near the diagonal it resolves λ_min where the standard basis loses κ·ε (see
//!   `math::general`'s docs). Only the full 5×5 F at the probe comes from the general path;
//! * **the general one** — any other slice: the full 5×5 F at θ* and at the probe
//!   (`math::general`, [`DEFAULT_NODES_GENERAL`] nodes), its slice block (induced metric) or
//!   the Schur complement of the held parameters' block (profiled metric), L, ∇L and ñ in slice
//!   coordinates.
//!
//! Either path takes the chosen [`Metric`] for the block whose spectrum, κ and ñ it reports;
//! the profiled one can be undefined (π held at 0 or 1, a singular held block), and then the
//! numbers say why instead of showing one. The KL check always uses the induced block: moving
//! δ within the slice holds the other three parameters fixed, which is what ½δᵀF_ssδ
//! approximates (the profiled block would under-estimate it).
//!
//! Cost of one recompute (both forms and the 5×5 at θ*, the 5×5, L, ∇L, ñ and the two KL
//! checks at the probe), measured with the dev/test profile the viewer is usually run with
//! (`cargo test --lib numbers -- --ignored --nocapture cost`, one core of this machine's
//! Xeon): 60–250 µs on the seed's slice and the half-plane / (π, μ1) presets, 520–620 µs on
//! (σ1, σ2), (μ1, σ2) and (μ1, μ2) with σ1 ≠ σ2 (more quadrature panels where σ1 ≠ σ2), the
//! same for either metric. The UI recomputes only when an input changes (the cache key in
//! `viewer::ui_state`), so a drag pays it once per frame at most.

use crate::math::fisher::{fisher_hessian_form, fisher_rotated, fisher_score_form};
use crate::math::general::{
    DEFAULT_NODES_GENERAL, Mat5, PROFILE_MIN_PIVOT, fisher_full, fisher_full_hessian, gradient,
    kl_divergence as kl_general, schur_complement, slice_block,
};
use crate::math::loss::{gradient_rotated, kl_divergence};
use crate::math::quadrature::DEFAULT_NODES_F64;
use crate::math::sym2::{angle_deg, natural_gradient, rotate_vector};
use crate::math::{Eigen, Metric, Mixture, Model, ProfiledError, QuadratureRule, Slice, Sym2};
use crate::scene::Scene;

/// κ as the panel and the overlay report it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kappa {
    /// λ_max/λ_min.
    Finite(f64),
    /// λ_min = 0: singular.
    Infinite,
    /// The chosen metric does not exist here (the profiled one, see [`ProfiledError`]).
    Undefined,
}

impl Kappa {
    fn of(eigen: &Eigen<f64>) -> Self {
        eigen.condition().map_or(Kappa::Infinite, Kappa::Finite)
    }

    /// κ when finite.
    pub fn finite(self) -> Option<f64> {
        match self {
            Kappa::Finite(k) => Some(k),
            _ => None,
        }
    }
}

/// The chosen metric's 2×2 block at one point, with its spectrum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Block {
    /// The block in slice order.
    pub f: Sym2<f64>,
    /// Its eigen-decomposition (on the seed's path with the induced metric: from the rotated
    /// basis).
    pub eigen: Eigen<f64>,
    /// det = λ_max·λ_min.
    pub det: f64,
}

impl Block {
    fn new(f: Sym2<f64>, eigen: Eigen<f64>) -> Self {
        Self {
            f,
            eigen,
            det: eigen.lambda_max * eigen.lambda_min,
        }
    }

    fn of(f: Sym2<f64>) -> Self {
        Self::new(f, f.eigen())
    }
}

/// F at the target: the induced block in both forms, and the chosen metric's block.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetNumbers {
    /// θ* in slice coordinates.
    pub theta: [f64; 2],
    /// The induced block E[s sᵀ] (slice order).
    pub score_form: Sym2<f64>,
    /// The induced block −E[∂² log p].
    pub hessian_form: Sym2<f64>,
    /// Largest entry-wise |score − Hessian| (pure quadrature error).
    pub forms_difference: f64,
    /// Which metric [`TargetNumbers::block`] is.
    pub metric: Metric,
    /// The chosen metric's block, or why it is undefined here.
    pub block: Result<Block, ProfiledError>,
    /// The full 5×5 F at θ*, in the order π, μ1, μ2, σ1, σ2 (NaN in the π row and column
    /// when π is held at 0 or 1).
    pub full: Mat5,
}

impl TargetNumbers {
    /// κ of the chosen metric.
    pub fn kappa(&self) -> Kappa {
        self.block
            .as_ref()
            .map_or(Kappa::Undefined, |b| Kappa::of(&b.eigen))
    }
}

/// L, ∇L and the natural gradient at the probe, and the KL check.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeNumbers {
    /// The probe θ (slice coordinates).
    pub theta: [f64; 2],
    /// L = KL(p_θ* ‖ p_θ).
    pub loss: f64,
    /// ∇L in slice coordinates.
    pub grad: [f64; 2],
    /// (F + λI)⁻¹∇L with the chosen metric, None when singular or undefined.
    pub natgrad: Option<[f64; 2]>,
    /// Angle between them, degrees.
    pub angle_deg: Option<f64>,
    /// The chosen metric's block at the probe, or why it is undefined.
    pub block: Result<Block, ProfiledError>,
    /// The KL check on the drawn ellipse (δᵀF_ssδ = ε, δ along its long axis); None where the
    /// step leaves the model.
    pub kl_on_glyph: Option<KlCheck>,
    /// The same check for a small step (δᵀF_ssδ = [`SMALL_LEVEL`]), where ½δᵀFδ must match KL.
    pub kl_small: Option<KlCheck>,
    /// The full 5×5 F at the probe (π, μ1, μ2, σ1, σ2 order).
    pub full: Mat5,
}

impl ProbeNumbers {
    /// The probe's numbers from what each path computes its own way; the angle between ∇L
    /// and ñ is formed here. `checks`: the KL checks on the glyph and at [`SMALL_LEVEL`].
    fn new(
        theta: [f64; 2],
        loss: f64,
        grad: [f64; 2],
        natgrad: Option<[f64; 2]>,
        block: Result<Block, ProfiledError>,
        full: Mat5,
        checks: [Option<KlCheck>; 2],
    ) -> Self {
        let [kl_on_glyph, kl_small] = checks;
        Self {
            theta,
            loss,
            grad,
            natgrad,
            angle_deg: natgrad.and_then(|n| angle_deg(grad, n)),
            block,
            kl_on_glyph,
            kl_small,
            full,
        }
    }

    /// κ of the chosen metric at the probe.
    pub fn kappa(&self) -> Kappa {
        self.block
            .as_ref()
            .map_or(Kappa::Undefined, |b| Kappa::of(&b.eigen))
    }
}

/// The level of the small-step KL check.
pub const SMALL_LEVEL: f64 = 1e-6;

/// KL(p_θ ‖ p_θ+δ) against its quadratic approximation ½δᵀF_ss(θ)δ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KlCheck {
    /// The step δ (along the long axis of the probe's induced ellipse).
    pub step: [f64; 2],
    /// KL(p_θ ‖ p_θ+δ) by quadrature.
    pub exact: f64,
    /// ½δᵀF_ssδ.
    pub quadratic: f64,
}

/// Everything the panel shows, for one scene state.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelNumbers {
    /// At θ*.
    pub target: TargetNumbers,
    /// At the probe, if placed.
    pub probe: Option<ProbeNumbers>,
}

/// Computes the panel numbers; `epsilon` is the ellipses' level (for the KL check) and
/// `cap` the longest semi-axis the glyphs draw, in vertical world units (the step's horizontal
/// part is measured in display units, i.e. divided by the camera's `x_per_y`).
pub fn compute(scene: &Scene, epsilon: f64, cap: f64) -> PanelNumbers {
    if let Some(lqr) = scene.lqr() {
        return compute_policy(scene, &lqr);
    }
    if let Some(sigma) = scene.seed_sigma() {
        compute_seed(scene, sigma, epsilon, cap)
    } else {
        compute_general(scene, epsilon, cap)
    }
}

/// The policy plane's numbers in the panel's shape: F = Σ_K/σ² at K* and at the probe (one
/// form: it is a closed form, so both "forms" are the same matrix), the loss C with ∇C and the
/// damped natural gradient at the probe. The mixture's 5×5 F and KL checks do not exist here
/// (NaN and None); the policy panel shows ρ, the control energy and Gauss–Newton beside these
/// (`viewer::policy_panel`).
fn compute_policy(scene: &Scene, lqr: &crate::math::policy::Lqr) -> PanelNumbers {
    let (k_star, _) = lqr.optimum();
    let nan = [[f64::NAN; 5]; 5];
    let f_star = lqr
        .evaluate(k_star)
        .closed
        .map_or(Sym2::new(f64::NAN, f64::NAN, f64::NAN), |c| c.fisher);
    let target = TargetNumbers {
        theta: k_star,
        score_form: f_star,
        hessian_form: f_star,
        forms_difference: 0.0,
        metric: Metric::Induced,
        block: Ok(Block::of(f_star)),
        full: nan,
    };
    let probe = scene
        .probe
        .and_then(|p| Some((p, lqr.evaluate(p).closed?)))
        .map(|(p, c)| {
            let natgrad = natural_gradient(&c.fisher, scene.damping, c.grad);
            ProbeNumbers {
                theta: p,
                loss: c.cost,
                grad: c.grad,
                natgrad,
                angle_deg: natgrad.and_then(|n| angle_deg(c.grad, n)),
                block: Ok(Block::of(c.fisher)),
                kl_on_glyph: None,
                kl_small: None,
                full: nan,
            }
        });
    PanelNumbers { target, probe }
}

/// The seed's rule (rotated basis, Q = [`DEFAULT_NODES_F64`]).
fn seed_rule() -> QuadratureRule {
    QuadratureRule::new(DEFAULT_NODES_F64).expect("the default node count is valid")
}

/// The general path's rule (Q = [`DEFAULT_NODES_GENERAL`]).
fn general_rule() -> QuadratureRule {
    QuadratureRule::new(DEFAULT_NODES_GENERAL).expect("the default node count is valid")
}

/// The profiled block from a full F, with `fisher_profiled`'s rules (π held on the boundary,
/// a pivot below [`PROFILE_MIN_PIVOT`]) but without computing F a second time.
fn profiled(full: &Mat5, model: &Model, slice: &Slice) -> Result<Sym2<f64>, ProfiledError> {
    if model.pi == 0.0 || model.pi == 1.0 {
        return Err(ProfiledError::WeightOnBoundary { pi: model.pi });
    }
    let (block, min_pivot) = schur_complement(full, slice);
    // NaN (a non-positive diagonal entry) counts as singular too.
    if min_pivot.is_nan() || min_pivot < PROFILE_MIN_PIVOT {
        return Err(ProfiledError::SingularNuisance { min_pivot });
    }
    Ok(block)
}

/// The chosen metric's block: `induced` (already computed, possibly from the rotated basis)
/// or the profiled one from `full`.
fn chosen_block(
    metric: Metric,
    induced: Block,
    full: &Mat5,
    model: &Model,
    slice: &Slice,
) -> Result<Block, ProfiledError> {
    match metric {
        Metric::Induced => Ok(induced),
        Metric::Profiled => profiled(full, model, slice).map(Block::of),
    }
}

/// The seed's path: unchanged from before the general model, plus the 5×5 F and the profiled
/// block when asked for.
fn compute_seed(scene: &Scene, sigma: f64, epsilon: f64, cap: f64) -> PanelNumbers {
    let rule = seed_rule();
    let general = general_rule();
    let t = scene.target();
    let star = Mixture::new(t[0], t[1], sigma);
    let score_form = fisher_score_form(&star, &rule);
    let hessian_form = fisher_hessian_form(&star, &rule);
    let induced = Block::new(score_form, seed_eigen(&fisher_rotated(&star, &rule)));
    let full = fisher_full(&scene.model, &general);
    let target = TargetNumbers {
        theta: t,
        score_form,
        hessian_form,
        forms_difference: score_form.max_abs_difference(&hessian_form),
        metric: scene.metric,
        block: chosen_block(scene.metric, induced, &full, &scene.model, &scene.slice),
        full,
    };
    let probe = scene.probe.map(|p| {
        let m = Mixture::new(p[0], p[1], sigma);
        let f_rot = fisher_rotated(&m, &rule);
        let grad = rotate_vector(gradient_rotated(&m, t, &rule));
        let induced = Block::new(f_rot.rotate_basis(), seed_eigen(&f_rot));
        let model = scene.model_at(p);
        let full = fisher_full(&model, &general);
        let block = chosen_block(scene.metric, induced, &full, &model, &scene.slice);
        let natgrad = match (&block, scene.metric) {
            // The rotated basis resolves the near-singular direction (module docs).
            (Ok(_), Metric::Induced) => {
                natural_gradient(&f_rot, scene.damping, rotate_vector(grad)).map(rotate_vector)
            }
            (Ok(b), Metric::Profiled) => natural_gradient(&b.f, scene.damping, grad),
            (Err(_), _) => None,
        };
        let kl =
            |moved: [f64; 2]| kl_divergence(&Mixture::new(moved[0], moved[1], sigma), p, &rule);
        let check = |level, cap| kl_check(&induced, p, level, cap, 1.0, |q| Some(kl(q)));
        let checks = [check(epsilon, cap), check(SMALL_LEVEL, f64::INFINITY)];
        let loss = kl_divergence(&m, t, &rule);
        ProbeNumbers::new(p, loss, grad, natgrad, block, full, checks)
    });
    PanelNumbers { target, probe }
}

/// The spectrum of the seed's F from its rotated-basis form `f_rot` (where λ_min keeps its
/// digits near the diagonal), with the eigenvectors turned back to (μ1, μ2) components.
fn seed_eigen(f_rot: &Sym2<f64>) -> Eigen<f64> {
    let e = f_rot.eigen();
    Eigen {
        q_max: rotate_vector(e.q_max),
        q_min: rotate_vector(e.q_min),
        ..e
    }
}

/// Any slice, with the general f64 path.
fn compute_general(scene: &Scene, epsilon: f64, cap: f64) -> PanelNumbers {
    let rule = general_rule();
    let slice = scene.slice;
    let star = scene.model;
    let full = fisher_full(&star, &rule);
    let score_form = slice_block(&full, &slice);
    let hessian_form = slice_block(&fisher_full_hessian(&star, &rule), &slice);
    let target = TargetNumbers {
        theta: scene.target(),
        score_form,
        hessian_form,
        forms_difference: score_form.max_abs_difference(&hessian_form),
        metric: scene.metric,
        block: chosen_block(scene.metric, Block::of(score_form), &full, &star, &slice),
        full,
    };
    let probe = scene.probe.map(|p| {
        let model = scene.model_at(p);
        let full = fisher_full(&model, &rule);
        let induced = Block::of(slice_block(&full, &slice));
        let block = chosen_block(scene.metric, induced, &full, &model, &slice);
        let grad = gradient(&model, &slice, &star, &rule);
        let natgrad = block
            .as_ref()
            .ok()
            .and_then(|b| natural_gradient(&b.f, scene.damping, grad));
        // KL(p_θ ‖ p_θ+δ): the probe is the reference distribution here.
        let kl = |moved: [f64; 2]| {
            let moved = scene.model_at(moved);
            moved
                .validate_for(&slice)
                .is_ok()
                .then(|| kl_general(&moved, &model, &rule))
        };
        let x_per_y = scene.camera.x_per_y;
        let check = |level, cap| kl_check(&induced, p, level, cap, x_per_y, kl);
        let checks = [check(epsilon, cap), check(SMALL_LEVEL, f64::INFINITY)];
        let loss = kl_general(&model, &star, &rule);
        ProbeNumbers::new(p, loss, grad, natgrad, block, full, checks)
    });
    PanelNumbers { target, probe }
}

/// δ on the level set δᵀFδ = `level` along the induced block's long axis (q_min), its display
/// length capped at `cap` like the glyph's (the horizontal part counts 1/`x_per_y`), and the
/// KL that `kl` gives for the moved point (None where the step leaves the model).
fn kl_check(
    induced: &Block,
    p: [f64; 2],
    level: f64,
    cap: f64,
    x_per_y: f64,
    kl: impl Fn([f64; 2]) -> Option<f64>,
) -> Option<KlCheck> {
    let (eig, f) = (&induced.eigen, &induced.f);
    let q = eig.q_min;
    let along = if eig.lambda_min > 0.0 {
        (level / eig.lambda_min).sqrt()
    } else {
        f64::INFINITY
    };
    let display = (q[0] / x_per_y).hypot(q[1]);
    let along = along.min(cap / display.max(f64::MIN_POSITIVE));
    if !along.is_finite() {
        return None;
    }
    let step = [q[0] * along, q[1] * along];
    let quadratic = 0.5
        * (f.xx * step[0] * step[0] + 2.0 * f.xy * step[0] * step[1] + f.yy * step[1] * step[1]);
    let exact = kl([p[0] + step[0], p[1] + step[1]])?;
    Some(KlCheck {
        step,
        exact,
        quadratic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::Param;
    use crate::scene::Preset;

    fn preset(p: Preset) -> Scene {
        let mut scene = Scene::default();
        scene.apply(crate::scene::SceneEdit::ApplyPreset(p));
        scene
    }

    #[test]
    fn kl_check_agrees_for_a_small_level() {
        let scene = Scene {
            probe: Some([1.0, -0.5]),
            ..Scene::default()
        };
        let numbers = compute(&scene, 0.05, 10.0);
        let probe = numbers.probe.unwrap();
        let small = probe.kl_small.unwrap();
        assert!((small.quadratic - 0.5 * SMALL_LEVEL).abs() < 1e-12);
        assert!(
            (small.exact / small.quadratic - 1.0).abs() < 0.02,
            "{probe:?}"
        );
        // Negative control: at a large level the quadratic form is visibly off.
        let big = probe.kl_on_glyph.unwrap();
        assert!((big.exact / big.quadratic - 1.0).abs() > 0.02, "{big:?}");
        assert!(numbers.target.forms_difference < 1e-12);
    }

    #[test]
    fn half_plane_block_is_diag_one_and_two_over_sigma_squared() {
        // π = 1 on (μ1, σ1): one Gaussian, F = diag(1/σ², 2/σ²) at the target (σ = 1) and at
        // the probe (σ = 2: 1/4 and 1/2), by hand.
        let scene = preset(Preset::HalfPlane);
        assert_eq!(scene.slice.params(), [Param::Mu1, Param::Sigma1]);
        let n = compute(&scene, 0.05, 10.0);
        let b = n.target.block.as_ref().unwrap().f;
        assert!((b.xx - 1.0).abs() < 1e-12 && b.xy.abs() < 1e-12 && (b.yy - 2.0).abs() < 1e-12);
        let p = n.probe.as_ref().unwrap();
        let s = p.theta[1];
        assert_eq!(s, 2.0);
        let pb = p.block.as_ref().unwrap();
        assert!((pb.f.xx - 1.0 / (s * s)).abs() < 1e-12, "{:?}", pb.f);
        assert!((pb.f.yy - 2.0 / (s * s)).abs() < 1e-12);
        assert!(pb.f.xy.abs() < 1e-12);
        // κ = 2 everywhere on the half-plane.
        assert!((n.target.kappa().finite().unwrap() - 2.0).abs() < 1e-10);
        // The 5×5: π's row is undefined at π = 1 (NaN), component 2's rows vanish.
        assert!(p.full[0][0].is_nan());
        assert_eq!(p.full[2][2], 0.0);
        assert_eq!(p.full[1][1], pb.f.xx);
        // Natural gradient = F⁻¹∇L exactly (λ = 0): F ñ = ∇L.
        let g = p.natgrad.unwrap();
        assert!((pb.f.xx * g[0] - p.grad[0]).abs() < 1e-12);
        assert!((pb.f.yy * g[1] - p.grad[1]).abs() < 1e-12);
        // The profiled metric needs π inside (0, 1): undefined here, and the panel says so.
        let profiled = Scene {
            metric: Metric::Profiled,
            ..scene
        };
        let n = compute(&profiled, 0.05, 10.0);
        assert!(matches!(
            n.target.block,
            Err(ProfiledError::WeightOnBoundary { .. })
        ));
        assert_eq!(n.target.kappa(), Kappa::Undefined);
        assert_eq!(n.probe.unwrap().natgrad, None);
    }

    #[test]
    fn general_path_agrees_with_the_seed_path_on_the_seed_slice() {
        for (target, probe, sigma) in [
            ([-1.5, 1.0], [1.2, 0.4], 1.0),
            ([0.3, -0.7], [2.0, 1.1], 0.6),
            ([2.0, 2.5], [-1.0, 0.0], 1.7),
        ] {
            let scene = Scene {
                model: Model::seed(target[0], target[1], sigma),
                probe: Some(probe),
                ..Scene::default()
            };
            assert!(scene.seed_sigma().is_some());
            let seed = compute(&scene, 0.05, 10.0);
            let general = compute_general(&scene, 0.05, 10.0);
            let close = |a: f64, b: f64, scale: f64, what: &str| {
                assert!((a - b).abs() <= 1e-9 * scale, "{what}: {a} vs {b}");
            };
            let (s, g) = (&seed.target, &general.target);
            let scale = s.score_form.max_abs();
            for (a, b) in [
                (s.score_form.xx, g.score_form.xx),
                (s.score_form.xy, g.score_form.xy),
                (s.score_form.yy, g.score_form.yy),
            ] {
                close(a, b, scale, "F at θ*");
            }
            let (se, ge) = (s.block.as_ref().unwrap(), g.block.as_ref().unwrap());
            close(se.eigen.lambda_max, ge.eigen.lambda_max, scale, "λmax");
            close(se.eigen.lambda_min, ge.eigen.lambda_min, scale, "λmin");
            let (sp, gp) = (seed.probe.unwrap(), general.probe.unwrap());
            close(sp.loss, gp.loss, sp.loss, "L");
            let gn = sp.grad[0].hypot(sp.grad[1]);
            close(sp.grad[0], gp.grad[0], gn, "∇L");
            close(sp.grad[1], gp.grad[1], gn, "∇L");
            let (sn, gnat) = (sp.natgrad.unwrap(), gp.natgrad.unwrap());
            let nn = sn[0].hypot(sn[1]);
            close(sn[0], gnat[0], nn, "ñ");
            close(sn[1], gnat[1], nn, "ñ");
            close(sp.angle_deg.unwrap(), gp.angle_deg.unwrap(), 1.0, "angle");
            // Both paths give the same 5×5 at the probe (the seed's takes it from the general).
            assert_eq!(sp.full, gp.full);
        }
    }

    #[test]
    fn profiled_block_is_below_the_induced_one() {
        // Loewner order: S = F_ss − F_sn F_nn⁻¹ F_ns ≤ F_ss, so F_ss − S is positive
        // semi-definite (here strictly: the held parameters correlate with the slice's).
        let scene = Scene {
            metric: Metric::Profiled,
            ..preset(Preset::WeightSingularity)
        };
        let n = compute(&scene, 0.05, 10.0);
        let s = n.target.block.as_ref().unwrap().f;
        let f = n.target.score_form;
        let d = Sym2::new(f.xx - s.xx, f.xy - s.xy, f.yy - s.yy);
        let e = d.eigen();
        assert!(e.lambda_min >= -1e-12 && e.lambda_max > 1e-6, "{e:?}");
        // The probe's ñ uses the profiled block: (S + λI) ñ = ∇L.
        let p = n.probe.unwrap();
        let (b, g, nat) = (p.block.unwrap().f, p.grad, p.natgrad.unwrap());
        let l = scene.damping;
        assert!(((b.xx + l) * nat[0] + b.xy * nat[1] - g[0]).abs() < 1e-10);
        assert!((b.xy * nat[0] + (b.yy + l) * nat[1] - g[1]).abs() < 1e-10);
    }

    #[test]
    fn every_preset_gives_finite_numbers() {
        for p in Preset::ALL {
            let scene = preset(p);
            let n = compute(&scene, 0.05, 10.0);
            let probe = n.probe.expect("presets place a probe");
            assert!(probe.loss.is_finite() && probe.loss > 0.0, "{p:?}");
            assert!(probe.grad.iter().all(|g| g.is_finite()), "{p:?}");
            assert!(probe.natgrad.is_some(), "{p:?}");
            assert!(n.target.kappa().finite().is_some(), "{p:?}");
            // A small step's KL matches ½δᵀFδ on every slice.
            let small = probe.kl_small.expect("a small step stays in the model");
            assert!(
                (small.exact / small.quadratic - 1.0).abs() < 0.02,
                "{p:?}: {small:?}"
            );
        }
    }

    /// Prints the cost of one recompute per preset (`cargo test --release --lib numbers --
    /// --ignored --nocapture cost`).
    #[test]
    #[ignore = "timing; run on demand"]
    fn cost() {
        for metric in Metric::ALL {
            for p in Preset::ALL {
                let scene = Scene {
                    metric,
                    ..preset(p)
                };
                let runs = 20;
                let start = std::time::Instant::now();
                for _ in 0..runs {
                    std::hint::black_box(compute(&scene, 0.05, 10.0));
                }
                let per = start.elapsed().as_secs_f64() / runs as f64;
                println!("{metric:>8} {:<32} {:8.0} µs", p.label(), per * 1e6);
            }
        }
    }
}
