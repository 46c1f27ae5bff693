//! Fonts and visuals shared by every egui context fisherflow creates (the viewer, captures,
//! tests).

use std::sync::Arc;

/// DejaVu subsets with the glyphs egui's default fonts lack (∇, ᵀ, arrows, ⁻¹, …); see
/// `assets/fonts/` for the licence and how they were cut.
const MATH_FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-math.ttf");
const MATH_MONO_FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono-math.ttf");

/// Fonts and visuals for every egui context fisherflow creates (viewer, captures, tests).
pub fn setup_egui(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    for (name, bytes, family) in [
        ("dejavu-math", MATH_FONT, egui::FontFamily::Proportional),
        (
            "dejavu-mono-math",
            MATH_MONO_FONT,
            egui::FontFamily::Monospace,
        ),
    ] {
        fonts.font_data.insert(
            name.to_owned(),
            Arc::new(egui::FontData::from_static(bytes)),
        );
        fonts
            .families
            .entry(family)
            .or_default()
            .push(name.to_owned());
    }
    ctx.set_fonts(fonts);
    ctx.set_visuals(egui::Visuals::dark());
}
