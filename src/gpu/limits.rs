//! The device-limit arithmetic every storage buffer goes through: how many elements of a
//! given size one binding can hold, and the error (naming the wgpu limit and what to do) when a
//! request does not fit. One place, so the field, the particles and the renderer's grid cap
//! agree on the number.

use super::context::GpuError;

/// The largest storage buffer this device can bind, in bytes, and the name of the wgpu limit
/// that sets it (the smaller of `max_storage_buffer_binding_size` and `max_buffer_size`).
pub fn storage_binding_limit(limits: &wgpu::Limits) -> (u64, &'static str) {
    let binding = limits.max_storage_buffer_binding_size;
    if binding < limits.max_buffer_size {
        (binding, "max_storage_buffer_binding_size")
    } else {
        (limits.max_buffer_size, "max_buffer_size")
    }
}

/// How many elements of `element_bytes` fit one storage binding.
pub fn max_storage_elements(limits: &wgpu::Limits, element_bytes: u64) -> u64 {
    storage_binding_limit(limits).0 / element_bytes.max(1)
}

/// Ok when `count` elements of `element_bytes` fit one storage binding; otherwise the error
/// names `what`, the bytes needed, the limit and `hint` (what the user can do instead, given
/// the largest count that fits).
pub fn check_storage(
    limits: &wgpu::Limits,
    what: impl FnOnce() -> String,
    count: u64,
    element_bytes: u64,
    hint: impl FnOnce(u64) -> String,
) -> Result<(), GpuError> {
    let (available, limit) = storage_binding_limit(limits);
    let needed = count.saturating_mul(element_bytes);
    if needed > available {
        return Err(GpuError::Limit {
            what: what(),
            needed,
            limit,
            available,
            hint: hint(available / element_bytes.max(1)),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smaller_limit_wins_and_is_named() {
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: 1 << 20,
            max_buffer_size: 1 << 30,
            ..wgpu::Limits::default()
        };
        assert_eq!(
            storage_binding_limit(&limits),
            (1 << 20, "max_storage_buffer_binding_size")
        );
        // 1 MiB of 96-byte cells: 10922 (hand: 1048576 / 96 = 10922.67).
        assert_eq!(max_storage_elements(&limits, 96), 10_922);
        assert!(check_storage(&limits, || "x".into(), 10_922, 96, |_| String::new()).is_ok());
        let err = check_storage(
            &limits,
            || "a field".into(),
            10_923,
            96,
            |n| format!("at most {n}"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("max_storage_buffer_binding_size") && err.contains("at most 10922"),
            "{err}"
        );
        let smaller_buffer = wgpu::Limits {
            max_buffer_size: 1 << 10,
            ..limits
        };
        assert_eq!(storage_binding_limit(&smaller_buffer).1, "max_buffer_size");
    }
}
