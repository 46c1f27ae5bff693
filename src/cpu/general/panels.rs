//! Where the shaders cut their integrals into panels: the candidate splits of a mixture, a
//! component's window, the union of the four components' windows, and the walk over them.

use super::mixture::Mixture;

/// Near graded splits, in widths (`GRADE_NEAR`).
pub const GRADE_NEAR: f32 = 3.0;
/// Far graded splits, in widths (`GRADE_FAR`).
pub const GRADE_FAR: f32 = 12.0;

/// A switch's graded neighbours (r ± 3w) join the union's edges only where its width w is at
/// most this fraction of the narrowest component's σ (`UNION_GRADE_LIMIT`): a wider logistic
/// is as smooth as the Gaussians themselves and the panels' nodes resolve it.
pub const UNION_GRADE_LIMIT: f32 = 0.5;
/// The graded neighbours' distance, in widths, in a union window without the target's switch
/// points (`UNION_VELOCITY_GRADE`; with them [`GRADE_NEAR`]). Beyond r ± kw the logistic's
/// tail is still e^{−k} of its height, and the panel outside starts with that sharp tail at its
/// end: where nothing else cuts that panel short (the target's switch points often did), 16
/// nodes over it missed ∇L by 1.2e-3 at the σ slice's σ1 → 0 edge with k = 3, and 5e-5 with
/// k = 6 (the union panels per point even fell by ~1%).
pub const UNION_VELOCITY_GRADE: f32 = 6.0;
/// A centre or window end this close (in the narrowest σ) below a switch split yields to the
/// split (`UNION_YIELD`).
pub const UNION_YIELD: f32 = 0.25;

/// `NO_SPLIT`: an absent split, outside every window.
pub const NO_SPLIT: f32 = 3.0e38;

/// `Splits`: the candidate panel edges one mixture contributes, in the shader's slot order
/// (roots r1, r2, vertex v, unused; r1 ∓ 3w1, r2 ∓ 3w2; v ∓ 3s, r1 ∓ 12w1; r2 ∓ 12w2, v ∓ 12s).
pub type Splits = [f32; 16];

/// `no_splits`.
pub fn no_splits() -> Splits {
    [NO_SPLIT; 16]
}

/// `SwitchPoints`: the real roots of ℓ and the logistic's widths there.
#[derive(Clone, Copy, Debug, Default)]
pub struct SwitchPoints {
    /// Positions (y frame).
    pub x: [f32; 2],
    /// 1/|ℓ'| (0 where ℓ' = 0).
    pub width: [f32; 2],
    /// 0, 1 or 2.
    pub count: usize,
}

/// `switch_points`.
pub fn switch_points(m: &Mixture) -> SwitchPoints {
    let mut out = SwitchPoints::default();
    if m.boundary {
        return out;
    }
    let (a, b, c) = (m.a, m.b, m.c_phi + m.logit_w);
    let mut ys = [0.0f32; 2];
    if a == 0.0 {
        if b != 0.0 {
            ys[0] = -c / b;
            out.count = 1;
        }
    } else {
        let disc = b * b - 4.0 * a * c;
        if disc >= 0.0 {
            let q = -0.5 * (b + if b >= 0.0 { disc.sqrt() } else { -disc.sqrt() });
            if q == 0.0 {
                out.count = 1;
            } else {
                ys = [q / a, c / q];
                out.count = 2;
            }
        }
    }
    out.x = ys.map(|y| m.mean[0] + y);
    out.width = ys.map(|y| {
        let slope = (2.0 * a * y + b).abs();
        if slope > 0.0 { 1.0 / slope } else { 0.0 }
    });
    out
}

/// `mixture_splits`: roots and vertex with their graded neighbours (the far ones only with
/// `far`).
pub fn mixture_splits(m: &Mixture, far: bool) -> Splits {
    let sp = switch_points(m);
    let r = [0, 1].map(|i| if i < sp.count { sp.x[i] } else { NO_SPLIT });
    let has_vertex = !m.boundary && m.a != 0.0;
    let v = if has_vertex {
        m.mean[0] - m.b / (2.0 * m.a)
    } else {
        NO_SPLIT
    };
    let s = if has_vertex {
        1.0 / (2.0 * m.a.abs()).sqrt()
    } else {
        0.0
    };
    let w = sp.width;
    let near = GRADE_NEAR;
    let far_or_none = |x: f32| if far { x } else { NO_SPLIT };
    let far_grade = GRADE_FAR;
    [
        r[0],
        r[1],
        v,
        NO_SPLIT,
        r[0] - near * w[0],
        r[0] + near * w[0],
        r[1] - near * w[1],
        r[1] + near * w[1],
        v - near * s,
        v + near * s,
        far_or_none(r[0] - far_grade * w[0]),
        far_or_none(r[0] + far_grade * w[0]),
        far_or_none(r[1] - far_grade * w[1]),
        far_or_none(r[1] + far_grade * w[1]),
        far_or_none(v - far_grade * s),
        far_or_none(v + far_grade * s),
    ]
}

/// `next_split`: the smallest split above `cur` (NO_SPLIT when none).
///
/// The minimum is taken as a tree (16 → 8 → 4 → 2 → 1) rather than a running fold: the same
/// value (every candidate is either a number above `cur` or NO_SPLIT, never NaN, so the order
/// of a minimum does not matter), four dependent steps instead of sixteen, and the compiler
/// vectorises each level. A panel walk calls this three times per panel, which is as much work
/// as the panel's nodes once those are vectorised (`cpu::simd`).
#[inline]
pub fn next_split(s: &Splits, cur: f32) -> f32 {
    let mut v: [f32; 16] = std::array::from_fn(|i| if s[i] > cur { s[i] } else { NO_SPLIT });
    let mut width = 8;
    while width > 0 {
        for i in 0..width {
            v[i] = if v[i + width] < v[i] {
                v[i + width]
            } else {
                v[i]
            };
        }
        width /= 2;
    }
    v[0]
}

/// At most this many splits inside one window: the centre, 15 candidates of the first mixture
/// and 9 near ones of the second (`GENERAL_MAX_SPLITS`).
pub const GENERAL_MAX_SPLITS: usize = 25;
/// Panels of the fullest window (`GENERAL_MAX_PANELS`).
pub const GENERAL_MAX_PANELS: usize = GENERAL_MAX_SPLITS + 1;

/// `Window`: one component's window and the splits its panels are cut at.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// The window's ends.
    pub lo: f32,
    /// The window's ends.
    pub hi: f32,
    /// The component's centre (a split).
    pub centre: f32,
    /// Candidate splits of the first mixture.
    pub first: Splits,
    /// Candidate splits of the second mixture (`no_splits` for one).
    pub second: Splits,
}

impl Window {
    /// The panels in ascending order, as the shader walks them (`window_next`).
    pub fn panels(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        walk_panels(self.lo, self.hi, GENERAL_MAX_PANELS, |cur| {
            window_next(self, cur)
        })
    }
}

/// The shaders' panel walk: from `lo`, each panel ends at `next(its start)`, until `hi` (a NaN
/// edge also ends the walk) or `max` panels.
fn walk_panels(
    lo: f32,
    hi: f32,
    max: usize,
    next: impl Fn(f32) -> f32,
) -> impl Iterator<Item = (f32, f32)> {
    let mut end = lo;
    (0..max).map_while(move |_| {
        let start = end;
        let inside = start < hi;
        if !inside {
            return None;
        }
        end = next(start);
        Some((start, end))
    })
}

/// `component_window`.
pub fn component_window(
    under: &Mixture,
    c: usize,
    t: f32,
    first: &Mixture,
    second: Option<&Mixture>,
) -> Window {
    let centre = under.mean[c];
    let half = t * under.sigma[c];
    Window {
        lo: centre - half,
        hi: centre + half,
        centre,
        first: mixture_splits(first, true),
        second: second.map_or_else(no_splits, |m| mixture_splits(m, false)),
    }
}

/// `window_next`: the nearest split above `cur`, or the window's end.
pub fn window_next(w: &Window, cur: f32) -> f32 {
    let centre = if w.centre > cur { w.centre } else { NO_SPLIT };
    w.hi.min(centre)
        .min(next_split(&w.first, cur).min(next_split(&w.second, cur)))
}

/// Panels of the fullest union window: twelve component edges and five splits per mixture
/// inside make 23 (`UNION_MAX_PANELS`).
pub const UNION_MAX_PANELS: usize = 23;

/// `UnionWindow`: the union of the four components' windows and its candidate splits.
#[derive(Clone, Copy, Debug)]
pub struct UnionWindow {
    /// The union's ends.
    pub lo: f32,
    /// The union's ends.
    pub hi: f32,
    /// A centre or window end closer than this (the smallest σ) to the last edge is skipped.
    pub merge: f32,
    /// Centres, window starts and window ends of the weighted components.
    pub components: Splits,
    /// The model's switch splits ([`union_splits`]).
    pub model_splits: Splits,
    /// The target's switch splits.
    pub target_splits: Splits,
}

impl UnionWindow {
    /// The panels in ascending order, as the shader walks them (`union_next`).
    pub fn panels(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        walk_panels(self.lo, self.hi, UNION_MAX_PANELS, |cur| {
            union_next(self, cur)
        })
    }
}

/// `union_window`: the target's switch points are edges only with `target_switches` (only the
/// loss needs them: ln p* turns a corner there, p* does not; see the shader).
pub fn union_window(
    m: &Mixture,
    target_mix: &Mixture,
    t: f32,
    target_switches: bool,
) -> UnionWindow {
    let weighted = [
        m.weight[0],
        m.weight[1],
        target_mix.weight[0],
        target_mix.weight[1],
    ]
    .map(|w| w > 0.0);
    let centres = [m.mean[0], m.mean[1], target_mix.mean[0], target_mix.mean[1]];
    let sigmas = [
        m.sigma[0],
        m.sigma[1],
        target_mix.sigma[0],
        target_mix.sigma[1],
    ];
    let grade = if target_switches {
        GRADE_NEAR
    } else {
        UNION_VELOCITY_GRADE
    };
    let mut components = no_splits();
    let (mut lo, mut hi, mut merge) = (NO_SPLIT, -NO_SPLIT, NO_SPLIT);
    for i in 0..4 {
        if weighted[i] {
            merge = merge.min(sigmas[i]);
            let half = t * sigmas[i];
            let (start, end) = (centres[i] - half, centres[i] + half);
            components[i] = centres[i];
            components[4 + i] = start;
            components[8 + i] = end;
            lo = lo.min(start);
            hi = hi.max(end);
        }
    }
    UnionWindow {
        lo,
        hi,
        merge,
        components,
        model_splits: union_splits(m, merge, grade),
        target_splits: if target_switches {
            union_splits(target_mix, merge, grade)
        } else {
            no_splits()
        },
    }
}

/// `union_splits`: a mixture's switch splits in a union window, `sigma_min` its narrowest σ.
/// The roots always; each root's ±`grade`·w neighbours only where w ≤
/// [`UNION_GRADE_LIMIT`]·σ_min; the vertex only where ℓ has fewer than two roots (between two
/// roots it adds nothing the roots' panels do not resolve); the vertex's grades and the far
/// grades never.
pub fn union_splits(m: &Mixture, sigma_min: f32, grade: f32) -> Splits {
    let sp = switch_points(m);
    let r = [0, 1].map(|i| if i < sp.count { sp.x[i] } else { NO_SPLIT });
    let has_vertex = !m.boundary && m.a != 0.0 && sp.count < 2;
    let v = if has_vertex {
        m.mean[0] - m.b / (2.0 * m.a)
    } else {
        NO_SPLIT
    };
    let graded = sp.width.map(|w| w <= UNION_GRADE_LIMIT * sigma_min);
    let grade = |i: usize, side: f32| {
        if graded[i] {
            r[i] + side * grade * sp.width[i]
        } else {
            NO_SPLIT
        }
    };
    let mut out = no_splits();
    out[..3].copy_from_slice(&[r[0], r[1], v]);
    out[4..8].copy_from_slice(&[grade(0, -1.0), grade(0, 1.0), grade(1, -1.0), grade(1, 1.0)]);
    out
}

/// `union_next`: the nearest edge above `cur`. A centre or window end within
/// [`UNION_YIELD`]·σ_min below the next switch split yields to it (no sliver panel).
pub fn union_next(w: &UnionWindow, cur: f32) -> f32 {
    let component = next_split(&w.components, cur + w.merge);
    let switch = next_split(&w.model_splits, cur).min(next_split(&w.target_splits, cur));
    let yields = switch - component < UNION_YIELD * w.merge;
    let component = if yields { switch } else { component };
    w.hi.min(component).min(switch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edges a window's walk visits, ends included.
    fn edges(w: &Window) -> Vec<f32> {
        let mut out = vec![w.lo];
        out.extend(w.panels().map(|(_, hi)| hi));
        out
    }

    /// The finite candidates of `s`, ascending.
    fn present(s: &Splits) -> Vec<f32> {
        let mut v: Vec<f32> = s.iter().copied().filter(|x| *x < 1e30).collect();
        v.sort_by(f32::total_cmp);
        v
    }

    fn close(got: &[f32], want: &[f32]) -> bool {
        got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-5)
    }

    #[test]
    fn union_splits_grade_only_sharp_switches_and_keep_the_vertex_only_without_two_roots() {
        use super::super::mixture::make_mixture;
        // Equal σ = 1, means 0 and d: one root at d/2, width σ²/d.
        let sharp = make_mixture(0.5, [0.0, 4.0], [1.0, 1.0]);
        assert!(close(
            &present(&union_splits(&sharp, 1.0, GRADE_NEAR)),
            &[1.25, 2.0, 2.75]
        ));
        // A velocity's grades, twice as far.
        assert!(close(
            &present(&union_splits(&sharp, 1.0, UNION_VELOCITY_GRADE)),
            &[0.5, 2.0, 3.5]
        ));
        // Width 1 > ½·σ_min: the root alone …
        let broad = make_mixture(0.5, [0.0, 1.0], [1.0, 1.0]);
        assert!(close(
            &present(&union_splits(&broad, 1.0, GRADE_NEAR)),
            &[0.5]
        ));
        // … but graded where the narrowest σ is 2 (negative control of the limit).
        assert!(close(
            &present(&union_splits(&broad, 2.0, GRADE_NEAR)),
            &[-2.5, 0.5, 3.5]
        ));
        // σ1 ≠ σ2 about one mean: two roots (no vertex) or none (the vertex at 0).
        let two = make_mixture(0.5, [0.0, 0.0], [1.0, 2.0]);
        assert_eq!(switch_points(&two).count, 2);
        let two_splits = present(&union_splits(&two, 1.0, GRADE_NEAR));
        assert!(!two_splits.iter().any(|x| x.abs() < 1e-3), "{two_splits:?}");
        let none = make_mixture(0.2, [0.0, 0.0], [1.0, 2.0]);
        assert_eq!(switch_points(&none).count, 0);
        assert!(close(
            &present(&union_splits(&none, 1.0, GRADE_NEAR)),
            &[0.0]
        ));
    }

    #[test]
    fn a_component_edge_just_below_a_switch_split_yields_to_it() {
        let edges = |w: &UnionWindow| {
            let mut out = vec![w.lo];
            out.extend(w.panels().map(|(_, hi)| hi));
            out
        };
        let mut components = no_splits();
        components[0] = 1.0;
        let mut model_splits = no_splits();
        model_splits[0] = 1.2;
        let w = UnionWindow {
            lo: -5.0,
            hi: 5.0,
            merge: 1.0,
            components,
            model_splits,
            target_splits: no_splits(),
        };
        // 0.2 < ¼σ_min: no sliver panel [1.0, 1.2].
        assert_eq!(edges(&w), [-5.0, 1.2, 5.0]);
        // Negative control: 0.3 apart, both edges stay.
        let mut farther = w;
        farther.model_splits[0] = 1.3;
        assert_eq!(edges(&farther), [-5.0, 1.0, 1.3, 5.0]);
    }

    #[test]
    fn the_window_walk_visits_every_split_once_in_order() {
        // Splits 3 (twice), −2, 0.5, 7 inside; 11 and −10 (an end) outside the open window.
        let mut first = no_splits();
        first[..5].copy_from_slice(&[3.0, -2.0, 11.0, -10.0, 0.5]);
        let mut second = no_splits();
        second[..2].copy_from_slice(&[3.0, 7.0]);
        let w = Window {
            lo: -10.0,
            hi: 10.0,
            centre: 1.0,
            first,
            second,
        };
        assert_eq!(edges(&w), [-10.0, -2.0, 0.5, 1.0, 3.0, 7.0, 10.0]);
        // Negative control: without the second mixture 7 is no edge.
        let one = Window {
            second: no_splits(),
            ..w
        };
        assert_eq!(edges(&one), [-10.0, -2.0, 0.5, 1.0, 3.0, 10.0]);
        // The fullest window: 25 distinct splits inside make 26 panels, none lost.
        let all: Vec<f32> = (0..25).map(|i| -9.6 + 0.75 * i as f32).collect();
        let mut first = no_splits();
        first[..15].copy_from_slice(&all[..15]);
        let mut second = no_splits();
        second[..9].copy_from_slice(&all[15..24]);
        let full = Window {
            lo: -10.0,
            hi: 10.0,
            centre: all[24],
            first,
            second,
        };
        let e = edges(&full);
        assert_eq!(e.len(), GENERAL_MAX_PANELS + 1);
        assert!(e.windows(2).all(|p| p[0] < p[1]));
        // A NaN split (a degenerate mixture) is never an edge.
        let mut nan = no_splits();
        nan[0] = f32::NAN;
        let w_nan = Window { first: nan, ..one };
        assert_eq!(edges(&w_nan), [-10.0, 1.0, 10.0]);
    }
}
