//! The general step's place order (`shaders/particle_order.wgsl`) on a real adapter: before each
//! general step the particles are counting-sorted by the cell of the view they are in, and the
//! order read back must be a permutation whose cells, by the CPU mirror
//! (`cpu::particles::place_cell`), never decrease, sorting the state that step read (the
//! ping-pong side). That the order changes no particle's step is
//! `particles::general_mode_matches_the_cpu_mirror`'s to show.

use crate::common;

use fisherflow::compute::particles::{ParticleData, ParticlePipeline};
use fisherflow::cpu::particles::{self as mirror, MODE_BOTH};
use fisherflow::gpu::gpu_data::{FlowParams, PLACE_CELLS, Particle};
use fisherflow::math::quadrature::DEFAULT_NODES_F32;
use fisherflow::math::{Metric, Model, Param, QuadratureRule, Slice};

/// What is wrong with `order` as the place order of `state`, or None: it must hold every
/// particle once, in cells (by the mirror) that never decrease along the slots. A descent is
/// forgiven only where a particle sits within 1e-4 of a cell's width of a cell edge, where the
/// GPU's f32 division may round it into the neighbouring cell.
fn place_order_problem(params: &FlowParams, state: &[Particle], order: &[u32]) -> Option<String> {
    if order.len() != state.len() {
        return Some(format!(
            "{} slots for {} particles",
            order.len(),
            state.len()
        ));
    }
    let mut seen = vec![false; state.len()];
    for &index in order {
        match seen.get_mut(index as usize) {
            Some(slot) if !*slot => *slot = true,
            Some(_) => return Some(format!("particle {index} stepped twice")),
            None => return Some(format!("particle {index} does not exist")),
        }
    }
    let near_edge = |position: [f32; 2]| {
        (0..2).any(|k| {
            let extent = params.view_max[k] - params.view_min[k];
            let u = (position[k] - params.view_min[k]) / extent * PLACE_CELLS as f32;
            (u - u.round()).abs() < 1e-4
        })
    };
    for pair in order.windows(2) {
        let [a, b] = [pair[0], pair[1]].map(|i| state[i as usize].position);
        let (cell_a, cell_b) = (mirror::place_cell(params, a), mirror::place_cell(params, b));
        if cell_b < cell_a && !near_edge(a) && !near_edge(b) {
            return Some(format!(
                "cell {cell_b} at {b:?} after cell {cell_a} at {a:?}"
            ));
        }
    }
    None
}

/// The weight slice (π, μ1), μ2 = 0, σ = 1, toward π = 0.3, μ1 = 1.5, its view a little wider
/// than the model's π ∈ (0, 1) so that some particles leave it and respawn.
fn weight_slice_params(count: u32) -> FlowParams {
    let base = Model::default();
    let target = Model {
        pi: 0.3,
        mu1: 1.5,
        ..base
    };
    FlowParams {
        target: [0.3, 1.5],
        view_min: [0.02, -3.0],
        view_max: [0.98, 3.0],
        sigma: 1.0,
        dt: 0.05,
        speed_cap: 4.0,
        converge_radius: 0.03,
        max_age: 40,
        count,
        mode: MODE_BOTH,
        seed: 5,
        ..FlowParams::default()
    }
    .with_general(
        &base,
        &Slice::new(Param::Pi, Param::Mu1).unwrap(),
        &target,
        Metric::Induced,
    )
}

/// Runs `steps` steps on `data` (one submission).
fn step(
    ctx: &fisherflow::gpu::context::GpuContext,
    data: &mut ParticleData,
    pipeline: &ParticlePipeline,
    params: &FlowParams,
    steps: u32,
) {
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    data.encode_steps(
        &ctx.queue,
        &mut encoder,
        pipeline,
        params,
        steps,
        None,
        |_, _, _| {},
    );
    ctx.queue.submit([encoder.finish()]);
}

/// The order of the first step sorts the spawned state, that of a later step the state it read
/// (the other ping-pong buffer), on a count that leaves a ragged last workgroup. Controls: index
/// order, the order of the state a step earlier, and an order with a particle twice are each
/// rejected.
#[test]
fn general_steps_run_in_place_order() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let params = weight_slice_params(1000);
    let pipeline = ParticlePipeline::new(&ctx.device);
    let mut data = ParticleData::new(ctx, &pipeline, params.count, &rule).unwrap();
    data.spawn(ctx, &pipeline, &params);
    let spawned = data.read(ctx).unwrap();
    step(ctx, &mut data, &pipeline, &params, 1);
    let first_order = data.read_order(ctx).unwrap();
    assert_eq!(
        place_order_problem(&params, &spawned, &first_order),
        None,
        "the first step's order"
    );

    // Several steps on (the sides alternate), then one more: its order sorts what it read.
    step(ctx, &mut data, &pipeline, &params, 7);
    let before = data.read(ctx).unwrap();
    step(ctx, &mut data, &pipeline, &params, 1);
    let later_order = data.read_order(ctx).unwrap();
    assert_eq!(
        place_order_problem(&params, &before, &later_order),
        None,
        "a later step's order"
    );
    let cells_visited = |state: &[Particle]| {
        let mut cells: Vec<u32> = state
            .iter()
            .map(|p| mirror::place_cell(&params, p.position))
            .collect();
        cells.sort();
        cells.dedup();
        cells.len()
    };
    assert!(
        cells_visited(&before) > 200,
        "the particles cover the view ({} cells)",
        cells_visited(&before)
    );

    // Controls.
    let index_order: Vec<u32> = (0..params.count).collect();
    assert!(place_order_problem(&params, &before, &index_order).is_some());
    assert!(
        place_order_problem(&params, &before, &first_order).is_some(),
        "the spawned state's order does not sort the state eight steps on"
    );
    let mut twice = later_order.clone();
    twice[1] = twice[0];
    assert!(place_order_problem(&params, &before, &twice).is_some());
    // The mirror's own order passes.
    let cpu_order = mirror::spatial_order(&params, &before);
    assert_eq!(place_order_problem(&params, &before, &cpu_order), None);
}
