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
        ("outside.wgsl", "OutsideParams", size_of::<OutsideParams>()),
        ("arrows.wgsl", "ArrowParams", size_of::<ArrowParams>()),
        ("lines.wgsl", "View", size_of::<ViewParams>()),
        (
            "particle_draw.wgsl",
            "ParticleStyle",
            size_of::<ParticleStyle>(),
        ),
        ("trails.wgsl", "TrailParams", size_of::<TrailParams>()),
        (
            "fim_general.wgsl",
            "GeneralParams",
            size_of::<fisherflow::gpu::general_data::GeneralParams>(),
        ),
        (
            "fim_general.wgsl",
            "GeneralPointInput",
            size_of::<fisherflow::gpu::general_data::GeneralPointInput>(),
        ),
        ("fim_general.wgsl", "FieldCell", size_of::<FieldCell>()),
        (
            "fim_general.wgsl",
            "GeneralGridParams",
            size_of::<fisherflow::gpu::general_data::GeneralGridParams>(),
        ),
        (
            "geodesic.wgsl",
            "GeodesicParams",
            size_of::<fisherflow::gpu::geodesic_data::GeodesicParams>(),
        ),
        (
            "geodesic.wgsl",
            "GeodesicState",
            size_of::<fisherflow::gpu::geodesic_data::GeodesicState>(),
        ),
        (
            "geodesic.wgsl",
            "GeodesicSegment",
            size_of::<fisherflow::gpu::geodesic_data::GeodesicSegment>(),
        ),
        (
            "geodesic_ball.wgsl",
            "BallStyle",
            size_of::<fisherflow::gpu::geodesic_data::BallStyle>(),
        ),
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
        (
            "geodesic.wgsl",
            fisherflow::compute::geodesic::WORKGROUP_SIZE,
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

/// The vertex inputs of `entry` in `shader`: location → (member name, byte size of its type).
fn vertex_inputs(shader: &str, entry: &str) -> std::collections::HashMap<u32, (String, u32)> {
    let source = spliced(shader);
    let module = validate(shader, &source).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    let function = &module
        .entry_points
        .iter()
        .find(|e| e.name == entry)
        .unwrap_or_else(|| panic!("{shader} has no entry point {entry}"))
        .function;
    let mut out = std::collections::HashMap::new();
    for argument in &function.arguments {
        if let naga::TypeInner::Struct { members, .. } = &module.types[argument.ty].inner {
            for m in members {
                if let Some(naga::Binding::Location { location, .. }) = m.binding {
                    let name = m.name.clone().unwrap_or_default();
                    out.insert(location, (name, layouter[m.ty].size));
                }
            }
        }
    }
    out
}

/// The members of the WGSL struct `name` in `shader`: name → (offset, byte size), as naga lays
/// the struct out (storage layout rules), independently of the Rust side.
fn struct_members(shader: &str, name: &str) -> std::collections::HashMap<String, (u32, u32)> {
    let source = spliced(shader);
    let module = validate(shader, &source).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    let (_, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("struct {name} not in {shader}"));
    let naga::TypeInner::Struct { members, .. } = &ty.inner else {
        panic!("{name} is not a struct");
    };
    members
        .iter()
        .map(|m| {
            (
                m.name.clone().unwrap_or_default(),
                (m.offset, layouter[m.ty].size),
            )
        })
        .collect()
}

/// Checks an instance attribute table against the shader's vertex inputs (same locations, same
/// sizes), against the WGSL storage struct the buffer really holds (same offsets, by member
/// name), and against the Rust stride. Returns every mismatch.
fn check_attributes(
    shader: &str,
    attributes: &[wgpu::VertexAttribute],
    storage: Option<(&str, &str)>,
    stride: usize,
) -> Result<(), Vec<String>> {
    let inputs = vertex_inputs(shader, "vs_main");
    let members = storage.map(|(file, name)| struct_members(file, name));
    let mut problems = Vec::new();
    for a in attributes {
        let size = a.format.size() as u32;
        let Some((name, input_size)) = inputs.get(&a.shader_location) else {
            problems.push(format!(
                "{shader}: no vertex input at location {}",
                a.shader_location
            ));
            continue;
        };
        if *input_size != size {
            problems.push(format!(
                "{shader}: location {} ({name}) is {input_size} bytes in WGSL, {size} in Rust",
                a.shader_location
            ));
        }
        if a.offset as usize + size as usize > stride {
            problems.push(format!(
                "{shader}: {name} runs past the {stride}-byte stride"
            ));
        }
        if let (Some(members), Some((file, struct_name))) = (&members, storage) {
            match members.get(name) {
                Some(&(offset, member_size)) => {
                    if offset as u64 != a.offset || member_size != size {
                        problems.push(format!(
                            "{shader}: {name} read at byte {} ({size} bytes) but {file}'s \
                             {struct_name} has it at byte {offset} ({member_size} bytes)",
                            a.offset
                        ));
                    }
                }
                None => problems.push(format!("{file}: {struct_name} has no member {name}")),
            }
        }
    }
    if inputs.len() != attributes.len() {
        problems.push(format!(
            "{shader}: {} vertex inputs, {} attributes",
            inputs.len(),
            attributes.len()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[test]
fn vertex_attributes_match_the_wgsl_layouts() {
    use fisherflow::features::field::layer_ellipses as ellipses;
    use fisherflow::features::flow::layer_particles as particle_draw;
    use fisherflow::gpu::gpu_data::*;
    use fisherflow::render::{lines, markers};
    /// (shader, attribute table, the WGSL struct the buffer holds, Rust stride).
    type Case<'a> = (
        &'a str,
        &'a [wgpu::VertexAttribute],
        Option<(&'a str, &'a str)>,
        usize,
    );
    let cases: [Case; 5] = [
        (
            "geodesic_ball.wgsl",
            &fisherflow::features::geodesics::layer_ball::SEGMENT_ATTRIBUTES,
            Some(("geodesic.wgsl", "GeodesicSegment")),
            size_of::<fisherflow::gpu::geodesic_data::GeodesicSegment>(),
        ),
        (
            "ellipses.wgsl",
            &ellipses::CELL_ATTRIBUTES,
            Some(("ellipses.wgsl", "FieldCell")),
            size_of::<FieldCell>(),
        ),
        (
            "particle_draw.wgsl",
            &particle_draw::PARTICLE_ATTRIBUTES,
            Some(("particles.wgsl", "Particle")),
            size_of::<Particle>(),
        ),
        (
            "lines.wgsl",
            &lines::LINE_ATTRIBUTES,
            None,
            size_of::<LineInstance>(),
        ),
        (
            "markers.wgsl",
            &markers::MARKER_ATTRIBUTES,
            None,
            size_of::<MarkerInstance>(),
        ),
    ];
    for (shader, attributes, storage, stride) in cases {
        if let Err(problems) = check_attributes(shader, attributes, storage, stride) {
            panic!("{}", problems.join("\n"));
        }
    }
    // Negative controls: reading q_max from where rotated lives, a wrong width, and a
    // missing attribute must each be caught.
    let mut shifted = ellipses::CELL_ATTRIBUTES;
    shifted[3].offset = ellipses::CELL_ATTRIBUTES[2].offset;
    let errors = check_attributes(
        "ellipses.wgsl",
        &shifted,
        Some(("ellipses.wgsl", "FieldCell")),
        size_of::<FieldCell>(),
    )
    .unwrap_err();
    assert!(errors[0].contains("q_max read at byte 32"), "{errors:?}");
    let mut narrow = particle_draw::PARTICLE_ATTRIBUTES;
    narrow[2].format = wgpu::VertexFormat::Float32x2;
    let errors = check_attributes(
        "particle_draw.wgsl",
        &narrow,
        Some(("particles.wgsl", "Particle")),
        size_of::<Particle>(),
    )
    .unwrap_err();
    assert!(errors[0].contains("speed"), "{errors:?}");
    let errors = check_attributes(
        "lines.wgsl",
        &lines::LINE_ATTRIBUTES[..3],
        None,
        size_of::<LineInstance>(),
    )
    .unwrap_err();
    assert!(
        errors[0].contains("4 vertex inputs, 3 attributes"),
        "{errors:?}"
    );
}

/// The value of `const NAME: u32 = …u;` in the spliced `shader`.
fn wgsl_u32_const(shader: &str, name: &str) -> Option<u32> {
    let prefix = format!("const {name}: u32 = ");
    spliced(shader).lines().find_map(|line| {
        let rest = line.trim().strip_prefix(&prefix)?;
        let value = rest.split(';').next()?.trim().trim_end_matches('u');
        value.parse().ok()
    })
}

#[test]
fn integer_codes_match_the_wgsl_constants() {
    use fisherflow::gpu::geodesic_data;
    use fisherflow::gpu::gpu_data::{FlowMode, Integrator, flags, flow_flags};
    let cases = [
        ("particles.wgsl", "MODE_NATURAL", FlowMode::Natural.code()),
        (
            "particles.wgsl",
            "MODE_EUCLIDEAN",
            FlowMode::Euclidean.code(),
        ),
        ("particles.wgsl", "MODE_BOTH", FlowMode::Both.code()),
        (
            "particles.wgsl",
            "MODE_NATURAL_VS_EF",
            FlowMode::NaturalVsEmpirical.code(),
        ),
        (
            "particles.wgsl",
            "PARTICLE_EMPIRICAL",
            fisherflow::cpu::particles::PARTICLE_EMPIRICAL,
        ),
        ("particles.wgsl", "INTEGRATOR_RK4", Integrator::Rk4.code()),
        (
            "particles.wgsl",
            "INTEGRATOR_EULER",
            Integrator::Euler.code(),
        ),
        (
            "fim_field.wgsl",
            "FLAG_KAPPA_INFINITE",
            flags::KAPPA_INFINITE,
        ),
        (
            "fim_field.wgsl",
            "FLAG_NATGRAD_UNDEFINED",
            flags::NATGRAD_UNDEFINED,
        ),
        (
            "fim_field.wgsl",
            "FLAG_ANGLE_UNDEFINED",
            flags::ANGLE_UNDEFINED,
        ),
        ("fim_field.wgsl", "FLAG_HAS_TARGET", flags::HAS_TARGET),
        ("particles.wgsl", "FLAG_TRACE", flow_flags::TRACE),
        ("particles.wgsl", "SPAWN_FRESH", flow_flags::SPAWN_FRESH),
        ("particles.wgsl", "FLAG_GENERAL", flow_flags::GENERAL),
        (
            "particles.wgsl",
            "METRIC_PROFILED",
            fisherflow::math::Metric::Profiled.code(),
        ),
        (
            "fim_general.wgsl",
            "FLAG_OUTSIDE_MODEL",
            fisherflow::gpu::general_data::FLAG_OUTSIDE_MODEL,
        ),
        (
            "geodesic.wgsl",
            "STOP_SINGULAR",
            geodesic_data::STOP_SINGULAR,
        ),
        ("geodesic.wgsl", "STOP_OUTSIDE", geodesic_data::STOP_OUTSIDE),
        ("geodesic.wgsl", "STOP_STEP", geodesic_data::STOP_STEP),
        ("geodesic.wgsl", "SEGMENT_NONE", geodesic_data::SEGMENT_NONE),
        ("geodesic.wgsl", "SEGMENT_RING", geodesic_data::SEGMENT_RING),
        (
            "geodesic.wgsl",
            "SEGMENT_SPOKE",
            geodesic_data::SEGMENT_SPOKE,
        ),
        (
            "geodesic_ball.wgsl",
            "SEGMENT_RING",
            geodesic_data::SEGMENT_RING,
        ),
        (
            "geodesic_ball.wgsl",
            "SEGMENT_SPOKE",
            geodesic_data::SEGMENT_SPOKE,
        ),
        (
            "geodesic.wgsl",
            "SUBSTEP_BUDGET",
            geodesic_data::SUBSTEP_BUDGET,
        ),
        (
            "geodesic.wgsl",
            "SUBSTEPS_PER_DISPATCH",
            geodesic_data::SUBSTEPS_PER_DISPATCH,
        ),
    ];
    let mut problems = Vec::new();
    for (shader, name, rust) in cases {
        match wgsl_u32_const(shader, name) {
            Some(wgsl) if wgsl == rust => {}
            Some(wgsl) => problems.push(format!("{shader}: {name} = {wgsl}, Rust says {rust}")),
            None => problems.push(format!("{shader} declares no `const {name}: u32`")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Negative controls of the reader: a name the shader lacks, and a constant it has.
    assert_eq!(wgsl_u32_const("particles.wgsl", "MODE_NONEXISTENT"), None);
    assert_eq!(wgsl_u32_const("particles.wgsl", "MODE_BOTH"), Some(2));
    // Names round-trip and a wrong one lists the choices.
    for mode in FlowMode::ALL {
        assert_eq!(mode.name().parse::<FlowMode>().unwrap(), mode);
    }
    let err = "sideways".parse::<FlowMode>().unwrap_err().to_string();
    assert!(err.contains("natural, euclidean, both"), "{err}");
}

/// Whether `block` (or a block nested in it) holds a loop.
fn block_has_loop(block: &naga::Block) -> bool {
    block.iter().any(|statement| match statement {
        naga::Statement::Loop { .. } => true,
        naga::Statement::Block(inner) => block_has_loop(inner),
        naga::Statement::If { accept, reject, .. } => {
            block_has_loop(accept) || block_has_loop(reject)
        }
        naga::Statement::Switch { cases, .. } => cases.iter().any(|c| block_has_loop(&c.body)),
        _ => false,
    })
}

/// Whether `pointer` (an expression of `function`) reaches a uniform buffer through constant
/// indices only: a field, a literal or constant index, or the variable itself. A read at a
/// computed index (a loop's node k) is not one.
fn constant_uniform_place(
    module: &naga::Module,
    function: &naga::Function,
    pointer: naga::Handle<naga::Expression>,
) -> bool {
    match function.expressions[pointer] {
        naga::Expression::GlobalVariable(g) => {
            module.global_variables[g].space == naga::AddressSpace::Uniform
        }
        naga::Expression::AccessIndex { base, .. } => {
            constant_uniform_place(module, function, base)
        }
        naga::Expression::Access { base, index } => {
            matches!(
                function.expressions[index],
                naga::Expression::Literal(_) | naga::Expression::Constant(_)
            ) && constant_uniform_place(module, function, base)
        }
        _ => false,
    }
}

/// Whether a module has a loop and reads a uniform buffer at a constant offset: what lavapipe
/// (Mesa 22, CI's driver) recompiles at every bind of its pipeline, inlining the uniform values
/// that bound its loops or decide its branches (`compute::stage_layout`). Lavapipe inlines
/// only loads at constant offsets (`lvp_inline_uniforms.c`: "Only replace loads with constant
/// offsets"), so a uniform table read at a loop's index — the quadrature nodes,
/// `compute::node_table` — is never inlined. Conservative otherwise: any such read, any loop.
fn recompiled_by_lavapipe(module: &naga::Module) -> bool {
    let functions = || {
        module
            .functions
            .iter()
            .map(|(_, f)| f)
            .chain(module.entry_points.iter().map(|e| &e.function))
    };
    let constant_read = functions().any(|f| {
        f.expressions.iter().any(|(_, e)| match *e {
            naga::Expression::Load { pointer } => constant_uniform_place(module, f, pointer),
            _ => false,
        })
    });
    let looped = functions().any(|f| block_has_loop(&f.body));
    constant_read && looped
}

/// No shader keeps parameters in a uniform buffer and loops: every frame that bound one
/// compiled it again on lavapipe (a filling convergence map cost 5–8 ms a frame with Mesa's
/// disk cache warm, 200 ms with it cold). The parameters are read-only storage buffers instead;
/// the one uniform buffer, the node table, is read only at computed indices.
#[test]
fn no_shader_with_loops_reads_a_uniform_buffer() {
    let offenders: Vec<&str> = SOURCES
        .iter()
        .filter(|(n, _)| !n.starts_with("common/"))
        .filter(|(name, _)| {
            let module = naga::front::wgsl::parse_str(&spliced(name)).unwrap();
            recompiled_by_lavapipe(&module)
        })
        .map(|(n, _)| *n)
        .collect();
    assert!(
        offenders.is_empty(),
        "{offenders:?} loop and read a uniform buffer at a constant offset: use \
         var<storage, read> for parameters"
    );
    // Controls: a uniform bounding a loop is flagged; the same loop over a storage buffer's
    // bound, or a uniform in a shader without loops, is not.
    let parse = |src: &str| naga::front::wgsl::parse_str(src).unwrap();
    let looped = "struct P { n: u32 }
        @group(0) @binding(0) var<SPACE> p: P;
        @group(0) @binding(1) var<storage, read_write> out: array<f32>;
        @compute @workgroup_size(1) fn main() {
            for (var i = 0u; i < p.n; i++) { out[i] = 1.0; }
        }";
    assert!(recompiled_by_lavapipe(&parse(
        &looped.replace("SPACE", "uniform")
    )));
    assert!(!recompiled_by_lavapipe(&parse(
        &looped.replace("SPACE", "storage, read")
    )));
    let straight = "struct P { x: f32 }
        @group(0) @binding(0) var<uniform> p: P;
        @group(0) @binding(1) var<storage, read_write> out: array<f32>;
        @compute @workgroup_size(1) fn main() { out[0] = p.x; }";
    assert!(!recompiled_by_lavapipe(&parse(straight)));
    // A uniform table read at the loop's index (the node table) is not inlined; the same table
    // read at a constant index is flagged.
    let table = "@group(0) @binding(0) var<storage, read> n: u32;
        @group(0) @binding(1) var<uniform> nodes: array<vec4<f32>, 4>;
        @group(0) @binding(2) var<storage, read_write> out: array<f32>;
        @compute @workgroup_size(1) fn main() {
            var sum = 0.0;
            for (var k = 0u; k < n; k++) { sum += nodes[INDEX].y; }
            out[0] = sum;
        }";
    assert!(!recompiled_by_lavapipe(&parse(
        &table.replace("INDEX", "k")
    )));
    assert!(recompiled_by_lavapipe(&parse(
        &table.replace("INDEX", "2u")
    )));
}

/// The storage-buffer structs (not per-element arrays) that a fragment entry point of `source`
/// reads, directly or through the functions it calls, as "entry: variable".
fn fragment_parameter_reads(name: &str, source: &str) -> Vec<String> {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
    let mut reads = Vec::new();
    for (index, entry) in module.entry_points.iter().enumerate() {
        if entry.stage != naga::ShaderStage::Fragment {
            continue;
        }
        let uses = info.get_entry_point(index);
        for (handle, variable) in module.global_variables.iter() {
            let per_element = matches!(
                module.types[variable.ty].inner,
                naga::TypeInner::Array {
                    size: naga::ArraySize::Dynamic,
                    ..
                }
            );
            if matches!(variable.space, naga::AddressSpace::Storage { .. })
                && !per_element
                && uses[handle].contains(naga::valid::GlobalUse::READ)
            {
                let variable = variable.name.as_deref().unwrap_or("?");
                reads.push(format!("{name}: {}: {variable}", entry.name));
            }
        }
    }
    reads
}

/// No fragment shader reads its draw's parameters from a storage buffer: on llvmpipe (Mesa 22)
/// such a read is a loop over the SIMD lanes for each component, ~3 ms per scalar over a
/// 1100 × 860 canvas (the convergence map's first draw cost 72–82 ms that way, 25–34 ms with
/// flat inputs). The vertex stage reads them and hands them on as flat inputs
/// (`render::pipeline::params_entry`). Per-pixel records (the map's cells) are arrays, allowed.
#[test]
fn fragment_shaders_take_their_parameters_as_flat_inputs() {
    let mut reads = Vec::new();
    for (name, _) in SOURCES.iter().filter(|(n, _)| !n.starts_with("common/")) {
        reads.extend(fragment_parameter_reads(name, &spliced(name)));
    }
    assert!(
        reads.is_empty(),
        "fragment shaders reading parameters from storage:\n{}",
        reads.join("\n")
    );
}

/// Negative and positive controls of the check above: a fragment shader reading a parameter
/// struct through a helper function is caught, one reading only a per-pixel array or a flat
/// input is not.
#[test]
fn the_fragment_parameter_check_catches_a_storage_read() {
    let reads_params = "
        struct Params { opacity: f32, scale: f32 }
        @group(0) @binding(0) var<storage, read> params: Params;
        @group(0) @binding(1) var<storage, read> records: array<f32>;
        fn faded(x: f32) -> f32 { return x * params.opacity; }
        @vertex fn vs() -> @builtin(position) vec4<f32> { return vec4<f32>(params.scale); }
        @fragment fn fs(@builtin(position) p: vec4<f32>) -> @location(0) vec4<f32> {
            return vec4<f32>(faded(records[u32(p.x)]));
        }";
    assert_eq!(
        fragment_parameter_reads("control", reads_params),
        ["control: fs: params"]
    );
    let flat = "
        struct Params { opacity: f32, scale: f32 }
        struct Out {
            @builtin(position) position: vec4<f32>,
            @location(0) @interpolate(flat) opacity: f32,
        }
        @group(0) @binding(0) var<storage, read> params: Params;
        @group(0) @binding(1) var<storage, read> records: array<f32>;
        @vertex fn vs() -> Out { return Out(vec4<f32>(params.scale), params.opacity); }
        @fragment fn fs(in: Out) -> @location(0) vec4<f32> {
            return vec4<f32>(records[u32(in.position.x)] * in.opacity);
        }";
    assert!(fragment_parameter_reads("control", flat).is_empty());
}
