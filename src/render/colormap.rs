//! Colours on the CPU side: sRGB ↔ linear and the κ colour map, the twin of
//! `shaders/common/colormap.wgsl` (same anchors), used for the legend and by tests that read
//! rendered pixels.

/// The colour map's anchors in sRGB (viridis from t = 0.25 on; see the shader).
pub const COLORMAP_ANCHORS: [[f32; 3]; 7] = [
    [0.243, 0.290, 0.537],
    [0.192, 0.408, 0.557],
    [0.149, 0.510, 0.557],
    [0.122, 0.620, 0.537],
    [0.208, 0.718, 0.475],
    [0.427, 0.804, 0.349],
    [0.992, 0.906, 0.145],
];

/// The colour map at t ∈ [0, 1], in sRGB (what lands in an sRGB texture).
pub fn colormap_srgb(t: f32) -> [f32; 3] {
    let x = t.clamp(0.0, 1.0) * 6.0;
    let i = (x.floor() as usize).min(5);
    let f = x - i as f32;
    let (a, b) = (COLORMAP_ANCHORS[i], COLORMAP_ANCHORS[i + 1]);
    [
        a[0] + (b[0] - a[0]) * f,
        a[1] + (b[1] - a[1]) * f,
        a[2] + (b[2] - a[2]) * f,
    ]
}

/// One sRGB channel to linear light.
pub fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// A `0xRRGGBB` sRGB colour with straight alpha, as linear RGBA for the shaders.
pub fn linear_rgba(hex: u32, alpha: f32) -> [f32; 4] {
    let channel = |shift: u32| srgb_to_linear(((hex >> shift) & 0xff) as f32 / 255.0);
    [channel(16), channel(8), channel(0), alpha]
}

/// The palette shared by the renderer, the UI and the tests.
pub mod palette {
    /// Canvas background.
    pub const BACKGROUND: u32 = 0x14161c;
    /// Euclidean descent direction −∇L (red).
    pub const EUCLID: u32 = 0xff4b3e;
    /// Natural descent direction (cyan).
    pub const NATURAL: u32 = 0x2ee6f0;
    /// Outline of clamped ellipses.
    pub const CLAMPED: u32 = 0xff8c00;
    /// The target handle θ*.
    pub const TARGET: u32 = 0xffffff;
    /// The twin handle.
    pub const TWIN: u32 = 0xffc94d;
    /// Axes.
    pub const AXIS: u32 = 0xb8bcc8;
    /// The faint lines across the canvas at the axes' ticks (the word "grid" is kept for the
    /// field's lattice of cells).
    pub const TICK_LINE: u32 = 0x2c303a;
    /// The diagonal μ1 = μ2.
    pub const DIAGONAL: u32 = 0xff6ad5;
    /// Shortest paths (Fisher–Rao geodesics within the slice) from the probe.
    pub const GEODESIC: u32 = 0x8dff5a;
    /// A flow particle that stepped out of the policy plane's stability triangle (a crash).
    pub const CRASH: u32 = 0xfff06a;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colormap_ends_midpoint_and_interpolation() {
        // Hand literals (the viridis-like anchors as designed), not the table itself.
        let close = |a: [f32; 3], b: [f32; 3]| (0..3).all(|i| (a[i] - b[i]).abs() < 1e-6);
        assert!(close(colormap_srgb(0.0), [0.243, 0.290, 0.537]));
        assert!(close(colormap_srgb(1.0), [0.992, 0.906, 0.145]));
        assert!(
            close(colormap_srgb(2.0), [0.992, 0.906, 0.145]),
            "clamped above"
        );
        assert!(close(colormap_srgb(0.5), [0.122, 0.620, 0.537]));
        // t = 1/12 is halfway between the first two anchors (six segments).
        assert!(close(colormap_srgb(1.0 / 12.0), [0.2175, 0.349, 0.547]));
        assert!(
            !close(colormap_srgb(0.1), [0.2175, 0.349, 0.547]),
            "negative control"
        );
    }

    #[test]
    fn srgb_conversion_known_values() {
        assert_eq!(linear_rgba(0xffffff, 1.0), [1.0, 1.0, 1.0, 1.0]);
        assert!((srgb_to_linear(0.5) - 0.214).abs() < 1e-3);
    }
}
