//! The outer contours of a mask, as OpenCV's `findContours(mask, RETR_EXTERNAL,
//! CHAIN_APPROX_SIMPLE)` finds them (Suzuki and Abe's border following, which Label Studio's
//! BRUSH_TO_COCO converter calls): the same points, starting where OpenCV starts, in OpenCV's
//! order, so the polygons equal Label Studio's. Written here because no Rust library promises
//! OpenCV's exact point order and chain approximation.

/// Steps of the 8 directions: 0 is +x, counting counter-clockwise on screen (y grows down).
const STEPS: [(isize, isize); 8] = [
    (1, 0),
    (1, -1),
    (0, -1),
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// A contour's points, `(x, y)` in pixels.
pub type Contour = Vec<(i64, i64)>;

/// The outer contours of the non-zero pixels of a `width`×`height` mask (row by row), in the
/// order OpenCV returns them (the last found first).
pub fn external_contours(mask: &[u8], width: usize, height: usize) -> Vec<Contour> {
    // A copy with a border of zeros: 0 background, 1 unvisited foreground, 2 a border pixel,
    // -2 a border pixel where the contour turns back to the right (OpenCV's `nbd | -128`).
    let (w, h) = (width + 2, height + 2);
    let mut img = vec![0i8; w * h];
    for y in 0..height {
        for x in 0..width {
            if mask[y * width + x] != 0 {
                img[(y + 1) * w + x + 1] = 1;
            }
        }
    }
    let mut found = Vec::new();
    for y in 1..h - 1 {
        let mut prev = 0i8;
        // The last border pixel met in this row: inside a contour while it is positive.
        let mut last_border = 0i8;
        for x in 1..w - 1 {
            let p = img[y * w + x];
            if p == prev {
                continue;
            }
            if prev == 0 && p == 1 && last_border <= 0 {
                found.push(follow(&mut img, w, x, y));
            }
            prev = img[y * w + x];
            if prev != 0 && prev != 1 {
                last_border = prev;
            }
        }
    }
    found.reverse();
    found
}

/// Follows the outer border starting at `(x, y)` (its left neighbour is background), marking
/// it, and keeps the points where the direction changes.
fn follow(img: &mut [i8], w: usize, x: usize, y: usize) -> Contour {
    let at = |x: usize, y: usize, s: usize| {
        (
            (x as isize + STEPS[s].0) as usize,
            (y as isize + STEPS[s].1) as usize,
        )
    };
    let point = |(x, y): (usize, usize)| (x as i64 - 1, y as i64 - 1);
    let start = (x, y);
    // The first foreground neighbour, turning clockwise from the left.
    let mut s = 4usize;
    let first = loop {
        s = (s + 7) % 8;
        let next = at(x, y, s);
        if img[next.1 * w + next.0] != 0 || s == 4 {
            break next;
        }
    };
    if s == 4 && img[first.1 * w + first.0] == 0 {
        // A single pixel.
        img[y * w + x] = -2;
        return vec![point(start)];
    }
    let mut points = Vec::new();
    let mut here = start;
    let mut prev_s = s ^ 4;
    loop {
        let end = s;
        let next = loop {
            s += 1;
            let candidate = at(here.0, here.1, s % 8);
            if img[candidate.1 * w + candidate.0] != 0 {
                break candidate;
            }
        };
        s %= 8;
        let cell = &mut img[here.1 * w + here.0];
        if s.wrapping_sub(1) < end {
            *cell = -2;
        } else if *cell == 1 {
            *cell = 2;
        }
        if s != prev_s {
            points.push(point(here));
            prev_s = s;
        }
        if next == start && here == first {
            break;
        }
        here = next;
        s = (s + 4) % 8;
    }
    points
}

/// OpenCV's `boundingRect` of integer points: `[x, y, width, height]` with both ends included.
pub fn bounding_rect(points: &[(i64, i64)]) -> [i64; 4] {
    let min_x = points.iter().map(|p| p.0).min().unwrap_or(0);
    let max_x = points.iter().map(|p| p.0).max().unwrap_or(-1);
    let min_y = points.iter().map(|p| p.1).min().unwrap_or(0);
    let max_y = points.iter().map(|p| p.1).max().unwrap_or(-1);
    [
        min_x,
        min_y,
        max_x.saturating_sub(min_x).saturating_add(1),
        max_y.saturating_sub(min_y).saturating_add(1),
    ]
}

/// OpenCV's `contourArea` (unsigned shoelace area).
pub fn area(points: &[(i64, i64)]) -> f64 {
    let n = points.len();
    if n < 3 {
        return 0.0;
    }
    let mut twice = 0.0;
    let mut previous = points[n - 1];
    for &(x, y) in points {
        twice += previous.0 as f64 * y as f64 - x as f64 * previous.1 as f64;
        previous = (x, y);
    }
    twice.abs() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangles_keep_their_corners() {
        // A 3×2 block at (1, 1) in a 5×4 mask.
        let mut mask = vec![0u8; 20];
        for y in 1..3 {
            for x in 1..4 {
                mask[y * 5 + x] = 255;
            }
        }
        let contours = external_contours(&mask, 5, 4);
        assert_eq!(contours, vec![vec![(1, 1), (1, 2), (3, 2), (3, 1)]]);
        assert_eq!(bounding_rect(&contours[0]), [1, 1, 3, 2]);
        assert_eq!(area(&contours[0]), 2.0);
    }

    #[test]
    fn holes_and_inner_islands_are_not_contours() {
        // A ring with an island inside, and a lone pixel below.
        let rows = [
            "#####.", "#...#.", "#.#.#.", "#...#.", "#####.", "......", "...#..",
        ];
        let mask: Vec<u8> = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| u8::from(b == b'#')))
            .collect();
        let contours = external_contours(&mask, 6, 7);
        assert_eq!(contours.len(), 2);
        assert_eq!(contours[0], vec![(3, 6)], "the last found comes first");
        assert_eq!(contours[1], vec![(0, 0), (0, 4), (4, 4), (4, 0)]);
    }
}
