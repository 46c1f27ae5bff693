//! The K-FAC tab (issue 13): the exact layer Fisher block beside K-FAC's G ⊗ A and their
//! difference on one log colour scale, the per-layer error and natural-gradient cosine, both
//! spectra, the three optimizers' loss curves and the measured cost of the two solves.
//!
//! Everything numeric comes from the lab's job (`job.rs`: f64, its own thread, the newest
//! snapshot handed in by the caller) and from a cost measurement run on demand on another
//! thread; this module only draws what has arrived, so the window stays responsive at any
//! width. It returns the edited [`KfacLab`] settings, which the caller applies to the scene,
//! and whether the user asked to start training again.

use std::sync::mpsc::Receiver;

use egui::{Color32, ColorImage, RichText, TextureHandle, TextureOptions};
use egui_plot::{HoverPosition, Legend, Line, Plot, PlotImage, PlotPoint};

use crate::kfac::Trainer;
use crate::kfac::cost::{SolveTiming, fit_exponent, measure};
use crate::kfac::lab::{KfacLab, LAB_HIDDEN_RANGE, LabSnapshot};
use crate::render::colormap::colormap_srgb;

/// Decades of the shared log colour scale below the largest entry.
const DECADES: f32 = 8.0;

/// Colours of SGD, K-FAC and NGD in the plots.
const TRAINER_COLORS: [Color32; 3] = [
    Color32::from_rgb(230, 90, 80),
    Color32::from_rgb(80, 200, 230),
    Color32::from_rgb(240, 200, 60),
];

/// The heatmaps drawn: (step, layer, settings hash), the three textures, the three matrices.
type HeatCache = ((u32, usize, u64), [TextureHandle; 3], [Vec<f32>; 3]);

/// The tab's own state: the shown layer, the uploaded heatmaps and the cost measurement.
pub struct KfacTab {
    layer: usize,
    /// The drawn layer's three matrices and their textures, rebuilt only when the snapshot,
    /// the layer or the settings change.
    textures: Option<HeatCache>,
    cost: Option<Vec<SolveTiming>>,
    cost_running: Option<Receiver<Vec<SolveTiming>>>,
}

impl Default for KfacTab {
    fn default() -> Self {
        Self::new()
    }
}

/// The three matrices of a layer as drawn: F, G ⊗ A, |F − G ⊗ A|.
fn heat_values(s: &crate::kfac::lab::LayerSnapshot) -> [Vec<f32>; 3] {
    let diff = s
        .exact
        .iter()
        .zip(&s.kronecker)
        .map(|(a, b)| (a - b).abs())
        .collect();
    [s.exact.clone(), s.kronecker.clone(), diff]
}

/// Entry magnitudes to colours on one log scale: the largest |entry| of all three at the top,
/// DECADES below it at the bottom, exact zeros black.
fn heat_images(values: &[Vec<f32>; 3], n: usize) -> [ColorImage; 3] {
    let top = values
        .iter()
        .flat_map(|v| v.iter())
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(f32::MIN_POSITIVE)
        .log10();
    values.each_ref().map(|v| {
        let pixels = v
            .iter()
            .map(|&x| {
                if x == 0.0 {
                    return Color32::BLACK;
                }
                let t = (x.abs().log10() - (top - DECADES)) / DECADES;
                let [r, g, b] = colormap_srgb(t);
                Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
            })
            .collect();
        ColorImage {
            size: [n, n],
            pixels,
            source_size: egui::vec2(n as f32, n as f32),
        }
    })
}

impl KfacTab {
    /// A tab showing layer 1.
    pub fn new() -> Self {
        Self {
            layer: 1,
            textures: None,
            cost: None,
            cost_running: None,
        }
    }

    /// Draws the tab from the lab's newest `snapshot`; returns the settings when a widget
    /// changed them, and whether reset was pressed.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lab: &KfacLab,
        snapshot: Option<std::sync::Arc<LabSnapshot>>,
    ) -> (Option<KfacLab>, bool) {
        let mut edited = *lab;
        let reset = controls(ui, &mut edited);
        ui.separator();
        match snapshot {
            None => {
                ui.label("computing the blocks…");
                ui.ctx().request_repaint();
            }
            Some(snap) => {
                if lab.training || snap.settings != *lab {
                    ui.ctx().request_repaint();
                }
                self.results(ui, &snap);
            }
        }
        ((edited != *lab).then_some(edited), reset)
    }

    fn results(&mut self, ui: &mut egui::Ui, snap: &LabSnapshot) {
        ui.horizontal(|ui| {
            ui.label(format!(
                "step {} — matrices at the {} weights; expectation: {}",
                snap.step,
                snap.settings.shown.name(),
                if snap.settings.samples > 0 {
                    format!("{} samples", snap.settings.samples)
                } else {
                    format!("quadrature, {} nodes per component", snap.settings.nodes)
                }
            ));
        });
        // Per-layer figures.
        egui::Grid::new("kfac figures")
            .striped(true)
            .show(ui, |ui| {
                ui.label(RichText::new("layer").strong());
                ui.label(RichText::new("d_in × d_out").strong());
                ui.label(RichText::new("‖F − G⊗A‖_F / ‖F‖_F").strong());
                ui.label(RichText::new("cos(exact, K-FAC) natural gradient").strong());
                ui.end_row();
                for (l, s) in snap.layers.iter().enumerate() {
                    ui.radio_value(&mut self.layer, l + 1, format!("{}", l + 1));
                    ui.label(format!(
                        "{} × {} (n = {})",
                        s.d_in,
                        s.d_out,
                        s.d_in * s.d_out
                    ));
                    ui.label(format!("{:.4e}", s.rel_error));
                    ui.label(format!("{:.6}", s.cosine));
                    ui.end_row();
                }
            });
        ui.label(
            RichText::new(format!(
                "damping λ = {:.1e}: exact (F + λI)⁻¹∇, K-FAC (G + (√λ/π)I)⁻¹ ⊗ (A + π√λ I)⁻¹ \
                 with Martens–Grosse's π = √((tr A/d_in)/(tr G/d_out))",
                snap.settings.damping
            ))
            .small(),
        );
        ui.separator();
        let layer = &snap.layers[self.layer - 1];
        let n = layer.d_in * layer.d_out;
        if layer.exact.is_empty() {
            ui.label(format!(
                "layer {} has n = {n} parameters: its n × n matrices are not drawn at this width \
                 (the figures and spectra above and below are still exact)",
                self.layer
            ));
        } else {
            self.heatmaps(ui, snap, n);
        }
        ui.separator();
        ui.columns(3, |cols| {
            spectra_plot(&mut cols[0], layer, self.layer);
            loss_plot(&mut cols[1], snap);
            self.cost_plot(&mut cols[2]);
        });
    }

    fn heatmaps(&mut self, ui: &mut egui::Ui, snap: &LabSnapshot, n: usize) {
        let layer = &snap.layers[self.layer - 1];
        let key = (snap.step, self.layer, settings_hash(&snap.settings));
        if self.textures.as_ref().is_none_or(|(k, _, _)| *k != key) {
            let values = heat_values(layer);
            let images = heat_images(&values, n);
            let names = ["kfac exact", "kfac kron", "kfac diff"];
            let mut i = 0;
            let handles = images.map(|img| {
                let h = ui
                    .ctx()
                    .load_texture(names[i], img, TextureOptions::NEAREST);
                i += 1;
                h
            });
            self.textures = Some((key, handles, values));
        }
        let Some((_, handles, values)) = &self.textures else {
            return;
        };
        let titles = [
            format!("F_{} (exact)", self.layer),
            "G ⊗ A (K-FAC)".to_owned(),
            "|F − G ⊗ A|".to_owned(),
        ];
        let size = (ui.available_width() / 3.0 - 8.0).clamp(120.0, 420.0);
        ui.horizontal(|ui| {
            for k in 0..3 {
                ui.vertical(|ui| {
                    ui.label(RichText::new(&titles[k]).strong());
                    let matrix = &values[k];
                    Plot::new(("kfac heat", k))
                        .width(size)
                        .height(size)
                        .data_aspect(1.0)
                        .show_axes(false)
                        .show_grid(false)
                        .label_formatter(|pos: &HoverPosition<'_>| {
                            let p = match pos {
                                HoverPosition::NearDataPoint { position, .. }
                                | HoverPosition::Elsewhere { position } => *position,
                            };
                            // The image spans [0, n] × [−n, 0]: column from x, row from −y.
                            let (col, row) = (p.x.floor(), (-p.y).floor());
                            if col < 0.0 || row < 0.0 || col >= n as f64 || row >= n as f64 {
                                return None;
                            }
                            let (r, c) = (row as usize, col as usize);
                            Some(format!("[{r}, {c}] = {:.4e}", matrix[r * n + c]))
                        })
                        .show(ui, |plot| {
                            plot.image(PlotImage::new(
                                titles[k].clone(),
                                handles[k].id(),
                                PlotPoint::new(n as f64 / 2.0, -(n as f64) / 2.0),
                                [n as f32, n as f32],
                            ));
                        });
                });
            }
        });
        ui.label(
            RichText::new(format!(
                "shared log colour scale: {DECADES} decades below the largest |entry| (black: \
                 exactly 0); scroll to zoom, drag to pan, hover for values; parameters row-major \
                 (index i·d_in + j)"
            ))
            .small(),
        );
    }

    fn cost_plot(&mut self, ui: &mut egui::Ui) {
        ui.label(RichText::new("Cost of one solve (CPU, faer)").strong());
        if let Some(rx) = &self.cost_running {
            match rx.try_recv() {
                Ok(rows) => {
                    self.cost = Some(rows);
                    self.cost_running = None;
                }
                Err(_) => {
                    ui.label("measuring…");
                    ui.ctx().request_repaint();
                }
            }
        }
        if self.cost_running.is_none() && ui.button("measure (≈ 10 s)").clicked() {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let rows = measure(
                    &[4, 8, 16, 24, 32, 48, 64, 128, 256, 512, 1000],
                    2.0,
                    1 << 30,
                );
                let _ = tx.send(rows);
            });
            self.cost_running = Some(rx);
        }
        let Some(rows) = &self.cost else {
            ui.label(
                RichText::new("time against n for the exact block and K-FAC (log-log)").small(),
            );
            return;
        };
        let exact: Vec<(usize, f64)> = rows
            .iter()
            .filter_map(|r| r.exact_seconds.map(|t| (r.n, t)))
            .collect();
        let kfac: Vec<(usize, f64)> = rows.iter().map(|r| (r.n, r.kfac_seconds)).collect();
        let show = |e: Option<f64>| e.map_or("–".to_owned(), |e| format!("{e:.2}"));
        ui.label(format!(
            "fitted exponents: exact {}, K-FAC {}",
            show(fit_exponent(&exact, 1e-3)),
            show(fit_exponent(&kfac, 1e-3))
        ));
        let log = |pts: &[(usize, f64)]| -> Vec<[f64; 2]> {
            pts.iter()
                .map(|&(n, t)| [(n as f64).log10(), t.log10()])
                .collect()
        };
        Plot::new("kfac cost")
            .height(200.0)
            .legend(Legend::default())
            .x_axis_label("log10 n")
            .y_axis_label("log10 seconds")
            .show(ui, |plot| {
                plot.line(Line::new("exact n×n Cholesky", log(&exact)).color(TRAINER_COLORS[2]));
                plot.line(Line::new("K-FAC two factors", log(&kfac)).color(TRAINER_COLORS[1]));
            });
    }
}

/// A hash of the settings for the texture cache key.
fn settings_hash(s: &KfacLab) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{s:?}").hash(&mut h);
    h.finish()
}

/// The settings' widgets; true when reset was pressed.
fn controls(ui: &mut egui::Ui, lab: &mut KfacLab) -> bool {
    let mut reset = false;
    ui.horizontal_wrapped(|ui| {
        ui.add(
            egui::Slider::new(&mut lab.hidden, LAB_HIDDEN_RANGE.0..=LAB_HIDDEN_RANGE.1)
                .text("hidden width H"),
        );
        ui.add(egui::DragValue::new(&mut lab.seed).prefix("seed "));
        ui.add(
            egui::Slider::new(&mut lab.damping, 1e-8..=10.0)
                .logarithmic(true)
                .text("damping λ"),
        );
        for (k, t) in Trainer::ALL.into_iter().enumerate() {
            ui.add(
                egui::Slider::new(&mut lab.lr[k], 1e-4..=10.0)
                    .logarithmic(true)
                    .text(format!("lr {}", t.name())),
            );
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("matrices at the weights of");
        for t in Trainer::ALL {
            ui.radio_value(&mut lab.shown, t, t.name());
        }
        ui.separator();
        let mut sampled = lab.samples > 0;
        ui.checkbox(&mut sampled, "sampled x (noise)");
        if sampled && lab.samples == 0 {
            lab.samples = 256;
        } else if !sampled {
            lab.samples = 0;
        }
        if sampled {
            ui.add(
                egui::Slider::new(&mut lab.samples, 2..=100_000)
                    .logarithmic(true)
                    .text("N"),
            );
        }
        ui.separator();
        let label = if lab.training { "pause" } else { "train" };
        if ui.button(label).clicked() {
            lab.training = !lab.training;
        }
        reset = ui.button("reset").clicked();
    });
    reset
}

fn spectra_plot(ui: &mut egui::Ui, layer: &crate::kfac::lab::LayerSnapshot, index: usize) {
    ui.label(RichText::new(format!("Spectra of layer {index} (log10, descending)")).strong());
    let floor = layer.spectrum_exact.first().copied().unwrap_or(1.0).abs() * 1e-16;
    let pts = |v: &[f64]| -> Vec<[f64; 2]> {
        v.iter()
            .enumerate()
            .map(|(i, &e)| [i as f64, e.max(floor).log10()])
            .collect()
    };
    Plot::new(("kfac spectra", index))
        .height(200.0)
        .legend(Legend::default())
        .x_axis_label("index")
        .y_axis_label("log10 eigenvalue")
        .show(ui, |plot| {
            plot.line(Line::new("F (exact)", pts(&layer.spectrum_exact)).color(TRAINER_COLORS[2]));
            plot.line(Line::new("G ⊗ A", pts(&layer.spectrum_kfac)).color(TRAINER_COLORS[1]));
        });
}

fn loss_plot(ui: &mut egui::Ui, snap: &LabSnapshot) {
    ui.label(RichText::new("Classification loss (log10)").strong());
    Plot::new("kfac losses")
        .height(200.0)
        .legend(Legend::default())
        .x_axis_label("step")
        .y_axis_label("log10 loss")
        .show(ui, |plot| {
            for (k, t) in Trainer::ALL.into_iter().enumerate() {
                let pts: Vec<[f64; 2]> = snap.losses[k]
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| [i as f64, l.max(1e-12).log10()])
                    .collect();
                plot.line(Line::new(t.name(), pts).color(TRAINER_COLORS[k]));
            }
        });
}
