//! The heatmap layer's unit tests: scales, shader codes, the f64 values.
use super::*;

#[test]
fn kind_codes_match_the_shader() {
    let source = include_str!("../../../shaders/heatmap.wgsl");
    for (name, heatmap) in [
        ("HEATMAP_LOG10_KAPPA", Heatmap::Log10Kappa),
        ("HEATMAP_JEFFREYS", Heatmap::Jeffreys),
        ("HEATMAP_LOSS", Heatmap::Loss),
        ("HEATMAP_ANGLE", Heatmap::Angle),
        ("HEATMAP_NATGRAD_NORM", Heatmap::NatgradNorm),
        ("HEATMAP_EF_GAP", Heatmap::EfGap),
        ("HEATMAP_SPECTRAL_RADIUS", Heatmap::SpectralRadius),
        ("HEATMAP_CONTROL_ENERGY", Heatmap::ControlEnergy),
    ] {
        let line = format!("const {name}: u32 = {}u;", kind_code(heatmap));
        assert!(source.contains(&line), "shader lacks `{line}`");
    }
}

/// ρ's scale follows the view: on the pendulum's default view its smallest ρ (0.88 near
/// K*) sets the low end, rounded down to a twentieth; the top is the edge, 1.
#[test]
fn spectral_radius_scale_follows_the_view() {
    let mut scene = Scene::default();
    scene.apply(crate::scene::SceneEdit::ApplyPreset(
        crate::scene::Preset::Pendulum,
    ));
    let scale = scene_scale(&scene, Heatmap::SpectralRadius, [800.0, 560.0]).unwrap();
    assert!(!scale.log && scale.hi == 1.0, "{scale:?}");
    assert!((0.75..=0.9).contains(&scale.lo), "{scale:?}");
    // Control: a view far inside the triangle's right part has a higher floor.
    scene.camera.center = [800.0, 60.0];
    scene.camera.half_height = 2.0;
    scene.camera.x_per_y = 10.0;
    let far = scene_scale(&scene, Heatmap::SpectralRadius, [800.0, 560.0]).unwrap();
    assert!(far.lo != scale.lo, "{far:?} vs {scale:?}");
}

#[test]
fn ticks_are_real_numbers_at_even_spacing() {
    let kappa = HeatScale {
        lo: 0.0,
        hi: 8.0,
        log: true,
    };
    assert_eq!(
        kappa.ticks("+, ∞"),
        ["1", "100", "1e4", "1e6", "1e8+, ∞"].map(String::from)
    );
    let loss = HeatScale {
        lo: -3.0,
        hi: 0.0,
        log: true,
    };
    assert_eq!(
        loss.ticks(""),
        ["1e-3", "0.01", "0.1", "1"].map(String::from)
    );
    let angle = HeatScale {
        lo: 0.0,
        hi: 90.0,
        log: false,
    };
    assert_eq!(angle.ticks("").len(), 7);
    assert!((loss.t(0.01) - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn half_plane_jeffreys_is_sqrt2_over_sigma_squared() {
    // π = 1, slice (mu1, sigma1): F = diag(1/σ², 2/σ²), √det F = √2/σ² (MATH.md).
    let scene = half_plane();
    for (mu, sigma) in [(0.0, 1.0), (1.5, 0.5), (-2.0, 2.0)] {
        let HeatValue::Finite(v) = value_at(&scene, Heatmap::Jeffreys, [mu, sigma], 64) else {
            panic!("undefined at ({mu}, {sigma})");
        };
        let want = 2f64.sqrt() / (sigma * sigma);
        assert!((v - want).abs() < 1e-9 * want, "{v} vs {want}");
    }
    // Outside the model (σ ≤ 0): undefined, not a number.
    assert!(matches!(
        value_at(&scene, Heatmap::Jeffreys, [0.0, -1.0], 64),
        HeatValue::Undefined(_)
    ));
}

#[test]
fn seed_values_match_the_oracles() {
    let scene = Scene::default();
    let sigma = scene.seed_sigma().expect("the default scene is the seed's");
    // On the diagonal F is singular: κ = ∞, √det F = 0.
    assert_eq!(
        value_at(&scene, Heatmap::Log10Kappa, [0.3, 0.3], 64),
        HeatValue::Infinite
    );
    let HeatValue::Finite(far) = value_at(&scene, Heatmap::Log10Kappa, [-6.0, 6.0], 64) else {
        panic!()
    };
    assert!(
        (far - 1.0).abs() < 1e-6,
        "far apart F → I/(2σ²): κ → 1, got {far}"
    );
    // Near the diagonal κ ≈ 2σ²/Δ².
    let delta = 1e-3;
    let HeatValue::Finite(k) = value_at(&scene, Heatmap::Log10Kappa, [0.0, delta], 64) else {
        panic!()
    };
    let want = 2.0 * sigma * sigma / (delta * delta);
    assert!((k / want - 1.0).abs() < 1e-2, "{k} vs {want}");
    // L = 0 at the target, and the angle lies in [0, 90).
    let t = scene.target();
    let HeatValue::Finite(l) = value_at(&scene, Heatmap::Loss, t, 64) else {
        panic!()
    };
    assert!(l.abs() < 1e-12, "{l}");
    let HeatValue::Finite(a) = value_at(&scene, Heatmap::Angle, [1.0, -0.5], 64) else {
        panic!()
    };
    assert!((0.0..90.0).contains(&a), "{a}");
}

#[test]
fn scales_follow_the_scene_in_whole_decades() {
    let scene = half_plane();
    let s = scene_scale(&scene, Heatmap::Jeffreys, [400.0, 400.0]).unwrap();
    assert!(s.log && s.lo.fract() == 0.0 && s.hi.fract() == 0.0, "{s:?}");
    assert!(s.hi > s.lo && s.hi - s.lo <= MAX_DECADES, "{s:?}");
    assert_eq!(scene_scale(&scene, Heatmap::None, [400.0, 400.0]), None);
}

/// The EF gap vanishes at θ* (p_θ = p*, so EF = F) and not elsewhere; on the seed's slice
/// it is the same whether F comes from the general path (the standard basis) or not.
#[test]
fn ef_gap_is_zero_at_the_target_only() {
    for scene in [Scene::default(), half_plane()] {
        let t = scene.target();
        let HeatValue::Finite(at) = value_at(&scene, Heatmap::EfGap, t, 64) else {
            panic!("undefined at θ*")
        };
        assert!(at < 1e-9, "gap {at} at θ*");
        let away = [t[0] + 0.7, t[1] + 0.4];
        let HeatValue::Finite(g) = value_at(&scene, Heatmap::EfGap, away, 64) else {
            panic!("undefined at {away:?}")
        };
        // Negative control: away from θ* the two matrices differ by a sizeable fraction.
        assert!(g > 0.05, "gap {g} at {away:?}");
    }
    // Outside the model there is nothing.
    let scene = half_plane();
    assert!(matches!(
        value_at(&scene, Heatmap::EfGap, [0.0, -1.0], 64),
        HeatValue::Undefined(_)
    ));
}

/// The half-plane preset: π = 1, slice (mu1, sigma1), θ* = (0, 1).
fn half_plane() -> Scene {
    let mut scene = Scene::default();
    scene.apply(crate::scene::SceneEdit::ApplyPreset(
        crate::scene::Preset::HalfPlane,
    ));
    scene
}
