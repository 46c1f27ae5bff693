//! The plant, its cost weights and the policy's exploration: the system keys of MATH.md ("The
//! policy plane"), with their defaults, range checks and the `KEY=VALUE,…` form the CLI reads.

use serde::{Deserialize, Serialize};

/// Which plant the controller drives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plant {
    /// A double integrator with friction (a = 0): stable at rest, drifts under noise.
    #[default]
    Cart,
    /// The inverted pendulum linearized upright (a = ω² = g/l > 0): falls without control.
    Pendulum,
}

impl Plant {
    /// The name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Plant::Cart => "cart",
            Plant::Pendulum => "pendulum",
        }
    }

    /// The default Euler step: 0.1 for the cart, 0.05 for the pendulum.
    pub fn default_dt(self) -> f64 {
        match self {
            Plant::Cart => 0.1,
            Plant::Pendulum => 0.05,
        }
    }
}

/// The pendulum's default ω² = g/l (l = 1 m).
pub const DEFAULT_OMEGA2: f64 = 9.81;

/// A plant with its cost and policy: every system key of MATH.md. `dt` and `omega2` are
/// optional so the defaults can depend on the plant and `omega2` on a cart is refused.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct System {
    /// Cart or pendulum.
    pub plant: Plant,
    /// Euler step; absent: the plant's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dt: Option<f64>,
    /// Velocity friction b ≥ 0.
    pub friction: f64,
    /// The pendulum's ω² > 0; absent: 9.81. An error on the cart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omega2: Option<f64>,
    /// Position weight of Q (> 0).
    pub q_pos: f64,
    /// Velocity weight of Q (≥ 0).
    pub q_vel: f64,
    /// Control weight R = r > 0.
    pub r: f64,
    /// Initial position variance (> 0).
    pub x0_pos: f64,
    /// Initial velocity variance (> 0).
    pub x0_vel: f64,
    /// The policy's exploration σ > 0.
    pub exploration: f64,
}

impl Default for System {
    fn default() -> Self {
        Self {
            plant: Plant::Cart,
            dt: None,
            friction: 0.0,
            omega2: None,
            q_pos: 1.0,
            q_vel: 1.0,
            r: 0.1,
            x0_pos: 1.0,
            x0_vel: 1.0,
            exploration: 1.0,
        }
    }
}

/// A system key out of range, unknown, or given where it does not belong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("system {key}: {message}")]
pub struct SystemError {
    /// The key, as written.
    pub key: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

fn error(key: &str, message: impl Into<String>) -> SystemError {
    SystemError {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// Every key, as written in files and on the command line.
pub const SYSTEM_KEYS: [&str; 10] = [
    "plant",
    "dt",
    "friction",
    "omega2",
    "q_pos",
    "q_vel",
    "r",
    "x0_pos",
    "x0_vel",
    "exploration",
];

impl System {
    /// The plant with every other key at its default.
    pub fn new(plant: Plant) -> Self {
        Self {
            plant,
            ..Self::default()
        }
    }

    /// The Euler step.
    pub fn dt(&self) -> f64 {
        self.dt.unwrap_or(self.plant.default_dt())
    }

    /// The plant's a: 0 for the cart, ω² for the pendulum.
    pub fn a(&self) -> f64 {
        match self.plant {
            Plant::Cart => 0.0,
            Plant::Pendulum => self.omega2.unwrap_or(DEFAULT_OMEGA2),
        }
    }

    /// Checks every key's range (MATH.md): dt > 0, friction ≥ 0, ω² > 0 and only on the
    /// pendulum, q_pos > 0, q_vel ≥ 0, r > 0, both initial variances > 0, σ > 0, all finite.
    pub fn validate(&self) -> Result<(), SystemError> {
        let finite = |key: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(error(key, format!("must be a finite number, got {v}")))
            }
        };
        let positive = |key: &str, v: f64| {
            finite(key, v)?;
            if v > 0.0 {
                Ok(())
            } else {
                Err(error(key, format!("must be > 0, got {v}")))
            }
        };
        let non_negative = |key: &str, v: f64| {
            finite(key, v)?;
            if v >= 0.0 {
                Ok(())
            } else {
                Err(error(key, format!("must be >= 0, got {v}")))
            }
        };
        if let Some(dt) = self.dt {
            positive("dt", dt)?;
        }
        match (self.plant, self.omega2) {
            (Plant::Cart, Some(_)) => {
                return Err(error(
                    "omega2",
                    "is the pendulum's (g/l); the cart has none: drop it or set plant=pendulum",
                ));
            }
            (Plant::Pendulum, Some(w2)) => positive("omega2", w2)?,
            _ => {}
        }
        non_negative("friction", self.friction)?;
        positive("q_pos", self.q_pos)?;
        non_negative("q_vel", self.q_vel)?;
        positive("r", self.r)?;
        positive("x0_pos", self.x0_pos)?;
        positive("x0_vel", self.x0_vel)?;
        positive("exploration", self.exploration)?;
        Ok(())
    }

    /// Sets one key from its text (`plant=pendulum`, `dt=0.05`, …).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SystemError> {
        let number = || {
            value
                .trim()
                .parse::<f64>()
                .map_err(|_| error(key, format!("must be a number, got '{value}'")))
        };
        match key.trim() {
            "plant" => {
                self.plant = match value.trim() {
                    "cart" => Plant::Cart,
                    "pendulum" => Plant::Pendulum,
                    other => {
                        return Err(error(
                            key,
                            format!("unknown plant '{other}': choose cart or pendulum"),
                        ));
                    }
                }
            }
            "dt" => self.dt = Some(number()?),
            "friction" => self.friction = number()?,
            "omega2" => self.omega2 = Some(number()?),
            "q_pos" => self.q_pos = number()?,
            "q_vel" => self.q_vel = number()?,
            "r" => self.r = number()?,
            "x0_pos" => self.x0_pos = number()?,
            "x0_vel" => self.x0_vel = number()?,
            "exploration" => self.exploration = number()?,
            other => {
                return Err(error(
                    other,
                    format!("unknown key: choose from {}", SYSTEM_KEYS.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for System {
    type Err = SystemError;

    /// `KEY=VALUE,…` (the CLI's `--system`), validated; an empty text is the default cart.
    fn from_str(text: &str) -> Result<Self, SystemError> {
        let mut system = System::default();
        for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| error(pair.trim(), "write KEY=VALUE, e.g. plant=pendulum"))?;
            system.set(key, value)?;
        }
        system.validate()?;
        Ok(system)
    }
}

impl std::fmt::Display for System {
    /// The `KEY=VALUE,…` form of the keys that differ from the defaults (the plant always).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = System::default();
        write!(f, "plant={}", self.plant.name())?;
        let mut key = |name: &str, v: f64, default: f64| {
            if v != default {
                write!(f, ",{name}={v}")
            } else {
                Ok(())
            }
        };
        key("dt", self.dt(), self.plant.default_dt())?;
        key("friction", self.friction, d.friction)?;
        if self.plant == Plant::Pendulum {
            key("omega2", self.a(), DEFAULT_OMEGA2)?;
        }
        key("q_pos", self.q_pos, d.q_pos)?;
        key("q_vel", self.q_vel, d.q_vel)?;
        key("r", self.r, d.r)?;
        key("x0_pos", self.x0_pos, d.x0_pos)?;
        key("x0_vel", self.x0_vel, d.x0_vel)?;
        key("exploration", self.exploration, d.exploration)
    }
}
