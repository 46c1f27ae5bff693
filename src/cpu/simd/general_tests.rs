//! The SIMD union pass's unit tests: its shortcuts against the full path (the weight score's
//! factor, a shared component, the target's density as two exponentials), the vector
//! logarithm and the lanes' truncations.
use super::super::general_paths::union_pass_lanes_at;
use super::super::supported_levels;
use super::*;
use crate::cpu::general::{UNION_TARGET_SWITCHES, make_mixture, truncation_sigmas};
use crate::math::QuadratureRule;

/// 1 − e^{−u} from the responsibilities' e^{−|ℓ|} is −expm1(−u) to f32 rounding for every
/// sign of ℓ and ln φ1/φ2 and weights from 10⁻⁶ to 1 − 10⁻⁶; at a saturated weight (π = 1,
/// logit 10³⁰) e^{−|ℓ|} underflows and only the block's own exponential is right
/// (control: the shortcut is then wrong by far more than the tolerance).
#[test]
fn the_weight_scores_factor_needs_no_exponential_of_its_own() {
    #[cfg(target_arch = "x86_64")]
    {
        use super::super::vector::Avx2;
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            eprintln!("no AVX2 + FMA here: the scalar mirror is used instead");
            return;
        }
        let factor = |m: &Mixture, log_phi: [f32; 8], own_exp: bool| -> [f32; 8] {
            unsafe {
                let lanes = MixtureLanes::<Avx2>::new(m);
                let mut padded: LaneArray = [0.0; MAX_LANES];
                padded[..8].copy_from_slice(&log_phi);
                let log_phi = Avx2::load(&padded);
                let log_ratio = log_phi + lanes.logit_w;
                let tail = exp(Avx2::zero() - log_ratio.abs());
                let out = one_minus_exp_phi(&lanes, log_phi, log_ratio, tail, own_exp);
                std::array::from_fn(|k| out.to_array()[k])
            }
        };
        let exact = |u: f32| -(-(u.abs() as f64)).exp_m1();
        let mut worst = 0.0f64;
        for pi in [1e-6f32, 0.01, 0.3, 0.5, 0.8, 1.0 - 1e-6] {
            let m = make_mixture(pi, [0.0, 1.0], [1.0, 1.3]);
            assert!(!weight_score_needs_own_exp([&m]), "π = {pi}");
            for start in [-40.0f32, -12.0, -3.0, -1.0, 0.0, 1.5, 6.0, 30.0] {
                let log_phi: [f32; 8] = std::array::from_fn(|k| start + 0.37 * k as f32);
                for (&u, &got) in log_phi.iter().zip(&factor(&m, log_phi, false)) {
                    let error = (got as f64 - exact(u)).abs() / exact(u).max(1e-30);
                    worst = worst.max(error);
                }
            }
        }
        eprintln!("1 − e^(−u) from e^(−|ℓ|): worst relative error {worst:.2e}");
        assert!(worst < 1e-6, "worst relative error {worst}");

        let saturated = make_mixture(1.0, [0.0, 1.0], [1.0, 1.3]);
        assert!(weight_score_needs_own_exp([&saturated]));
        let log_phi: [f32; 8] = std::array::from_fn(|k| 0.5 + 1.5 * k as f32);
        let own = factor(&saturated, log_phi, true);
        let shortcut = factor(&saturated, log_phi, false);
        for k in 0..8 {
            let u = log_phi[k];
            assert!(
                (own[k] as f64 - exact(u)).abs() < 1e-6 * exact(u),
                "u = {u}"
            );
        }
        // u = 3.5: 1 − e^{−3.5} = 0.970; the shortcut's e^{−|ℓ|} underflowed to 0 and
        // π/(1 − π) is infinite, so it gives NaN.
        let close = (shortcut[2] as f64 - exact(log_phi[2])).abs() <= 1e-2;
        assert!(!close, "control: {}", shortcut[2]);
    }
}

/// A shortcut's sums (`short`) against the full path's (`full`) in the first `lanes` lanes:
/// F's bit for bit, the target's ∇L sums within 10⁻⁶ of their largest; and, as the control,
/// more than 10⁻⁴ away from `other`'s (a moved target's) somewhere.
fn assert_shortcut_matches(
    what: &str,
    short: &[UnionSums; MAX_LANES],
    full: &[UnionSums; MAX_LANES],
    other: &[UnionSums; MAX_LANES],
    lanes: usize,
) {
    let scale = (0..lanes)
        .flat_map(|k| full[k].target_sums[..2].iter().map(|v| v.abs()))
        .fold(0.0f32, f32::max);
    let (mut worst, mut control) = (0.0f32, 0.0f32);
    for k in 0..lanes {
        assert_eq!(short[k].fisher, full[k].fisher, "{what}");
        for i in 0..2 {
            let s = short[k].target_sums[i];
            worst = worst.max((s - full[k].target_sums[i]).abs() / scale);
            control = control.max((s - other[k].target_sums[i]).abs() / scale);
        }
    }
    eprintln!("{what}: {worst:.2e}, control {control:.2e}");
    assert!(worst < 1e-6, "{what}: {worst}");
    assert!(control > 1e-4, "{what}: control {control}");
}

/// A block whose targets share the models' second component (particles on (π, μ1)) takes
/// it from the model: the target's sums equal the unshared path's (the one the loss takes)
/// to f32 rounding and F's are the same bits. Sharing is refused where the component
/// differs by 10⁻² or a weight sits on its boundary, and a lane holding nothing does not
/// count. Control: a target moved by that 10⁻² changes the sums by far more than the
/// tolerance.
#[test]
fn a_shared_component_gives_the_unshared_sums() {
    let nodes = QuadratureRule::new(32).unwrap().panel_rule().table_f32();
    let models: [Mixture; MAX_LANES] = std::array::from_fn(|k| {
        make_mixture(
            0.1 + 0.05 * k as f32,
            [-2.5 + 0.3 * k as f32, 1.5],
            [1.0, 1.0],
        )
    });
    let target = make_mixture(0.5, [-1.5, 1.5], [1.0, 1.0]);
    let moved = make_mixture(0.5, [-1.5, 1.51], [1.0, 1.0]);
    let targets: [Mixture; MAX_LANES] = [target; MAX_LANES];
    let t: LaneArray = std::array::from_fn(|k| {
        truncation_sigmas(models[k].weight[0].min(models[k].weight[1]).min(0.5))
    });
    let mut valid = [true; MAX_LANES];
    for level in supported_levels() {
        let Some((pass, lanes)) = union_pass_lanes_at(level) else {
            continue;
        };
        valid[lanes - 1] = false;
        let mut with_nothing = models;
        with_nothing[lanes - 1] = make_mixture(1.0, [0.0, 9.0], [2.0, 3.0]);
        let run = |models: &[Mixture; MAX_LANES], target: Mixture, sums: u32| {
            pass(
                models,
                &[target; MAX_LANES],
                &t,
                &valid,
                [0, 1],
                &nodes,
                sums,
            )
        };
        let shared = run(&with_nothing, target, UNION_FISHER | UNION_TARGET_SWITCHES);
        let unshared = run(&with_nothing, target, UNION_FISHER | UNION_LOSS);
        let other = run(&models, moved, UNION_FISHER | UNION_TARGET_SWITCHES);
        let what = format!("{}: shared against unshared", level.name());
        assert_shortcut_matches(&what, &shared, &unshared, &other, lanes - 1);
        valid[lanes - 1] = true;
    }
    let choices = |models: &[Mixture; MAX_LANES], targets: &[Mixture; MAX_LANES]| {
        shared_component(models, targets, &[true; MAX_LANES], MAX_LANES)
    };
    assert_eq!(choices(&models, &targets), Some(1));
    assert_eq!(choices(&models, &[moved; MAX_LANES]), None);
    let mut boundary = models;
    boundary[3] = make_mixture(1.0, [0.0, 1.5], [1.0, 1.0]);
    assert_eq!(choices(&boundary, &targets), None);
    let first = make_mixture(0.3, [-1.5, 0.0], [0.8, 1.0]);
    let shares_first: [Mixture; MAX_LANES] = std::array::from_fn(|k| {
        make_mixture(0.2 + 0.01 * k as f32, [-1.5, 0.1 * k as f32], [0.8, 1.2])
    });
    assert_eq!(choices(&shares_first, &[first; MAX_LANES]), Some(0));
}

/// The vector logarithm is within 4 ulp of f64's ln from 10⁻³⁷ to 10³⁸ and exactly 0 at 1, at
/// every vector level; the lanes' truncations equal the mirror's `truncation_sigmas` within
/// 10⁻⁵σ from a weight of 10⁻¹² (its overflow to the largest truncation kept) to ½.
/// Control: a weight 1% smaller moves the truncation by more than that.
#[test]
#[cfg(target_arch = "x86_64")]
fn the_vector_log_and_the_lanes_truncations_match_the_mirror() {
    use super::super::kernel::log;
    use super::super::vector::{Avx2, Avx512};
    let levels: Vec<bool> = supported_levels()
        .iter()
        .filter_map(|level| match level {
            super::super::SimdLevel::Avx2Fma => Some(false),
            super::super::SimdLevel::Avx512 => Some(true),
            _ => None,
        })
        .collect();
    let logs = |wide: bool, xs: &LaneArray| -> LaneArray {
        unsafe {
            if wide {
                log(Avx512::load(xs)).to_array()
            } else {
                log(Avx2::load(xs)).to_array()
            }
        }
    };
    for &wide in &levels {
        let lanes = if wide { 16 } else { 8 };
        let mut worst_ulp = 0.0f64;
        let mut x = 1e-37f32;
        while x < 1e38 {
            let xs: LaneArray = std::array::from_fn(|k| x * (1.0 + 0.0613 * k as f32));
            let got = logs(wide, &xs);
            for k in 0..lanes {
                let exact = (xs[k] as f64).ln();
                let ulp = (exact.abs() as f32).max(f32::MIN_POSITIVE) as f64 * f32::EPSILON as f64;
                worst_ulp = worst_ulp.max((got[k] as f64 - exact).abs() / ulp);
            }
            x *= 1.37;
        }
        eprintln!("vector log (wide: {wide}): worst error {worst_ulp:.2} ulp");
        assert!(worst_ulp < 4.0, "worst {worst_ulp} ulp");
        let near_one: LaneArray = std::array::from_fn(|k| 1.0 + (k as f32 - 8.0) * 1e-6);
        let got = logs(wide, &near_one);
        assert_eq!(got[8], 0.0);
        for k in 0..lanes {
            let exact = (near_one[k] as f64).ln();
            assert!((got[k] as f64 - exact).abs() <= 2e-7 * exact.abs(), "{k}");
        }
    }
    for level in supported_levels() {
        let Some(truncation) = super::super::general_paths::truncation_lanes_at(level) else {
            continue;
        };
        let mut worst = 0.0f32;
        let mut control = f32::INFINITY;
        for start in [1e-12f32, 1e-9, 1e-6, 1e-3, 0.05, 0.2, 0.45] {
            let weights: LaneArray = std::array::from_fn(|k| start * (1.0 + 0.07 * k as f32));
            let smaller: LaneArray = std::array::from_fn(|k| 0.99 * weights[k]);
            let (got, moved) = (truncation(&weights), truncation(&smaller));
            for k in 0..level.lanes() {
                let mirror = truncation_sigmas(weights[k]);
                worst = worst.max((got[k] - mirror).abs());
                if mirror < crate::cpu::general::TRUNCATION_MAX && weights[k] > 2e-12 {
                    control = control.min((moved[k] - mirror).abs());
                }
            }
        }
        eprintln!(
            "{}: truncations within {worst:.2e}σ, control {control:.2e}",
            level.name()
        );
        assert!(worst <= 1e-5, "{}: {worst}", level.name());
        assert!(control > 1e-5, "{}: control {control}", level.name());
    }
}

/// Without L and with nothing shared (a slice that moves both components, such as (μ1, μ2)
/// with unequal widths), the target's density as the sum of its two exponentials gives the
/// sums of the full path (the one the loss takes) to f32 rounding, and F's bit for bit; a
/// target on the weight boundary keeps the full path (its components' `log_norm`s are
/// unweighted there), so its sums are the full path's exactly. Control: a target moved by 10⁻²
/// changes the sums by far more than the tolerance.
#[test]
fn the_targets_density_without_the_loss_gives_the_full_paths_sums() {
    let nodes = QuadratureRule::new(32).unwrap().panel_rule().table_f32();
    let models: [Mixture; MAX_LANES] = std::array::from_fn(|k| {
        make_mixture(
            0.3,
            [-2.0 + 0.2 * k as f32, 1.0 - 0.1 * k as f32],
            [0.6, 1.4],
        )
    });
    let target = make_mixture(0.3, [-1.5, 1.0], [0.6, 1.4]);
    let moved = make_mixture(0.3, [-1.49, 1.0], [0.6, 1.4]);
    let boundary = make_mixture(1.0, [-1.5, 1.0], [0.6, 1.4]);
    let t: LaneArray = [truncation_sigmas(0.3); MAX_LANES];
    let valid = [true; MAX_LANES];
    assert_eq!(
        shared_component(&models, &[target; MAX_LANES], &valid, MAX_LANES),
        None
    );
    for level in supported_levels() {
        let Some((pass, lanes)) = union_pass_lanes_at(level) else {
            continue;
        };
        let run = |target: Mixture, sums: u32| {
            pass(
                &models,
                &[target; MAX_LANES],
                &t,
                &valid,
                [1, 2],
                &nodes,
                sums,
            )
        };
        let short = run(target, UNION_FISHER | UNION_TARGET_SWITCHES);
        let full = run(target, UNION_FISHER | UNION_LOSS);
        let other = run(moved, UNION_FISHER | UNION_TARGET_SWITCHES);
        let what = format!("{}: p* as two exponentials", level.name());
        assert_shortcut_matches(&what, &short, &full, &other, lanes);
        let on_boundary = run(boundary, UNION_FISHER | UNION_TARGET_SWITCHES);
        let full_boundary = run(boundary, UNION_FISHER | UNION_LOSS);
        for k in 0..lanes {
            assert_eq!(
                on_boundary[k].target_sums[..2],
                full_boundary[k].target_sums[..2],
                "{}",
                level.name()
            );
        }
    }
}
