//! WGSL sources, embedded in the binary, and the one preprocessor feature we allow: a line
//! `// #include <common/name.wgsl>` is replaced by that file (each file at most once per
//! shader, recursively). Being a comment, the directive leaves every file valid WGSL syntax.

use std::collections::HashSet;

/// Every WGSL file under `shaders/`, by path relative to that folder.
pub const SOURCES: &[(&str, &str)] = &[
    (
        "common/colormap.wgsl",
        include_str!("../../shaders/common/colormap.wgsl"),
    ),
    (
        "common/convergence_scheme.wgsl",
        include_str!("../../shaders/common/convergence_scheme.wgsl"),
    ),
    (
        "common/dispatch.wgsl",
        include_str!("../../shaders/common/dispatch.wgsl"),
    ),
    (
        "common/field_cell.wgsl",
        include_str!("../../shaders/common/field_cell.wgsl"),
    ),
    (
        "common/fullscreen.wgsl",
        include_str!("../../shaders/common/fullscreen.wgsl"),
    ),
    (
        "common/gmm.wgsl",
        include_str!("../../shaders/common/gmm.wgsl"),
    ),
    (
        "common/geodesic_scheme.wgsl",
        include_str!("../../shaders/common/geodesic_scheme.wgsl"),
    ),
    (
        "common/metric_jet.wgsl",
        include_str!("../../shaders/common/metric_jet.wgsl"),
    ),
    (
        "common/geodesic_jet.wgsl",
        include_str!("../../shaders/common/geodesic_jet.wgsl"),
    ),
    (
        "common/gmm_general.wgsl",
        include_str!("../../shaders/common/gmm_general.wgsl"),
    ),
    (
        "common/general_point.wgsl",
        include_str!("../../shaders/common/general_point.wgsl"),
    ),
    (
        "common/policy.wgsl",
        include_str!("../../shaders/common/policy.wgsl"),
    ),
    (
        "common/random.wgsl",
        include_str!("../../shaders/common/random.wgsl"),
    ),
    (
        "common/flow_state.wgsl",
        include_str!("../../shaders/common/flow_state.wgsl"),
    ),
    (
        "common/sampling.wgsl",
        include_str!("../../shaders/common/sampling.wgsl"),
    ),
    (
        "common/sym2.wgsl",
        include_str!("../../shaders/common/sym2.wgsl"),
    ),
    (
        "common/view.wgsl",
        include_str!("../../shaders/common/view.wgsl"),
    ),
    ("arrows.wgsl", include_str!("../../shaders/arrows.wgsl")),
    ("cholesky.wgsl", include_str!("../../shaders/cholesky.wgsl")),
    (
        "composite.wgsl",
        include_str!("../../shaders/composite.wgsl"),
    ),
    (
        "convergence.wgsl",
        include_str!("../../shaders/convergence.wgsl"),
    ),
    (
        "convergence_policy.wgsl",
        include_str!("../../shaders/convergence_policy.wgsl"),
    ),
    (
        "convergence_draw.wgsl",
        include_str!("../../shaders/convergence_draw.wgsl"),
    ),
    ("ellipses.wgsl", include_str!("../../shaders/ellipses.wgsl")),
    (
        "estimates.wgsl",
        include_str!("../../shaders/estimates.wgsl"),
    ),
    ("heatmap.wgsl", include_str!("../../shaders/heatmap.wgsl")),
    (
        "fim_field.wgsl",
        include_str!("../../shaders/fim_field.wgsl"),
    ),
    (
        "fim_general.wgsl",
        include_str!("../../shaders/fim_general.wgsl"),
    ),
    ("geodesic.wgsl", include_str!("../../shaders/geodesic.wgsl")),
    (
        "policy_rollouts.wgsl",
        include_str!("../../shaders/policy_rollouts.wgsl"),
    ),
    (
        "geodesic_policy.wgsl",
        include_str!("../../shaders/geodesic_policy.wgsl"),
    ),
    (
        "policy_field.wgsl",
        include_str!("../../shaders/policy_field.wgsl"),
    ),
    (
        "geodesic_ball.wgsl",
        include_str!("../../shaders/geodesic_ball.wgsl"),
    ),
    ("kfac.wgsl", include_str!("../../shaders/kfac.wgsl")),
    ("outside.wgsl", include_str!("../../shaders/outside.wgsl")),
    (
        "solid_fill.wgsl",
        include_str!("../../shaders/solid_fill.wgsl"),
    ),
    ("lines.wgsl", include_str!("../../shaders/lines.wgsl")),
    ("markers.wgsl", include_str!("../../shaders/markers.wgsl")),
    (
        "particle_draw.wgsl",
        include_str!("../../shaders/particle_draw.wgsl"),
    ),
    (
        "particles.wgsl",
        include_str!("../../shaders/particles.wgsl"),
    ),
    (
        "particle_order.wgsl",
        include_str!("../../shaders/particle_order.wgsl"),
    ),
    ("trails.wgsl", include_str!("../../shaders/trails.wgsl")),
];

const INCLUDE_PREFIX: &str = "// #include <";

/// The source of `name` with every include spliced in.
///
/// # Panics
/// When `name` or an included file is not in [`SOURCES`]: shader names are compile-time
/// constants of this crate, and the shader validation test splices every file.
pub fn spliced(name: &str) -> String {
    spliced_with_files(name).0
}

/// The spliced source of `name` and every file that went into it (itself included).
pub fn spliced_with_files(name: &str) -> (String, HashSet<String>) {
    let mut seen = HashSet::new();
    let mut out = String::new();
    splice_into(name, &mut seen, &mut out);
    (out, seen)
}

fn raw(name: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("shader `{name}` is not embedded in gpu::shader::SOURCES"))
}

fn splice_into(name: &str, seen: &mut HashSet<String>, out: &mut String) {
    if !seen.insert(name.to_owned()) {
        return;
    }
    for line in raw(name).lines() {
        match line
            .trim()
            .strip_prefix(INCLUDE_PREFIX)
            .and_then(|r| r.strip_suffix('>'))
        {
            Some(include) => splice_into(include, seen, out),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
}

/// Creates a labelled shader module from a spliced source.
pub fn create_module(device: &wgpu::Device, name: &str) -> wgpu::ShaderModule {
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(name),
        source: wgpu::ShaderSource::Wgsl(spliced(name).into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_are_spliced_once() {
        let s = spliced("fim_field.wgsl");
        assert!(!s.contains(INCLUDE_PREFIX));
        assert_eq!(s.matches("fn sym2_det").count(), 1);
        assert_eq!(s.matches("fn stable_tanh").count(), 1);
    }
}
