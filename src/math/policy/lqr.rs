//! The closed loop of a linear plant under the gains K, in f64: stability (the Jury
//! conditions), the 2×2 Stein solves for P_K and Σ_K, the cost C, its gradient, the Fisher
//! metric Σ_K/σ² and its derivatives, the natural and Gauss–Newton directions, the
//! finite-horizon noisy cost, and the optimum K* by policy iteration (MATH.md, "The policy
//! plane"). Every formula is the reference's (`shared/reference/lqr_reference.py`), closed
//! form: no quadrature.

use super::system::System;
use crate::math::family::MetricJet;
use crate::math::sym2::Sym2;

/// A general 2×2 matrix, rows first.
pub type Mat2 = [[f64; 2]; 2];

fn mul(a: &Mat2, b: &Mat2) -> Mat2 {
    std::array::from_fn(|i| std::array::from_fn(|j| a[i][0] * b[0][j] + a[i][1] * b[1][j]))
}

fn transpose(a: &Mat2) -> Mat2 {
    [[a[0][0], a[1][0]], [a[0][1], a[1][1]]]
}

fn full(s: &Sym2<f64>) -> Mat2 {
    [[s.xx, s.xy], [s.xy, s.yy]]
}

/// tr(X Y) for symmetric X, Y.
fn trace_product(x: &Sym2<f64>, y: &Sym2<f64>) -> f64 {
    x.xx * y.xx + 2.0 * x.xy * y.xy + x.yy * y.yy
}

/// Solves the Stein equation X = W + M X Mᵀ for symmetric X (unknowns x11, x12, x22) by a 3×3
/// solve with partial pivoting; None where the system is singular (an eigenvalue pair of M
/// with λᵢλⱼ = 1: on the stability boundary).
pub fn stein(m: &Mat2, w: &Sym2<f64>) -> Option<Sym2<f64>> {
    const INDEX: [(usize, usize); 3] = [(0, 0), (0, 1), (1, 1)];
    let mut rows = [[0.0; 4]; 3];
    for (r, &(i, j)) in INDEX.iter().enumerate() {
        for (c, &(k, l)) in INDEX.iter().enumerate() {
            // The coefficient of X_kl in (M X Mᵀ)_ij, X symmetric.
            let mxm = if k == l {
                m[i][k] * m[j][l]
            } else {
                m[i][k] * m[j][l] + m[i][l] * m[j][k]
            };
            rows[r][c] = f64::from(u8::from(r == c)) - mxm;
        }
        rows[r][3] = [w.xx, w.xy, w.yy][r];
    }
    for col in 0..3 {
        let pivot = (col..3)
            .max_by(|&a, &b| rows[a][col].abs().total_cmp(&rows[b][col].abs()))
            .expect("a non-empty range");
        rows.swap(col, pivot);
        let p = rows[col][col];
        if p == 0.0 || !p.is_finite() {
            return None;
        }
        let pivot_row = rows[col];
        for row in rows.iter_mut().skip(col + 1) {
            let f = row[col] / p;
            for (x, &y) in row.iter_mut().zip(&pivot_row).skip(col) {
                *x -= f * y;
            }
        }
    }
    let mut x = [0.0; 3];
    for r in (0..3).rev() {
        let s: f64 = (r + 1..3).map(|c| rows[r][c] * x[c]).sum();
        x[r] = (rows[r][3] - s) / rows[r][r];
    }
    x.iter()
        .all(|v| v.is_finite())
        .then(|| Sym2::new(x[0], x[1], x[2]))
}

/// Everything at gains K inside the stability triangle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Closed {
    /// The cost C(K) = tr(P_K Σ0).
    pub cost: f64,
    /// The control energy E_u(K) = tr(KᵀK Σ_K).
    pub control_energy: f64,
    /// ∇C = 2 E_K Σ_K.
    pub grad: [f64; 2],
    /// F(K) = Σ_K / σ².
    pub fisher: Sym2<f64>,
    /// F⁻¹∇C = 2σ² E_K.
    pub natgrad: [f64; 2],
    /// (R + BᵀP_K B)⁻¹ ∇C Σ_K⁻¹ = 2 E_K / (R + BᵀP_K B).
    pub gauss_newton: [f64; 2],
    /// F's eigenvalues, larger first.
    pub eigenvalues: [f64; 2],
    /// κ = λ_max/λ_min of F.
    pub kappa: f64,
    /// P_K: the cost-to-go matrix.
    pub p: Sym2<f64>,
    /// Σ_K: the closed loop's accumulated state covariance.
    pub sigma: Sym2<f64>,
    /// E_K = (R + BᵀP_K B) K − BᵀP_K A.
    pub e: [f64; 2],
    /// R + BᵀP_K B.
    pub h: f64,
}

/// The closed-loop evaluation at one K: stability, ρ(A_K), and inside the triangle the rest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolicyPoint {
    /// ρ(A_K) < 1 (decided by the Jury conditions, exact in the entries of A_K).
    pub stable: bool,
    /// ρ(A_K).
    pub spectral_radius: f64,
    /// The values that exist only inside (None where unstable).
    pub closed: Option<Closed>,
}

/// One state of a noise-free closed-loop rollout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RolloutStep {
    /// Time t = n·dt.
    pub t: f64,
    /// The state (position, velocity).
    pub x: [f64; 2],
    /// The force u = −Kx applied at this step.
    pub u: f64,
}

/// The finite-horizon noisy cost and its Fisher (MATH.md's sample-based estimates' targets).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FiniteHorizon {
    /// C_{H,σ}(K) = Σ_{t<H} [tr((Q + KᵀRK) M_t) + σ²r].
    pub cost: f64,
    /// ∇C_{H,σ} (forward mode through the M_t recursion).
    pub grad: [f64; 2],
    /// F_H = σ⁻² Σ_{t<H} M_t.
    pub fisher: Sym2<f64>,
}

/// A system's closed loop under any gains: the plant matrices A, B = (0, dt)ᵀ, the weights Q,
/// R, the initial covariance Σ0 and the exploration σ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lqr {
    /// The system it was built from.
    pub system: System,
    a: Mat2,
    dt: f64,
    q: Sym2<f64>,
    r: f64,
    sigma0: Sym2<f64>,
    exploration: f64,
}

impl Lqr {
    /// The closed loop of `system` (assumed valid: [`System::validate`]).
    pub fn new(system: &System) -> Self {
        let dt = system.dt();
        Self {
            system: *system,
            a: [[1.0, dt], [system.a() * dt, 1.0 - system.friction * dt]],
            dt,
            q: Sym2::new(system.q_pos, 0.0, system.q_vel),
            r: system.r,
            sigma0: Sym2::new(system.x0_pos, 0.0, system.x0_vel),
            exploration: system.exploration,
        }
    }

    /// The plant's A = [[1, dt], [a·dt, 1 − b·dt]].
    pub fn plant_matrix(&self) -> Mat2 {
        self.a
    }

    /// A_K = A − BK.
    pub fn closed_loop(&self, k: [f64; 2]) -> Mat2 {
        let a = &self.a;
        [a[0], [a[1][0] - self.dt * k[0], a[1][1] - self.dt * k[1]]]
    }

    /// Whether ρ(A_K) < 1, by the Jury conditions |det A_K| < 1 and |tr A_K| < 1 + det A_K
    /// (linear in K, so exact up to the rounding of A_K's entries). Not finite: unstable.
    pub fn stable(&self, k: [f64; 2]) -> bool {
        let m = self.closed_loop(k);
        let (tr, det) = (m[0][0] + m[1][1], m[0][0] * m[1][1] - m[0][1] * m[1][0]);
        det.abs() < 1.0 && tr.abs() < 1.0 + det
    }

    /// ρ(A_K), the largest eigenvalue modulus.
    pub fn spectral_radius(&self, k: [f64; 2]) -> f64 {
        let m = self.closed_loop(k);
        let (tr, det) = (m[0][0] + m[1][1], m[0][0] * m[1][1] - m[0][1] * m[1][0]);
        let disc = 0.25 * tr * tr - det;
        if disc >= 0.0 {
            0.5 * tr.abs() + disc.sqrt()
        } else {
            det.sqrt()
        }
    }

    /// The corners of the stability triangle (MATH.md): (a, −b), (a, 2/dt − b),
    /// (a + 4/dt², 4/dt − b), in K coordinates.
    pub fn triangle(&self) -> [[f64; 2]; 3] {
        let (a, b, dt) = (self.system.a(), self.system.friction, self.dt);
        [
            [a, -b],
            [a, 2.0 / dt - b],
            [a + 4.0 / (dt * dt), 4.0 / dt - b],
        ]
    }

    /// Q + KᵀRK.
    fn stage_weight(&self, k: [f64; 2]) -> Sym2<f64> {
        let r = self.r;
        Sym2::new(
            self.q.xx + r * k[0] * k[0],
            self.q.xy + r * k[0] * k[1],
            self.q.yy + r * k[1] * k[1],
        )
    }

    /// P_K and Σ_K, or None outside the triangle (or where a Stein solve fails).
    fn lyapunov(&self, k: [f64; 2]) -> Option<(Sym2<f64>, Sym2<f64>, Mat2)> {
        if !self.stable(k) {
            return None;
        }
        let m = self.closed_loop(k);
        let p = stein(&transpose(&m), &self.stage_weight(k))?;
        let sigma = stein(&m, &self.sigma0)?;
        Some((p, sigma, m))
    }

    /// Σ_K, or None outside.
    pub fn covariance(&self, k: [f64; 2]) -> Option<Sym2<f64>> {
        self.lyapunov(k).map(|(_, sigma, _)| sigma)
    }

    /// Everything at K (MATH.md, "The policy plane").
    pub fn evaluate(&self, k: [f64; 2]) -> PolicyPoint {
        let spectral_radius = self.spectral_radius(k);
        let Some((p, sigma, _)) = self.lyapunov(k) else {
            return PolicyPoint {
                stable: false,
                spectral_radius,
                closed: None,
            };
        };
        let dt = self.dt;
        let a = &self.a;
        let cost = trace_product(&p, &self.sigma0);
        // BᵀP = dt·(P21, P22); R + BᵀPB = r + dt²P22.
        let h = self.r + dt * dt * p.yy;
        let bpa = [
            dt * (p.xy * a[0][0] + p.yy * a[1][0]),
            dt * (p.xy * a[0][1] + p.yy * a[1][1]),
        ];
        let e = [h * k[0] - bpa[0], h * k[1] - bpa[1]];
        let grad = [
            2.0 * (e[0] * sigma.xx + e[1] * sigma.xy),
            2.0 * (e[0] * sigma.xy + e[1] * sigma.yy),
        ];
        let s2 = self.exploration * self.exploration;
        let fisher = Sym2::new(sigma.xx / s2, sigma.xy / s2, sigma.yy / s2);
        let eig = fisher.eigen();
        let control_energy =
            k[0] * k[0] * sigma.xx + 2.0 * k[0] * k[1] * sigma.xy + k[1] * k[1] * sigma.yy;
        PolicyPoint {
            stable: true,
            spectral_radius,
            closed: Some(Closed {
                cost,
                control_energy,
                grad,
                fisher,
                natgrad: [2.0 * s2 * e[0], 2.0 * s2 * e[1]],
                gauss_newton: [2.0 * e[0] / h, 2.0 * e[1] / h],
                eigenvalues: [eig.lambda_max, eig.lambda_min],
                kappa: eig.lambda_max / eig.lambda_min,
                p,
                sigma,
                e,
                h,
            }),
        }
    }

    /// F = Σ_K/σ² and its derivatives ∂F/∂k_j = X_j/σ², X_j = A_K X_j A_Kᵀ + D_j Σ_K A_Kᵀ +
    /// A_K Σ_K D_jᵀ with D_j = ∂A_K/∂k_j = −B e_jᵀ (one Stein solve per j); None outside.
    pub fn metric_jet(&self, k: [f64; 2]) -> Option<MetricJet> {
        let (_, sigma, m) = self.lyapunov(k)?;
        let s = full(&sigma);
        let ms_t = mul(&m, &s);
        let s2 = self.exploration * self.exploration;
        let derivative = [0, 1].map(|j| {
            // D_j has one nonzero entry, −dt at (1, j): D_j Σ A_Kᵀ = −dt e₁ (row j of Σ A_Kᵀ),
            // and A_K Σ D_jᵀ is its transpose.
            let row = [ms_t[0][j], ms_t[1][j]];
            let w = Sym2::new(0.0, -self.dt * row[0], -2.0 * self.dt * row[1]);
            stein(&m, &w).map(|x| Sym2::new(x.xx / s2, x.xy / s2, x.yy / s2))
        });
        Some(MetricJet {
            metric: Sym2::new(sigma.xx / s2, sigma.xy / s2, sigma.yy / s2),
            derivative: [derivative[0]?, derivative[1]?],
        })
    }

    /// C_{H,σ}, its gradient and F_H at any K (stable or not), by the forward recursion
    /// M_{t+1} = A_K M_t A_Kᵀ + σ²BBᵀ differentiated along.
    pub fn finite_horizon(&self, k: [f64; 2], horizon: u32) -> FiniteHorizon {
        let m = self.closed_loop(k);
        let mt = transpose(&m);
        let w = full(&self.stage_weight(k));
        let (r, dt, s2) = (self.r, self.dt, self.exploration * self.exploration);
        let mut cov = full(&self.sigma0);
        let mut dcov = [[[0.0; 2]; 2]; 2];
        let (mut cost, mut grad, mut sum) = (0.0, [0.0; 2], [[0.0; 2]; 2]);
        let trace = |x: &Mat2, y: &Mat2| {
            x[0][0] * y[0][0] + x[0][1] * y[1][0] + x[1][0] * y[0][1] + x[1][1] * y[1][1]
        };
        for _ in 0..horizon {
            cost += trace(&w, &cov) + s2 * r;
            for i in 0..2 {
                for j in 0..2 {
                    sum[i][j] += cov[i][j];
                }
            }
            for (j, g) in grad.iter_mut().enumerate() {
                // ∂(KᵀRK)/∂k_j = e_jᵀ R K + Kᵀ R e_j.
                let mut dw = [[0.0; 2]; 2];
                for i in 0..2 {
                    dw[j][i] += r * k[i];
                    dw[i][j] += r * k[i];
                }
                *g += trace(&dw, &cov) + trace(&w, &dcov[j]);
            }
            // dM_j ← D_j M A_Kᵀ + A_K dM_j A_Kᵀ + A_K M D_jᵀ, D_j = −dt at (1, j).
            let mam = mul(&cov, &mt);
            let next_d = [0, 1].map(|j| {
                let mut d = mul(&mul(&m, &dcov[j]), &mt);
                for c in 0..2 {
                    d[1][c] -= dt * mam[j][c];
                    d[c][1] -= dt * mam[j][c];
                }
                d
            });
            dcov = next_d;
            cov = mul(&mul(&m, &cov), &mt);
            cov[1][1] += s2 * dt * dt;
        }
        FiniteHorizon {
            cost,
            grad,
            fisher: Sym2::new(sum[0][0] / s2, sum[0][1] / s2, sum[1][1] / s2),
        }
    }

    /// The noise-free closed loop x_{n+1} = A_K x_n from `x0` for `steps` steps (u = −Kx;
    /// the exploration noise left out so a user sees the controller itself), stopped early once
    /// |x| exceeds `escape`·(|x0| + 1) — an unstable K's state grows geometrically, and the
    /// plot only needs to show that it leaves.
    pub fn rollout(&self, k: [f64; 2], x0: [f64; 2], steps: u32, escape: f64) -> Vec<RolloutStep> {
        let m = self.closed_loop(k);
        let limit = escape * (x0[0].hypot(x0[1]) + 1.0);
        let mut x = x0;
        let mut out = Vec::with_capacity(steps as usize + 1);
        for n in 0..=steps {
            out.push(RolloutStep {
                t: n as f64 * self.dt,
                x,
                u: -(k[0] * x[0] + k[1] * x[1]),
            });
            let size = x[0].hypot(x[1]);
            if size.is_nan() || size > limit {
                break;
            }
            x = [
                m[0][0] * x[0] + m[0][1] * x[1],
                m[1][0] * x[0] + m[1][1] * x[1],
            ];
        }
        out
    }

    /// The optimum K* = (R + BᵀPB)⁻¹BᵀPA of the DARE, by policy iteration (Gauss–Newton with
    /// step ½) from the triangle's centroid, and C(K*). Converges quadratically: a dozen
    /// iterations reach rounding.
    pub fn optimum(&self) -> ([f64; 2], f64) {
        let t = self.triangle();
        let mut k = [
            (t[0][0] + t[1][0] + t[2][0]) / 3.0,
            (t[0][1] + t[1][1] + t[2][1]) / 3.0,
        ];
        for _ in 0..100 {
            let Some(closed) = self.evaluate(k).closed else {
                break;
            };
            let next = [
                k[0] - 0.5 * closed.gauss_newton[0],
                k[1] - 0.5 * closed.gauss_newton[1],
            ];
            let change = (next[0] - k[0]).hypot(next[1] - k[1]);
            k = next;
            if change <= 1e-15 * k[0].hypot(k[1]) {
                break;
            }
        }
        let cost = self.evaluate(k).closed.map_or(f64::NAN, |c| c.cost);
        (k, cost)
    }
}
