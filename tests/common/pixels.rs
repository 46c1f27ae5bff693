//! Reading rendered images: a pixel's colour against an sRGB hex within a tolerance, counting
//! such pixels, and keeping an image under `target/test-output/` for a person to look at.

use fisherflow::render::canvas::Image;

/// Whether `p` is `hex` (sRGB) to within `tolerance` per channel.
pub fn is_color(p: [u8; 4], hex: u32, tolerance: i32) -> bool {
    let want = [
        (hex >> 16) as i32 & 255,
        (hex >> 8) as i32 & 255,
        hex as i32 & 255,
    ];
    (0..3).all(|c| (p[c] as i32 - want[c]).abs() <= tolerance)
}

/// How two images of one size differ: the pixels where some channel differs by more than
/// `tolerance`, and the largest channel difference anywhere.
pub fn differing(a: &Image, b: &Image, tolerance: u8) -> (usize, u8) {
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "images of different sizes"
    );
    let mut count = 0;
    let mut largest = 0;
    for (p, q) in a.rgba.chunks(4).zip(b.rgba.chunks(4)) {
        let d = p
            .iter()
            .zip(q)
            .map(|(x, y)| x.abs_diff(*y))
            .max()
            .unwrap_or(0);
        largest = largest.max(d);
        count += (d > tolerance) as usize;
    }
    (count, largest)
}

/// Pixels of `image` that are `hex` to within 40 per channel.
pub fn count(image: &Image, hex: u32) -> usize {
    image
        .rgba
        .chunks_exact(4)
        .filter(|p| is_color([p[0], p[1], p[2], p[3]], hex, 40))
        .count()
}

/// Pixels that are `hex` (to within 40) within `radius` pixels of the pixel `center`.
pub fn count_near(image: &Image, center: [f32; 2], hex: u32, radius: i32) -> usize {
    let mut n = 0;
    for dy in -radius..=radius {
        for dx in -radius..=radius {
            let (x, y) = (center[0] as i32 + dx, center[1] as i32 + dy);
            if x >= 0 && y >= 0 && (x as u32) < image.width && (y as u32) < image.height {
                n += is_color(image.pixel(x as u32, y as u32), hex, 40) as usize;
            }
        }
    }
    n
}

/// Pixels that are `hex` (to within 40) at distances in [`r_min`, `r_max`] pixels from the
/// point `center` (pixel coordinates, pixel centres at +0.5): an outline's ring.
pub fn count_in_ring(image: &Image, center: [f64; 2], hex: u32, r_min: f64, r_max: f64) -> usize {
    let mut n = 0;
    for y in 0..image.height {
        for x in 0..image.width {
            let r = (x as f64 + 0.5 - center[0]).hypot(y as f64 + 0.5 - center[1]);
            if (r_min..=r_max).contains(&r) && is_color(image.pixel(x, y), hex, 40) {
                n += 1;
            }
        }
    }
    n
}

/// Writes `image` to `target/test-output/<name>.png`; returns the path (for failure messages).
pub fn keep(image: &Image, name: &str) -> String {
    let dir = format!("{}/target/test-output", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = format!("{dir}/{name}.png");
    std::fs::write(&path, image.to_png().unwrap()).unwrap();
    path
}
