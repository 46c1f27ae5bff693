//! The general two-component mixture's parameters and the 2-parameter slices of them.
//!
//! p(x | ψ) = π N(x | μ1, σ1²) + (1 − π) N(x | μ2, σ2²),  ψ = (π, μ1, μ2, σ1, σ2)
//! (MATH.md, "The general two-component mixture and its slices").
//!
//! * [`Param`] names one of the five parameters (`pi`, `mu1`, `mu2`, `sigma1`, `sigma2`);
//! * [`Model`] is one point ψ, with the defaults π = ½, μ1 = μ2 = 0, σ1 = σ2 = 1;
//! * [`Slice`] picks two parameters (a, b) as the canvas; the other three are held at the base
//!   model's values. Slice coordinates are always (value of a, value of b), in that order.
//!
//! The label swap (π, μ1, μ2, σ1, σ2) ↦ (1 − π, μ2, μ1, σ2, σ1) leaves the distribution
//! unchanged; the target's twin handle exists on a slice only where the swapped target lies in
//! that slice ([`Slice::twin`]).
//!
//! Validation: π must be finite and in [0, 1], the means finite, σ1, σ2 finite and > 0. π = 0
//! or 1 exactly is a model (π = 1 is one Gaussian, the half-plane oracle) but only while π is
//! held: a slice that varies π lives on the open interval, because at the ends F_ππ can be
//! infinite ([`Model::validate_for`]).
//!
//! These types know nothing of the command line or the UI; they serialize with serde (a model
//! as an object with the five names as keys, missing keys taking the defaults, unknown keys
//! refused; a slice as a two-element array of names, refused when both name one parameter).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the five parameters of the general mixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Param {
    /// The weight π of component 1 (component 2 has 1 − π).
    Pi,
    /// The mean μ1 of component 1.
    Mu1,
    /// The mean μ2 of component 2.
    Mu2,
    /// The standard deviation σ1 of component 1.
    Sigma1,
    /// The standard deviation σ2 of component 2.
    Sigma2,
}

impl Param {
    /// All five, in the order of ψ = (π, μ1, μ2, σ1, σ2) (the order of the 5×5 Fisher matrix).
    pub const ALL: [Param; 5] = [
        Param::Pi,
        Param::Mu1,
        Param::Mu2,
        Param::Sigma1,
        Param::Sigma2,
    ];

    /// The parameter's name as used in files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Param::Pi => "pi",
            Param::Mu1 => "mu1",
            Param::Mu2 => "mu2",
            Param::Sigma1 => "sigma1",
            Param::Sigma2 => "sigma2",
        }
    }

    /// Position in ψ = (π, μ1, μ2, σ1, σ2): the row/column of the 5×5 Fisher matrix.
    pub const fn index(self) -> usize {
        match self {
            Param::Pi => 0,
            Param::Mu1 => 1,
            Param::Mu2 => 2,
            Param::Sigma1 => 3,
            Param::Sigma2 => 4,
        }
    }

    /// The parameter that takes this one's place under the label swap (π stays π, but its
    /// value becomes 1 − π).
    pub const fn swapped(self) -> Param {
        match self {
            Param::Pi => Param::Pi,
            Param::Mu1 => Param::Mu2,
            Param::Mu2 => Param::Mu1,
            Param::Sigma1 => Param::Sigma2,
            Param::Sigma2 => Param::Sigma1,
        }
    }

    /// The open interval the parameter lives in: π in (0, 1) (at the ends F can be
    /// infinite), a mean anywhere, a σ above 0. Beyond it lies the outside of the model that
    /// the canvas hatches.
    pub const fn domain(self) -> (f64, f64) {
        match self {
            Param::Pi => (0.0, 1.0),
            Param::Mu1 | Param::Mu2 => (f64::NEG_INFINITY, f64::INFINITY),
            Param::Sigma1 | Param::Sigma2 => (0.0, f64::INFINITY),
        }
    }

    /// The valid names, comma separated (for error messages).
    pub fn valid_names() -> String {
        Param::ALL.map(Param::name).join(", ")
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Param {
    type Err = ModelError;

    /// Parses an exact parameter name (`pi`, `mu1`, `mu2`, `sigma1`, `sigma2`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Param::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ModelError::UnknownParam { name: s.to_owned() })
    }
}

/// What is wrong with a model or a slice, naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A name that is not one of the five parameters.
    #[error("unknown parameter '{name}': expected one of pi, mu1, mu2, sigma1, sigma2")]
    UnknownParam {
        /// The name given.
        name: String,
    },
    /// A slice spec that is not two comma-separated names.
    #[error("a slice is two parameter names separated by a comma (like mu1,mu2), got '{spec}'")]
    SliceSyntax {
        /// The text given.
        spec: String,
    },
    /// A slice naming one parameter twice.
    #[error("a slice needs two different parameters, got {param} twice")]
    RepeatedParam {
        /// The parameter named twice.
        param: Param,
    },
    /// π outside [0, 1] or not finite.
    #[error("pi must be a finite number in [0, 1], got {value}")]
    Weight {
        /// The rejected value.
        value: f64,
    },
    /// π exactly 0 or 1 on a slice that varies π.
    #[error(
        "pi must lie strictly between 0 and 1 on a slice that varies pi \
         (at 0 or 1 its Fisher information can be infinite), got {value}"
    )]
    WeightOnBoundary {
        /// The rejected value.
        value: f64,
    },
    /// A mean that is NaN or infinite.
    #[error("{field} must be a finite number, got {value}")]
    Mean {
        /// Which mean.
        field: Param,
        /// The rejected value.
        value: f64,
    },
    /// A standard deviation that is ≤ 0, NaN or infinite.
    #[error("{field} must be a positive finite number, got {value}")]
    Sigma {
        /// Which standard deviation.
        field: Param,
        /// The rejected value.
        value: f64,
    },
}

/// One point ψ = (π, μ1, μ2, σ1, σ2) of the general mixture.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Model {
    /// Weight of component 1, in [0, 1] (open interval when a slice varies it).
    pub pi: f64,
    /// Mean of component 1.
    pub mu1: f64,
    /// Mean of component 2.
    pub mu2: f64,
    /// Standard deviation of component 1 (> 0).
    pub sigma1: f64,
    /// Standard deviation of component 2 (> 0).
    pub sigma2: f64,
}

impl Default for Model {
    /// π = ½, μ1 = μ2 = 0, σ1 = σ2 = 1.
    fn default() -> Self {
        Self {
            pi: 0.5,
            mu1: 0.0,
            mu2: 0.0,
            sigma1: 1.0,
            sigma2: 1.0,
        }
    }
}

impl Model {
    /// The seed's model ½N(μ1, σ²) + ½N(μ2, σ²).
    pub fn seed(mu1: f64, mu2: f64, sigma: f64) -> Self {
        Self {
            pi: 0.5,
            mu1,
            mu2,
            sigma1: sigma,
            sigma2: sigma,
        }
    }

    /// The value of one parameter.
    pub fn get(&self, p: Param) -> f64 {
        match p {
            Param::Pi => self.pi,
            Param::Mu1 => self.mu1,
            Param::Mu2 => self.mu2,
            Param::Sigma1 => self.sigma1,
            Param::Sigma2 => self.sigma2,
        }
    }

    /// A copy with one parameter set to `v`.
    pub fn with(mut self, p: Param, v: f64) -> Self {
        match p {
            Param::Pi => self.pi = v,
            Param::Mu1 => self.mu1 = v,
            Param::Mu2 => self.mu2 = v,
            Param::Sigma1 => self.sigma1 = v,
            Param::Sigma2 => self.sigma2 = v,
        }
        self
    }

    /// ψ as an array in the order of [`Param::ALL`].
    pub fn to_array(&self) -> [f64; 5] {
        Param::ALL.map(|p| self.get(p))
    }

    /// The model with ψ given in the order of [`Param::ALL`].
    pub fn from_array(psi: [f64; 5]) -> Self {
        Self {
            pi: psi[0],
            mu1: psi[1],
            mu2: psi[2],
            sigma1: psi[3],
            sigma2: psi[4],
        }
    }

    /// The label-swapped model (1 − π, μ2, μ1, σ2, σ1): the same distribution.
    pub fn swapped(&self) -> Self {
        Self {
            pi: 1.0 - self.pi,
            mu1: self.mu2,
            mu2: self.mu1,
            sigma1: self.sigma2,
            sigma2: self.sigma1,
        }
    }

    /// Checks every field (π finite in [0, 1], means finite, σ's finite and > 0), in the
    /// order π, μ1, μ2, σ1, σ2; the error names the first bad field.
    pub fn validate(&self) -> Result<(), ModelError> {
        if !(self.pi.is_finite() && (0.0..=1.0).contains(&self.pi)) {
            return Err(ModelError::Weight { value: self.pi });
        }
        for field in [Param::Mu1, Param::Mu2] {
            let value = self.get(field);
            if !value.is_finite() {
                return Err(ModelError::Mean { field, value });
            }
        }
        for field in [Param::Sigma1, Param::Sigma2] {
            let value = self.get(field);
            if !(value.is_finite() && value > 0.0) {
                return Err(ModelError::Sigma { field, value });
            }
        }
        Ok(())
    }

    /// [`Model::validate`], the slice's own check, and π strictly inside (0, 1) when the
    /// slice varies π.
    pub fn validate_for(&self, slice: &Slice) -> Result<(), ModelError> {
        slice.validate()?;
        self.validate()?;
        if slice.contains(Param::Pi) && (self.pi == 0.0 || self.pi == 1.0) {
            return Err(ModelError::WeightOnBoundary { value: self.pi });
        }
        Ok(())
    }
}

/// Two parameters (a, b) that vary; the other three are held. Serialized as `["a", "b"]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "[Param; 2]", into = "[Param; 2]")]
pub struct Slice {
    /// The first slice coordinate (the horizontal axis).
    pub a: Param,
    /// The second slice coordinate (the vertical axis).
    pub b: Param,
}

impl Default for Slice {
    /// The seed's slice (mu1, mu2).
    fn default() -> Self {
        Self::SEED
    }
}

impl Slice {
    /// The seed's slice (mu1, mu2).
    pub const SEED: Slice = Slice {
        a: Param::Mu1,
        b: Param::Mu2,
    };

    /// The slice (a, b); an error when a = b.
    pub fn new(a: Param, b: Param) -> Result<Self, ModelError> {
        let slice = Self { a, b };
        slice.validate()?;
        Ok(slice)
    }

    /// Checks that the two parameters differ.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.a == self.b {
            Err(ModelError::RepeatedParam { param: self.a })
        } else {
            Ok(())
        }
    }

    /// (a, b).
    pub fn params(&self) -> [Param; 2] {
        [self.a, self.b]
    }

    /// Whether the slice varies `p`.
    pub fn contains(&self, p: Param) -> bool {
        self.a == p || self.b == p
    }

    /// The three held parameters, in the order of [`Param::ALL`].
    pub fn held(&self) -> [Param; 3] {
        let mut out = [Param::Pi; 3];
        let mut k = 0;
        for p in Param::ALL {
            if !self.contains(p) && k < 3 {
                out[k] = p;
                k += 1;
            }
        }
        out
    }

    /// Whether this is the seed's slice (mu1, mu2), in that order.
    pub fn is_seed(&self) -> bool {
        *self == Self::SEED
    }

    /// The slice coordinates of a model: (value of a, value of b).
    pub fn coords(&self, model: &Model) -> [f64; 2] {
        [model.get(self.a), model.get(self.b)]
    }

    /// The base model with the slice coordinates set to `xy`.
    pub fn place(&self, base: &Model, xy: [f64; 2]) -> Model {
        base.with(self.a, xy[0]).with(self.b, xy[1])
    }

    /// Whether `model` lies in the slice through `base`: its three held parameters equal the
    /// base's (π up to 2 ulp of 1, since 1 − (1 − π) need not round back to π; everything
    /// else exactly, as the swap only moves values).
    pub fn passes_through(&self, base: &Model, model: &Model) -> bool {
        self.held().into_iter().all(|p| {
            let (x, y) = (model.get(p), base.get(p));
            if p == Param::Pi {
                (x - y).abs() <= 2.0 * f64::EPSILON
            } else {
                x == y
            }
        })
    }

    /// The twin handle: the slice coordinates of the label-swapped target, when the swapped
    /// target lies in the slice through `base`; None when it does not (the twin is then not a
    /// point of this canvas).
    pub fn twin(&self, base: &Model, target: &Model) -> Option<[f64; 2]> {
        let swapped = target.swapped();
        self.passes_through(base, &swapped)
            .then(|| self.coords(&swapped))
    }
}

impl TryFrom<[Param; 2]> for Slice {
    type Error = ModelError;

    fn try_from(p: [Param; 2]) -> Result<Self, Self::Error> {
        Slice::new(p[0], p[1])
    }
}

impl From<Slice> for [Param; 2] {
    fn from(s: Slice) -> Self {
        [s.a, s.b]
    }
}

impl fmt::Display for Slice {
    /// `a,b`, the form [`Slice::from_str`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.a, self.b)
    }
}

impl FromStr for Slice {
    type Err = ModelError;

    /// Parses `a,b` (spaces around the names allowed), e.g. `mu1,sigma1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [a, b] = parts.as_slice() else {
            return Err(ModelError::SliceSyntax { spec: s.to_owned() });
        };
        Slice::new(a.parse()?, b.parse()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_round_trip() {
        for p in Param::ALL {
            assert_eq!(p.name().parse::<Param>().unwrap(), p);
            assert_eq!(p.to_string(), p.name());
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
            assert_eq!(Param::ALL[p.index()], p);
        }
        let err = "sigma".parse::<Param>().unwrap_err().to_string();
        assert!(err.contains("'sigma'"), "{err}");
        assert!(err.contains(&Param::valid_names()), "{err}");
        // Exact names only.
        assert!("Mu1".parse::<Param>().is_err());
    }

    #[test]
    fn slices_parse_validate_and_serialize() {
        let s: Slice = "mu1, sigma1".parse().unwrap();
        assert_eq!((s.a, s.b), (Param::Mu1, Param::Sigma1));
        assert_eq!(s.to_string(), "mu1,sigma1");
        assert_eq!(s.held(), [Param::Pi, Param::Mu2, Param::Sigma2]);
        assert!(!s.is_seed() && Slice::default().is_seed());
        let err = "pi,pi".parse::<Slice>().unwrap_err();
        assert_eq!(err, ModelError::RepeatedParam { param: Param::Pi });
        assert!(err.to_string().contains("pi twice"));
        assert!(matches!(
            "mu1".parse::<Slice>(),
            Err(ModelError::SliceSyntax { .. })
        ));
        assert!(matches!(
            "mu1,mu3".parse::<Slice>(),
            Err(ModelError::UnknownParam { .. })
        ));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"["mu1","sigma1"]"#);
        assert_eq!(serde_json::from_str::<Slice>(&json).unwrap(), s);
        let bad = serde_json::from_str::<Slice>(r#"["mu2","mu2"]"#).unwrap_err();
        assert!(bad.to_string().contains("mu2 twice"), "{bad}");
    }

    #[test]
    fn model_defaults_serde_and_place() {
        let m: Model = serde_json::from_str(r#"{"pi": 0.25, "sigma2": 2}"#).unwrap();
        assert_eq!(
            m,
            Model::default()
                .with(Param::Pi, 0.25)
                .with(Param::Sigma2, 2.0)
        );
        assert!(serde_json::from_str::<Model>(r#"{"sigma": 1}"#).is_err());
        let s = Slice::new(Param::Sigma2, Param::Pi).unwrap();
        let placed = s.place(&m, [3.0, 0.75]);
        assert_eq!(s.coords(&placed), [3.0, 0.75]);
        assert_eq!(placed.mu1, m.mu1);
        assert_eq!(Model::from_array(m.to_array()), m);
    }

    #[test]
    fn validation_names_the_field() {
        let ok = Model::default();
        assert!(ok.validate().is_ok());
        let cases = [
            (ok.with(Param::Pi, 1.5), "pi"),
            (ok.with(Param::Pi, f64::NAN), "pi"),
            (ok.with(Param::Mu2, f64::INFINITY), "mu2"),
            (ok.with(Param::Sigma1, 0.0), "sigma1"),
            (ok.with(Param::Sigma2, -1.0), "sigma2"),
            (ok.with(Param::Sigma2, f64::NAN), "sigma2"),
        ];
        for (m, field) in cases {
            let msg = m.validate().unwrap_err().to_string();
            assert!(msg.starts_with(field), "{field}: {msg}");
        }
        // π = 1 is a model (one Gaussian) while π is held, not on a slice that varies π.
        let one = ok.with(Param::Pi, 1.0);
        assert!(
            one.validate_for(&Slice::new(Param::Mu1, Param::Sigma1).unwrap())
                .is_ok()
        );
        let err = one
            .validate_for(&Slice::new(Param::Pi, Param::Mu1).unwrap())
            .unwrap_err();
        assert_eq!(err, ModelError::WeightOnBoundary { value: 1.0 });
        assert!(ok.with(Param::Pi, 0.0).validate_for(&Slice::SEED).is_ok());
        let twice = Slice {
            a: Param::Mu1,
            b: Param::Mu1,
        };
        assert!(ok.validate_for(&twice).is_err());
    }

    #[test]
    fn swap_is_an_involution_and_twins_exist_only_in_the_slice() {
        let m = Model {
            pi: 0.3,
            mu1: -1.0,
            mu2: 2.0,
            sigma1: 0.5,
            sigma2: 1.5,
        };
        // An involution: exactly in the means and σ's, to an ulp in π (1 − (1 − π)).
        let back = m.swapped().swapped();
        assert_eq!(back.with(Param::Pi, m.pi), m);
        assert!((back.pi - m.pi).abs() <= f64::EPSILON);
        // The seed's slice: the twin is (μ2*, μ1*).
        let base = Model::seed(0.0, 0.0, 1.0);
        let target = Model::seed(-1.0, 1.5, 1.0);
        assert_eq!(Slice::SEED.twin(&base, &target), Some([1.5, -1.0]));
        // π ≠ ½ held: the swapped target has 1 − π, not in the slice.
        let base = base.with(Param::Pi, 0.3);
        assert_eq!(Slice::SEED.twin(&base, &target.with(Param::Pi, 0.3)), None);
        // σ1 ≠ σ2 held: no twin on (mu1, mu2).
        let unequal = Model::default().with(Param::Sigma2, 2.0);
        let t = Slice::SEED.place(&unequal, [1.0, -1.0]);
        assert_eq!(Slice::SEED.twin(&unequal, &t), None);
        // (sigma1, sigma2) with π = ½ and μ1 = μ2: the twin swaps the two σ's.
        let s = Slice::new(Param::Sigma1, Param::Sigma2).unwrap();
        let t = s.place(&Model::default(), [0.5, 2.0]);
        assert_eq!(s.twin(&Model::default(), &t), Some([2.0, 0.5]));
        // (pi, mu1): the swapped target has μ2' = μ1*, so a twin only where μ1* = μ2, σ1 = σ2.
        let s = Slice::new(Param::Pi, Param::Mu1).unwrap();
        let base = Model::default().with(Param::Mu2, 1.0);
        assert_eq!(s.twin(&base, &s.place(&base, [0.2, 1.0])), Some([0.8, 1.0]));
        assert_eq!(s.twin(&base, &s.place(&base, [0.2, 0.5])), None);
        // The half-plane at π = 1: the swapped target has π = 0, never in the slice.
        let s = Slice::new(Param::Mu1, Param::Sigma1).unwrap();
        let base = Model::default().with(Param::Pi, 1.0);
        assert_eq!(s.twin(&base, &s.place(&base, [0.0, 1.0])), None);
        // π held at 0.7 with an off-slice target of π* = 0.3 swapped back to 0.7 (1 − 0.3
        // rounds to 0.7 within 2 ulp).
        let s = Slice::SEED;
        let base = Model::default().with(Param::Pi, 0.7);
        let target = Model::default().with(Param::Pi, 0.3).with(Param::Mu1, 2.0);
        assert_eq!(s.twin(&base, &target), Some([0.0, 2.0]));
    }
}
