//! The policy plane's convergence map (`shaders/convergence_policy.wgsl`: the shared scheme on
//! the excess cost C − C*) against its f64 mirror on both plants, with the comparator and bar
//! of the mixture's maps (`convergence.rs`); npg settles from far more of the triangle than gd
//! within the cap; crashes (runs that leave the triangle) are counted as `Left` on both sides;
//! negative control: the mirror of another system.

use crate::common;
use crate::convergence::{compare, run_gpu_with as run_gpu};

use fisherflow::compute::convergence::{
    ConvCell, ConvergencePipeline, KAPPA_MAX, LEAVE_MARGIN, LOSS_FLOOR, MapOptimizer, MapSpec,
    Status,
};
use fisherflow::cpu::convergence::mirror_map;
use fisherflow::math::policy::System;
use fisherflow::math::{Model, Slice};
use fisherflow::scene::policy_view;

fn spec(system: System, max_steps: u32, lr_gd: f64) -> MapSpec {
    let camera = policy_view(&system, None);
    let half = [
        camera.half_height * camera.x_per_y * 1.6,
        camera.half_height,
    ];
    let c = camera.center;
    MapSpec {
        base: Model::default(),
        target: Model::default(),
        slice: Slice::SEED,
        view_min: [c[0] - half[0], c[1] - half[1]],
        view_max: [c[0] + half[0], c[1] + half[1]],
        side: 16,
        maps: vec![(MapOptimizer::Gd, lr_gd), (MapOptimizer::Ngd, 0.5)],
        max_steps,
        threshold: 1e-4,
        loss_floor: LOSS_FLOOR,
        kappa_max: KAPPA_MAX,
        leave_margin: LEAVE_MARGIN,
        nodes: 32,
        steps_per_frame: 16,
        system: Some(system),
    }
}

fn count(cells: &[ConvCell], range: std::ops::Range<usize>, status: Status) -> usize {
    cells[range].iter().filter(|c| c.status() == status).count()
}

#[test]
fn policy_maps_match_the_f64_mirror_and_npg_settles_where_gd_does_not() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = ConvergencePipeline::policy(&ctx.device);
    for (text, lr_gd) in [
        ("plant=pendulum", 0.01),
        ("plant=cart,friction=0.5,dt=0.1", 0.05),
    ] {
        let system: System = text.parse().unwrap();
        let map = spec(system, 300, lr_gd);
        let gpu = run_gpu(ctx, &pipeline, &map);
        let cpu = mirror_map(&map);
        let c = compare(&gpu, &cpu);
        assert!(c.passes(), "{text}: {c:?}");
        let n = map.cells() as usize;
        let converged = |map: usize| count(&gpu, map * n..(map + 1) * n, Status::Converged);
        let outside = count(&gpu, 0..n, Status::Outside);
        let inside = n - outside;
        eprintln!(
            "{text}: gd converged {} / npg {} of {inside} starts inside; statuses agree on {} of {}",
            converged(0),
            converged(1),
            c.same_status,
            c.cells
        );
        assert!(
            inside > n / 3,
            "{text}: only {inside} starts inside the triangle"
        );
        if text == "plant=pendulum" {
            // The pendulum's F is ill-conditioned (κ ≈ 12 at K*, far more away): gd at the
            // rate that does not crash it crawls, npg does not.
            assert!(
                converged(1) > 10 * converged(0),
                "{text}: npg settled no more than gd"
            );
        }
        assert!(
            converged(1) >= inside * 9 / 10,
            "{text}: npg settled from {}",
            converged(1)
        );
        // Negative control: another system's mirror.
        let other = spec(format!("{text},r=2").parse().unwrap(), 300, lr_gd);
        assert!(
            !compare(&gpu, &mirror_map(&other)).passes(),
            "{text}: control passed"
        );
    }
}

#[test]
fn a_gd_rate_too_large_crashes_and_the_map_says_so() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = ConvergencePipeline::policy(&ctx.device);
    let system: System = "plant=pendulum".parse().unwrap();
    let n = 256;
    let calm = run_gpu(ctx, &pipeline, &spec(system, 100, 0.01));
    let wild = run_gpu(ctx, &pipeline, &spec(system, 100, 1.0));
    let crashed_calm = count(&calm, 0..n, Status::Left);
    let crashed_wild = count(&wild, 0..n, Status::Left);
    assert!(
        crashed_wild > crashed_calm + 20,
        "gd at lr 1 crashed from {crashed_wild} starts, at 0.01 from {crashed_calm}"
    );
    // The mirror agrees on which starts crash.
    let mirror = mirror_map(&spec(system, 100, 1.0));
    let mirror_crashed = mirror[..n]
        .iter()
        .filter(|c| c.status == Status::Left)
        .count();
    assert!(
        crashed_wild.abs_diff(mirror_crashed) <= 3,
        "{crashed_wild} vs {mirror_crashed}"
    );
}
