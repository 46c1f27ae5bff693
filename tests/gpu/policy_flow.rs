//! The policy plane's flow (`particles.wgsl`'s `step_policy`) against its f32 mirror
//! (`cpu::policy_flow`): the same particles after many RK4 steps on both plants, every spawn
//! inside the stability triangle, natural particles settling at K*, and crashes — a finite step
//! out of the triangle — marked and held where they happened, never drawn outside.

use crate::common;
use crate::particles::run_gpu;

use fisherflow::cpu::particles as mirror;
use fisherflow::cpu::policy_flow::{CRASH_HOLD_STEPS, spawn_policy};
use fisherflow::gpu::gpu_data::{FlowParams, PARTICLE_CRASHED, Particle};
use fisherflow::math::policy::{Lqr, System};
use fisherflow::scene::policy_view;

fn system(text: &str) -> System {
    text.parse().unwrap()
}

/// The flow uniform over `system`'s default view.
fn params(system: &System, count: u32, mode: u32, dt: f32, speed_cap: f32) -> FlowParams {
    let camera = policy_view(system, None);
    let half = [
        camera.half_height * camera.x_per_y * 1.6,
        camera.half_height,
    ];
    let c = camera.center;
    FlowParams {
        view_min: [(c[0] - half[0]) as f32, (c[1] - half[1]) as f32],
        view_max: [(c[0] + half[0]) as f32, (c[1] + half[1]) as f32],
        dt,
        speed_cap,
        converge_radius: 0.25,
        max_age: 400,
        count,
        mode,
        seed: 3,
        ..FlowParams::default()
    }
    .with_policy(system, 0.0, Lqr::new(system).optimum().0)
}

fn run_cpu(p: &FlowParams, steps: u32) -> Vec<Particle> {
    let mut a: Vec<Particle> = (0..p.count).map(|i| spawn_policy(p, i, 0)).collect();
    let mut b = vec![Particle::default(); a.len()];
    for _ in 0..steps {
        mirror::step(p, &[], &a, &mut b);
        std::mem::swap(&mut a, &mut b);
    }
    a
}

fn inside(system: &System, k: [f32; 2]) -> bool {
    Lqr::new(system).stable([k[0] as f64, k[1] as f64])
}

/// Fraction of particles in the same generation and crash state with positions within
/// `tolerance` of the triangle's extent along each gain.
fn agreement(p: &FlowParams, gpu: &[Particle], cpu: &[Particle], tolerance: f32) -> f64 {
    if gpu.len() != cpu.len() || gpu.is_empty() {
        return 0.0;
    }
    let extent = [4.0 / (p.plant.dt * p.plant.dt), 4.0 / p.plant.dt];
    let ok = gpu
        .iter()
        .zip(cpu)
        .filter(|(g, c)| {
            g.generation == c.generation
                && g.mode == c.mode
                && (0..2).all(|i| (g.position[i] - c.position[i]).abs() <= tolerance * extent[i])
        })
        .count();
    ok as f64 / gpu.len() as f64
}

#[test]
fn policy_flow_matches_its_mirror_on_both_plants() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    for text in ["plant=pendulum", "plant=cart,friction=0.5,dt=0.1"] {
        let s = system(text);
        let p = params(&s, 2048, mirror::MODE_BOTH, 0.05, 4.0);
        let gpu = run_gpu(ctx, &p, 40);
        let cpu = run_cpu(&p, 40);
        let moved = gpu.iter().filter(|q| q.length > 0.0).count();
        assert!(moved > 1500, "{text}: only {moved} particles moved");
        let fraction = agreement(&p, &gpu, &cpu, 1e-5);
        assert!(fraction >= 0.99, "{text}: {:.2}% agree", 100.0 * fraction);
        // Negative control: the mirror of a slightly different plant does not.
        let other = params(
            &system(&format!("{text},r=1.3")),
            2048,
            mirror::MODE_BOTH,
            0.05,
            4.0,
        );
        let control = agreement(&p, &gpu, &run_cpu(&other, 40), 1e-5);
        assert!(
            control < 0.5,
            "{text}: control agreed on {:.2}%",
            100.0 * control
        );
    }
}

#[test]
fn spawns_lie_inside_and_the_natural_flow_settles_at_the_optimum() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let s = system("plant=pendulum");
    let p = params(&s, 1024, mirror::MODE_NATURAL, 0.05, 4.0);
    let spawned = run_gpu(ctx, &p, 0);
    let outside = spawned.iter().filter(|q| !inside(&s, q.position)).count();
    // Eight tries each over a view the triangle fills well over half of: a miss is rare.
    assert!(
        outside <= 2,
        "{outside} of 1024 spawned outside the triangle"
    );
    // One trajectory from a far start, without respawns, ends at K*.
    let start = Particle::trace_start([30.0, 30.0], mirror::MODE_NATURAL);
    let traced = FlowParams {
        flags: p.flags | fisherflow::gpu::gpu_data::flow_flags::TRACE,
        count: 1,
        ..p
    };
    let mut q = start;
    for _ in 0..2000 {
        q = mirror::step_particle(&traced, &[], 0, &q);
    }
    let (k_star, _) = Lqr::new(&s).optimum();
    let miss = [
        (q.position[0] as f64 - k_star[0]).abs(),
        (q.position[1] as f64 - k_star[1]).abs(),
    ];
    assert!(
        miss[0] < 0.05 && miss[1] < 0.02,
        "ended at {:?}, K* = {k_star:?}",
        q.position
    );
    assert_eq!(
        q.mode & PARTICLE_CRASHED,
        0,
        "the natural flow with small steps never crashes"
    );
}

#[test]
fn large_steps_crash_and_are_held_inside_the_triangle() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let s = system("plant=pendulum");
    // Euclidean, Euler, steps near the displacement limit: some steps leave the triangle.
    let mut p = params(&s, 4096, mirror::MODE_EUCLIDEAN, 2.0, 1e4);
    p.integrator = mirror::INTEGRATOR_EULER;
    let mut crashed_seen = 0;
    for steps in [5, 10, 20] {
        let state = run_gpu(ctx, &p, steps);
        let crashed: Vec<&Particle> = state
            .iter()
            .filter(|q| q.mode & PARTICLE_CRASHED != 0)
            .collect();
        for q in &crashed {
            assert!(
                inside(&s, q.position),
                "a crash is held at its last inside point: {q:?}"
            );
            assert!(q.age <= CRASH_HOLD_STEPS && q.lifetime == CRASH_HOLD_STEPS);
        }
        crashed_seen += crashed.len();
    }
    assert!(
        crashed_seen > 0,
        "no crash with Euler steps at the displacement limit"
    );
    // Control: small RK4 steps crash nowhere.
    let calm = params(&s, 4096, mirror::MODE_EUCLIDEAN, 0.05, 4.0);
    let state = run_gpu(ctx, &calm, 20);
    let calm_crashes = state
        .iter()
        .filter(|q| q.mode & PARTICLE_CRASHED != 0)
        .count();
    assert_eq!(calm_crashes, 0, "small steps crashed");
}
