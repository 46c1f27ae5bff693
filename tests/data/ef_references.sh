#!/bin/sh
# Regenerates tests/data/ef_references.json (30-digit mpmath references of the population
# empirical Fisher E_{p*}[s sᵀ], F, KL and ∇L at points the code was not tuned on; used by
# tests/estimates_ef.rs, tests/gpu_general.rs and tests/gpu_fim.rs). CI has no mpmath, so the
# output is committed.
cd "$(dirname "$0")" && python3 /work/shared/reference/gmm_general_reference.py \
    < ef_reference_points.json > ef_references.json
