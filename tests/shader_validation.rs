//! Every WGSL file parses and validates with naga after include splicing (no GPU needed), and
//! the embedded source table covers every file on disk. All failures are collected.

use std::path::Path;

use fisherflow::gpu::shader::{SOURCES, spliced, spliced_with_files};

fn wgsl_files(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            wgsl_files(&path, &format!("{prefix}{name}/"), out);
        } else if name.ends_with(".wgsl") {
            out.push(format!("{prefix}{name}"));
        }
    }
}

#[test]
fn every_shader_file_is_embedded() {
    let mut on_disk = Vec::new();
    wgsl_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders"),
        "",
        &mut on_disk,
    );
    on_disk.sort();
    let mut embedded: Vec<String> = SOURCES.iter().map(|(n, _)| n.to_string()).collect();
    embedded.sort();
    assert_eq!(
        on_disk, embedded,
        "gpu::shader::SOURCES must list every .wgsl under shaders/"
    );
}

fn validate(name: &str, source: &str) -> Result<naga::Module, String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .map_err(|e| format!("{name}: {}", e.emit_to_string(source)))?;
    Ok(module)
}

#[test]
fn every_entry_shader_validates_and_every_common_file_is_used() {
    let mut failures = Vec::new();
    let mut used_common = std::collections::HashSet::new();
    for (name, _) in SOURCES.iter().filter(|(n, _)| !n.starts_with("common/")) {
        let (source, files) = spliced_with_files(name);
        used_common.extend(files);
        if let Err(e) = validate(name, &source) {
            failures.push(e);
        }
    }
    for (common, _) in SOURCES.iter().filter(|(n, _)| n.starts_with("common/")) {
        if !used_common.contains(*common) {
            failures.push(format!(
                "{common} is included by no entry shader, so it is never validated"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The size naga's layouter gives the WGSL struct `name` in `shader`.
fn wgsl_struct_size(shader: &str, name: &str) -> usize {
    let source = spliced(shader);
    let module = validate(shader, &source).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    let (handle, _) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("struct {name} not in {shader}"));
    layouter[handle].size as usize
}

#[test]
fn wgsl_struct_sizes_match_gpu_data() {
    use fisherflow::gpu::gpu_data::*;
    let cases = [
        ("fim_field.wgsl", "FieldParams", size_of::<FieldParams>()),
        ("fim_field.wgsl", "FieldCell", size_of::<FieldCell>()),
        ("fim_field.wgsl", "PointInput", size_of::<PointInput>()),
        ("particles.wgsl", "FlowParams", size_of::<FlowParams>()),
        ("particles.wgsl", "Particle", size_of::<Particle>()),
        ("ellipses.wgsl", "EllipseParams", size_of::<EllipseParams>()),
        ("arrows.wgsl", "ArrowParams", size_of::<ArrowParams>()),
        ("lines.wgsl", "View", size_of::<ViewUniform>()),
        (
            "particle_draw.wgsl",
            "ParticleStyle",
            size_of::<ParticleStyle>(),
        ),
        ("trails.wgsl", "TrailParams", size_of::<TrailParams>()),
    ];
    for (shader, name, rust) in cases {
        assert_eq!(wgsl_struct_size(shader, name), rust, "{shader}: {name}");
    }
}

#[test]
fn validator_rejects_a_broken_shader() {
    // Negative control: a type error must be reported, or the test above proves nothing.
    let broken = spliced("fim_field.wgsl").replace(
        "let index = linear_index(gid, groups);",
        "let index: f32 = linear_index(gid, groups);",
    );
    assert!(validate("broken", &broken).is_err());
}

#[test]
fn workgroup_sizes_match_the_dispatch_code() {
    for (shader, rust) in [
        (
            "fim_field.wgsl",
            fisherflow::compute::fim_field::WORKGROUP_SIZE,
        ),
        (
            "particles.wgsl",
            fisherflow::compute::particles::WORKGROUP_SIZE,
        ),
    ] {
        let source = spliced(shader);
        let line = source
            .lines()
            .find(|l| l.starts_with("const WORKGROUP_SIZE: u32 = "))
            .unwrap_or_else(|| panic!("{shader} declares no WORKGROUP_SIZE"));
        let value: u32 = line
            .trim_start_matches("const WORKGROUP_SIZE: u32 = ")
            .trim_end_matches("u;")
            .parse()
            .unwrap();
        assert_eq!(
            value, rust,
            "{shader}: WGSL {value} vs Rust {rust}: dispatches would skip or repeat work"
        );
    }
}
