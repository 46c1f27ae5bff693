//! f32 mirror of `shaders/fim_general.wgsl` and `shaders/common/gmm_general.wgsl`: the general
//! two-component mixture's slice block of F (induced or profiled), ∇L, L and the natural
//! gradient at a list of points ([`points`]) or over a grid with a floating origin ([`grid`]),
//! multi-threaded with rayon over points. Same names, same constants, same order of
//! operations as the shaders (read them side by side); the 2×2 algebra is the generic
//! [`crate::math::sym2`] (mirror of `shaders/common/sym2.wgsl`). The rule itself (splits, grades, truncation, the refinement pass) is documented
//! in the shaders' headers and in `src/compute/general.rs`.

mod grid_cells;
mod mixture;
mod panels;
mod passes;
mod point;
mod profiled;
mod target;
mod union;

pub use grid_cells::{
    PARAM_MU1, PARAM_MU2, PARAM_PI, grid, grid_cell, grid_cell_from, grid_cell_mixtures,
    grid_cell_target, grid_cell_using, grid_target, inside_model,
};
pub use mixture::{
    GENERAL_TAIL, LN_SQRT_2PI, Mixture, NodeState, SATURATED_LOG_RATIO, SQRT_2PI, TRUNCATION_MAX,
    TRUNCATION_MIN, log_phi_ratio, make_mixture, min_weight, mixture_shape, node_state, score,
    truncation_sigmas, weight_score,
};
pub use panels::{
    GENERAL_MAX_PANELS, GENERAL_MAX_SPLITS, GRADE_FAR, GRADE_NEAR, NO_SPLIT, Splits, SwitchPoints,
    UNION_GRADE_LIMIT, UNION_MAX_PANELS, UNION_VELOCITY_GRADE, UNION_YIELD, UnionWindow, Window,
    component_window, mixture_splits, next_split, no_splits, switch_points, union_next,
    union_splits, union_window, window_next,
};
pub use passes::{PassSums, fisher_full_pass, fisher_pass, residual_pass, tri_index};
pub use point::{
    METRIC_PROFILED, PointCost, REFINE_RATIO, TargetHalf, evaluate_general_mixtures_from,
    evaluate_general_point, evaluate_general_point_counted, evaluate_general_point_using,
    joint_sums, points,
};
pub use profiled::{PROFILE_MIN_PIVOT, Profiled, profiled_block};
pub use target::{natural_gradient_eigen, with_angle, with_target_counted, with_target_sums};
pub use union::{
    UNION_ALL, UNION_EF, UNION_FISHER, UNION_LOSS, UNION_TARGET_SWITCHES, UnionPass, UnionPassFn,
    UnionSums, node_density, node_top_log_density, union_pass, union_target_switches,
};
