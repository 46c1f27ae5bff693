// Flow particles: one instanced capsule per particle from its previous to its current position
// (a streak; a dot when it barely moved), read straight from the particle state buffer bound
// as an instance vertex buffer. Coloured by mode (natural cyan, Euclidean red, EF orange) or by
// Fisher–Rao speed on the colour map. Drawn into the trail texture (see trails.wgsl).
// Rust side: src/render/particle_draw.rs.

// #include <common/view.wgsl>
// #include <common/colormap.wgsl>

struct ParticleStyle {
    natural_color: vec4<f32>,   // linear RGBA
    euclid_color: vec4<f32>,
    radius_px: f32,
    color_by_speed: u32,        // 0: by mode, 1: by Fisher–Rao speed
    log_speed_min: f32,         // log10 speed at the bottom of the colour map
    log_speed_max: f32,
    empirical_color: vec4<f32>, // particle mode PARTICLE_EMPIRICAL (natural-vs-EF mode)
    crash_color: vec4<f32>,     // a policy-plane particle that stepped out of the triangle
}

// A crashed particle's radius over a live one's.
const CRASH_SCALE: f32 = 3.0;

@group(0) @binding(0) var<storage, read> view: View;
@group(0) @binding(1) var<storage, read> style: ParticleStyle;

struct ParticleAttributes {
    @location(0) position: vec2<f32>,
    @location(1) previous: vec2<f32>,
    @location(2) speed: f32,
    @location(3) mode: u32,
}

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) local_px: vec2<f32>,                    // (along, across) from `previous`
    @location(1) @interpolate(flat) length_px: f32,
    @location(2) @interpolate(flat) color: vec4<f32>,
    @location(3) @interpolate(flat) radius_px: f32,
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, p: ParticleAttributes) -> VertexOut {
    // Everything in display units from the view centre (see common/view.wgsl).
    let head = world_to_offset(view, p.position);
    let delta = world_to_display(view, p.position - p.previous);
    var length_px = length(delta) / view.world_per_px;
    // A jump (respawn) is not a streak: draw only the head.
    if length_px > 200.0 {
        length_px = 0.0;
    }
    var direction = vec2<f32>(1.0, 0.0);
    if length_px > 1e-3 {
        direction = delta / (length_px * view.world_per_px);
    }
    let start = head - direction * length_px * view.world_per_px;
    // A crash (policy plane, mode bit 4): a burst in the crash colour, CRASH_SCALE times the
    // radius, over its whole hold.
    let crashed = (p.mode & 4u) != 0u;
    let radius_px = style.radius_px * select(1.0, CRASH_SCALE, crashed);
    let r = radius_px + 1.0;
    let corner = vec2<f32>(f32(vertex & 1u), f32(vertex >> 1u));
    let along = mix(-r, length_px + r, corner.x);
    let across = mix(-r, r, corner.y);
    let offset = start + (direction * along + perpendicular(direction) * across) * view.world_per_px;
    var out: VertexOut;
    out.clip = offset_to_clip(view, offset);
    out.local_px = vec2<f32>(along, across);
    out.length_px = length_px;
    if style.color_by_speed != 0u {
        let t = (log(max(p.speed, 1e-12)) / log(10.0) - style.log_speed_min)
            / (style.log_speed_max - style.log_speed_min);
        out.color = vec4<f32>(colormap(t), 1.0);
    } else {
        // Particle modes (particles.wgsl): 0 natural, 1 Euclidean, 3 along the EF step; bit 4
        // a crash on the policy plane (kept with the mode's code).
        let mode = p.mode & 3u;
        out.color = style.natural_color;
        if mode == 1u {
            out.color = style.euclid_color;
        } else if mode == 3u {
            out.color = style.empirical_color;
        }
    }
    if crashed {
        out.color = style.crash_color;
    }
    out.radius_px = radius_px;
    // Invisible until spawned.
    if any(abs(p.position) > vec2<f32>(1e30)) {
        out.clip = vec4<f32>(2.0, 2.0, 0.0, 1.0);
    }
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let along = clamp(in.local_px.x, 0.0, in.length_px);
    let d = length(vec2<f32>(in.local_px.x - along, in.local_px.y)) - in.radius_px;
    let coverage = clamp(0.5 - d, 0.0, 1.0);
    let alpha = coverage * in.color.a;
    if alpha <= 0.0 {
        discard;
    }
    return vec4<f32>(in.color.rgb * alpha, alpha);
}
