//! The report as an aligned text table (what `fisherflow bench` prints without `--json`).

use super::config::Kernel;
use super::presets;
use super::report::BenchReport;

/// A row's path label: the path, and the instruction set of a SIMD row
/// ("cpu-f32-simd/avx512").
fn with_isa(path: &str, isa: Option<&str>) -> String {
    match isa {
        Some(isa) => format!("{path}/{isa}"),
        None => path.to_owned(),
    }
}

/// The report as an aligned text table.
pub fn table(report: &BenchReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let a = &report.adapter;
    let _ = writeln!(
        s,
        "adapter: {} ({}, {}; driver {}; timestamps: {})",
        a.name, a.backend, a.device_type, a.driver, a.timestamps
    );
    let _ = writeln!(
        s,
        "cpu:     {} ({} threads, SIMD path: {}); exp ceiling {:.3e} exps/s on {} threads",
        report.cpu.model,
        report.cpu.threads,
        report.cpu.simd,
        report.cpu.exp_ceiling.exps_per_s,
        report.cpu.exp_ceiling.threads
    );
    let m = &report.model;
    let _ = writeln!(
        s,
        "model:   pi={} mu1={} mu2={} sigma1={} sigma2={} on slice ({}, {}), {} metric, {} kernel",
        m.pi,
        m.mu1,
        m.mu2,
        m.sigma1,
        m.sigma2,
        report.slice.a,
        report.slice.b,
        report.metric,
        match report.kernel {
            Kernel::Seed => "seed",
            Kernel::General => "general",
        }
    );
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    for p in &report.peers {
        let _ = writeln!(
            s,
            "peer:    {} {:>5}² Q={:<3} best {:.2} ms, {:.3e} cells/s",
            p.peer,
            p.grid,
            p.nodes,
            p.seconds * 1e3,
            p.cells_per_s
        );
    }
    let _ = writeln!(
        s,
        "\nFIM field                                             median     p95   kernel      cells/s   max rel err     exps/s  of ceiling  vs peer"
    );
    for r in &report.fim {
        let path = serde_json::to_value(r.path)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = write!(
            s,
            "  {:<21} {:>5}² Q={:<3} {:>8} cells {:>9.2} {:>7.2} {:>8} {:>12.3e}   {:<9} {:>10} {:>10} {:>8}",
            with_isa(&path, r.isa.as_deref()),
            r.grid,
            r.nodes,
            r.cells,
            r.median_ms,
            r.p95_ms,
            opt(r.kernel_ms),
            r.cells_per_s,
            // Nothing compared (every sampled cell outside or undefined): no error to show.
            if r.error_cells == 0 {
                "-".to_owned()
            } else {
                format!("{:.2e}", r.max_rel_error)
            },
            r.exps_per_s.map_or("-".to_owned(), |v| format!("{v:.2e}")),
            r.ceiling_fraction
                .map_or("-".to_owned(), |v| format!("{:.0}%", 100.0 * v)),
            r.vs_peer.map_or("-".to_owned(), |v| format!("{v:.2}×"))
        );
        if let (Some(q), Some(outside), Some(undefined)) =
            (r.kernel_nodes, r.outside_cells, r.undefined_cells)
        {
            let _ = write!(
                s,
                "  (general rule {q} nodes; {} compared, {outside} outside, {undefined} undefined)",
                r.error_cells
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\nParticles (RK4)                            ms/step     p95   kernel   particle-steps/s"
    );
    for r in &report.particles {
        let _ = writeln!(
            s,
            "  {:<21} {:>9} particles {:>9.2} {:>7.2} {:>8} {:>14.3e}",
            with_isa(&r.path, r.isa.as_deref()),
            r.particles,
            r.median_ms_per_step,
            r.p95_ms_per_step,
            opt(r.kernel_ms_per_step),
            r.particle_steps_per_s
        );
    }
    let _ = writeln!(
        s,
        "\nFrame loop (offscreen)                                  ms/frame     p95   field  particles   draw"
    );
    for r in &report.frame {
        let c = &r.case;
        let _ = writeln!(
            s,
            "  {}×{} grid {:<4} particles {:<7} field {:<6} {:>10.2} {:>7.2} {:>7} {:>9} {:>7}",
            c.width,
            c.height,
            c.grid,
            c.particles,
            if c.drag_target {
                "drag"
            } else if c.field_every_frame {
                "always"
            } else {
                "once"
            },
            r.median_ms,
            r.p95_ms,
            format!("{:.2}", r.field_ms),
            format!("{:.2}", r.particles_ms),
            format!("{:.2}", r.draw_ms)
        );
        if r.kernel != report.kernel {
            s.pop();
            let _ = writeln!(s, "  (the viewer's {:?} kernel)", r.kernel);
        }
        let passes: Vec<String> = r
            .passes
            .iter()
            .map(|p| format!("{} {:.2}", p.pass, p.ms))
            .collect();
        let _ = writeln!(s, "    pass by pass, ms: {}", passes.join(", "));
    }
    if !report.kfac_solve.is_empty() {
        let _ = writeln!(
            s,
            "\nK-FAC cost (d_in = d_out = d; CPU faer f64, GPU f32)   exact n×n solve              K-FAC two factors"
        );
        let _ = writeln!(
            s,
            "                                                CPU          GPU              CPU          GPU"
        );
        let cell = |t: Option<f64>| t.map_or("–".to_owned(), |t| format!("{t:.3e} s"));
        for r in &report.kfac_solve {
            let _ = writeln!(
                s,
                "  d = {:>4}  n = {:>7}                   {:>12} {:>12}     {:>12} {:>12}",
                r.d,
                r.n,
                cell(r.exact_seconds),
                cell(r.gpu_exact_seconds),
                cell(Some(r.kfac_seconds)),
                cell(r.gpu_kfac_seconds)
            );
        }
        let show = |e: Option<f64>| e.map_or("n/a".to_owned(), |e| format!("{e:.2}"));
        let e = &report.kfac_exponents;
        let _ = writeln!(
            s,
            "  fitted exponents of time against n (theory 3 and 1.5): exact CPU {}, GPU {}; \
             K-FAC CPU {}, GPU {}  (–: skipped, over the time budget or memory)",
            show(e[0]),
            show(e[2]),
            show(e[1]),
            show(e[3])
        );
    }
    s.push_str(&presets::presets_table(&report.presets));
    s.push_str(&presets::preset_particles_table(&report.preset_particles));
    s.push_str(&super::policy::policy_table(&report.policy));
    s.push_str(&super::policy::rollout_table(&report.policy_rollouts));
    s
}
