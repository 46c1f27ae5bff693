//! The K-FAC lab's network, in f64: a two-hidden-layer tanh classifier of which mixture
//! component generated x (MATH.md, "K-FAC"; issue 13).
//!
//! a0 = [x, 1]; h1 = tanh(W1 a0); a1 = [h1, 1]; h2 = tanh(W2 a1); a2 = [h2, 1]; z = W3 a2;
//! p(y|x) = softmax(z), y ∈ {0, 1}, label 0 being component 1 (the one with weight π).
//! Every W is stored row-major (index i·d_in + j), the parameter order of the Fisher blocks.

use crate::math::estimates::random_bits;

/// Smallest hidden width.
pub const MIN_HIDDEN: usize = 2;
/// Largest hidden width the lab offers (layer 2 then has 256·257 ≈ 66k parameters; its exact
/// block is only ever formed for small widths).
pub const MAX_HIDDEN: usize = 256;
/// Number of classes (the mixture's two components).
pub const CLASSES: usize = 2;

/// One dense layer s = W a: `d_out` × `d_in` weights, row-major, the last column multiplying
/// the constant 1 of its input (the bias).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Outputs (rows of W).
    pub d_out: usize,
    /// Inputs including the constant 1 (columns of W).
    pub d_in: usize,
    /// W, row-major.
    pub w: Vec<f64>,
}

impl Layer {
    /// Number of parameters d_out·d_in.
    pub fn len(&self) -> usize {
        self.d_out * self.d_in
    }

    /// Whether the layer has no parameters (never, for a valid network).
    pub fn is_empty(&self) -> bool {
        self.w.is_empty()
    }

    /// s = W a.
    fn apply(&self, a: &[f64], s: &mut [f64]) {
        for (i, si) in s.iter_mut().enumerate() {
            let row = &self.w[i * self.d_in..(i + 1) * self.d_in];
            *si = row.iter().zip(a).map(|(w, a)| w * a).sum();
        }
    }

    /// out = (W without its bias column)ᵀ g: how the loss's sensitivity to this layer's
    /// outputs flows back to the previous layer's hidden units.
    fn back(&self, g: &[f64], out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (i, &gi) in g.iter().enumerate() {
            let row = &self.w[i * self.d_in..(i + 1) * self.d_in - 1];
            for (o, w) in out.iter_mut().zip(row) {
                *o += w * gi;
            }
        }
    }
}

/// The network's three layers.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Hidden width H.
    pub hidden: usize,
    /// W1 (H × 2), W2 (H × (H + 1)), W3 (2 × (H + 1)).
    pub layers: [Layer; 3],
}

/// What one input's forward pass leaves for the backward pass and the Fisher blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Activations {
    /// Each layer's input a_{ℓ−1} (with the trailing 1): a0, a1, a2.
    pub inputs: [Vec<f64>; 3],
    /// p(y|x), y = 0, 1.
    pub probs: [f64; CLASSES],
}

impl Network {
    /// Xavier-uniform weights from `seed`: every weight of a layer uniform in ±√(6/(d_in +
    /// d_out)) (d_in counting the bias column, whose weights start at 0), drawn with the
    /// project's counter-based generator (`math::estimates`) on stream 100 + ℓ, counter i·d_in + j.
    pub fn xavier(hidden: usize, seed: u32) -> Self {
        let dims = [(hidden, 2), (hidden, hidden + 1), (CLASSES, hidden + 1)];
        let layers = std::array::from_fn(|l| {
            let (d_out, d_in) = dims[l];
            let bound = (6.0 / (d_in + d_out) as f64).sqrt();
            let w = (0..d_out * d_in)
                .map(|k| {
                    if k % d_in == d_in - 1 {
                        return 0.0;
                    }
                    let bits = random_bits(seed, 100 + l as u32, k as u32);
                    let u = ((bits >> 8) as f64 + 0.5) / (1u32 << 24) as f64;
                    bound * (2.0 * u - 1.0)
                })
                .collect();
            Layer { d_out, d_in, w }
        });
        Self { hidden, layers }
    }

    /// A network from explicit weights, checking every shape.
    pub fn from_weights(
        w1: Vec<f64>,
        w2: Vec<f64>,
        w3: Vec<f64>,
        hidden: usize,
    ) -> Result<Self, String> {
        let dims = [(hidden, 2), (hidden, hidden + 1), (CLASSES, hidden + 1)];
        let ws = [w1, w2, w3];
        let mut layers = Vec::with_capacity(3);
        for (l, (w, (d_out, d_in))) in ws.into_iter().zip(dims).enumerate() {
            if w.len() != d_out * d_in {
                return Err(format!(
                    "W{} must have {d_out}×{d_in} = {} entries, got {}",
                    l + 1,
                    d_out * d_in,
                    w.len()
                ));
            }
            if w.iter().any(|v| !v.is_finite()) {
                return Err(format!("W{} has a non-finite entry", l + 1));
            }
            layers.push(Layer { d_out, d_in, w });
        }
        let layers: [Layer; 3] = layers.try_into().expect("three layers");
        Ok(Self { hidden, layers })
    }

    /// Total parameter count.
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(Layer::len).sum()
    }

    /// The forward pass at x.
    pub fn forward(&self, x: f64) -> Activations {
        let h = self.hidden;
        let a0 = vec![x, 1.0];
        let mut a1 = vec![0.0; h + 1];
        self.layers[0].apply(&a0, &mut a1[..h]);
        a1[..h].iter_mut().for_each(|v| *v = v.tanh());
        a1[h] = 1.0;
        let mut a2 = vec![0.0; h + 1];
        self.layers[1].apply(&a1, &mut a2[..h]);
        a2[..h].iter_mut().for_each(|v| *v = v.tanh());
        a2[h] = 1.0;
        let mut z = [0.0; CLASSES];
        self.layers[2].apply(&a2, &mut z);
        // Softmax of two logits: p0 = logistic(z0 − z1), stable for any difference.
        let d = z[0] - z[1];
        let p0 = if d >= 0.0 {
            1.0 / (1.0 + (-d).exp())
        } else {
            let e = d.exp();
            e / (1.0 + e)
        };
        Activations {
            inputs: [a0, a1, a2],
            probs: [p0, 1.0 - p0],
        }
    }

    /// The backward pass: for an output sensitivity g3 = ∂ log p(y|x)/∂z (e_y − p for label
    /// y), each layer's g_ℓ = ∂ log p(y|x)/∂s_ℓ, s_ℓ = W_ℓ a_{ℓ−1}: [g1, g2, g3].
    pub fn backward(&self, act: &Activations, g3: [f64; CLASSES]) -> [Vec<f64>; 3] {
        let h = self.hidden;
        let mut g2 = vec![0.0; h];
        self.layers[2].back(&g3, &mut g2);
        for (g, a) in g2.iter_mut().zip(&act.inputs[2]) {
            *g *= 1.0 - a * a; // tanh' = 1 − tanh²
        }
        let mut g1 = vec![0.0; h];
        self.layers[1].back(&g2, &mut g1);
        for (g, a) in g1.iter_mut().zip(&act.inputs[1]) {
            *g *= 1.0 - a * a;
        }
        [g1, g2, g3.to_vec()]
    }

    /// ∂ log p(y|x)/∂z for label y: e_y − p.
    pub fn output_sensitivity(act: &Activations, y: usize) -> [f64; CLASSES] {
        std::array::from_fn(|k| f64::from(u8::from(k == y)) - act.probs[k])
    }
}
