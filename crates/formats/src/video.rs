//! Video object tracking results with their key frames filled in (Label Studio's
//! `interpolate_key_frames` export option): between an enabled key frame of a `videorectangle`
//! sequence and the next, every frame gets a box interpolated linearly and marked `auto`; after
//! the last enabled key frame, boxes hold still to the video's end. Numbers keep Python's
//! arithmetic (an integer stays an integer where Label Studio's code keeps it one), so the
//! output equals Label Studio's `extract_key_frames`.

use serde_json::{Map, Value};

/// The region types that hold a tracking sequence.
const TRACKING_TYPES: [&str; 1] = ["videorectangle"];

/// The box properties interpolated between key frames.
const PROPERTIES: [&str; 6] = ["x", "y", "rotation", "width", "height", "time"];

/// A JSON number as Python computes with it.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn of(value: Option<&Value>) -> Num {
        match value {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Num::Int(i),
                None => Num::Float(n.as_f64().unwrap_or(0.0)),
            },
            Some(Value::Bool(b)) => Num::Int(i64::from(*b)),
            _ => Num::Int(0),
        }
    }

    fn float(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn add(self, other: Num) -> Num {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a + b),
            _ => Num::Float(self.float() + other.float()),
        }
    }

    fn is_zero(self) -> bool {
        self.float() == 0.0
    }

    /// Python's `round(x, 2)`: integers unchanged, floats to the nearest hundredth.
    fn round2(self) -> Num {
        match self {
            Num::Int(_) => self,
            Num::Float(f) => Num::Float(format!("{f:.2}").parse().unwrap_or(f)),
        }
    }

    fn value(self) -> Value {
        match self {
            Num::Int(i) => Value::from(i),
            Num::Float(f) => Value::from(f),
        }
    }
}

fn frame_of(frame: &Map<String, Value>) -> i64 {
    frame.get("frame").and_then(Value::as_i64).unwrap_or(0)
}

fn enabled(frame: &Map<String, Value>) -> bool {
    frame
        .get("enabled")
        .is_some_and(|v| v.as_bool().unwrap_or(false))
}

/// Results with every tracking sequence's frames filled in; other results as they are, and
/// tracking results with an empty sequence left out (as Label Studio does).
pub fn interpolate_key_frames(results: &[Value]) -> Vec<Value> {
    let mut out = Vec::with_capacity(results.len());
    for result in results {
        let kind = result["type"].as_str().unwrap_or_default().to_lowercase();
        if !TRACKING_TYPES.contains(&kind.as_str()) {
            out.push(result.clone());
            continue;
        }
        let sequence: Vec<Map<String, Value>> = result["value"]["sequence"]
            .as_array()
            .map(|frames| {
                frames
                    .iter()
                    .filter_map(|f| f.as_object().cloned())
                    .collect()
            })
            .unwrap_or_default();
        if sequence.is_empty() {
            continue;
        }
        let mut sorted = sequence.clone();
        sorted.sort_by_key(frame_of);
        let frames_count = result["value"]["framesCount"].as_i64().unwrap_or(0);
        let duration = Num::of(result["value"].get("duration"));
        let mut filled = sequence;
        let mut exclude_first = false;
        for (i, frame) in sorted.iter().enumerate() {
            let next = sorted.get(i + 1);
            filled.extend(between(frame, next, frames_count, duration, exclude_first));
            exclude_first = enabled(frame);
        }
        filled.sort_by_key(frame_of);
        let mut interpolated = result.clone();
        interpolated["value"]["sequence"] =
            Value::Array(filled.into_iter().map(Value::Object).collect());
        out.push(interpolated);
    }
    out
}

/// The frames after `first` up to `next` (or the video's end), interpolated; key frames
/// themselves are not repeated.
fn between(
    first: &Map<String, Value>,
    next: Option<&Map<String, Value>>,
    frames_count: i64,
    duration: Num,
    exclude_first: bool,
) -> Vec<Map<String, Value>> {
    if !enabled(first) {
        return Vec::new();
    }
    let start_frame = frame_of(first);
    let frame_count = match next {
        Some(next) if start_frame > frame_of(next) => return Vec::new(),
        Some(next) => frame_of(next) - start_frame + 1,
        None => frames_count - start_frame + 1,
    };
    let mut frames = Vec::new();
    for i in i64::from(exclude_first)..frame_count {
        let frame_number = i + start_frame;
        let delta = i as f64 / (frame_count - 1).max(1) as f64;
        let deltas: Vec<Num> = PROPERTIES
            .iter()
            .map(|key| {
                let from = Num::of(first.get(*key));
                match next {
                    // A property the next key frame lacks counts as 0 (Python's `get(v, 0)`).
                    Some(next)
                        if !next
                            .get(*key)
                            .is_some_and(|to| Num::of(Some(to)).float() == from.float()) =>
                    {
                        Num::Float((Num::of(next.get(*key)).float() - from.float()) * delta)
                    }
                    _ => Num::Int(0),
                }
            })
            .collect();
        if next.is_some_and(|n| frame_of(n) == frame_number) || frame_number == start_frame {
            continue;
        }
        let mut frame = first.clone();
        for (key, change) in PROPERTIES.iter().zip(&deltas) {
            let moved = Num::of(first.get(*key)).add(*change);
            let moved = if *key == "time" {
                moved.round2()
            } else {
                moved
            };
            frame.insert((*key).to_string(), moved.value());
        }
        frame.insert("frame".into(), Value::from(frame_number));
        frame.insert("auto".into(), Value::Bool(true));
        let time_change = deltas[5];
        if time_change.is_zero() && duration.float() > 0.0 {
            let from = Num::of(first.get("time"));
            let time = Num::Float(from.float() + delta * (duration.float() - from.float()));
            frame.insert("time".into(), time.round2().value());
        }
        frames.push(frame);
    }
    frames
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::interpolate_key_frames;

    #[test]
    fn frames_between_key_frames_are_filled_in_with_pythons_numbers() {
        let results = [
            json!({"type": "videorectangle", "value": {"framesCount": 4, "duration": 0.16, "sequence": [
                {"frame": 1, "enabled": true, "rotation": 0, "x": 10, "y": 5, "width": 2, "height": 2, "time": 0},
                {"frame": 3, "enabled": false, "rotation": 0, "x": 20, "y": 5, "width": 2, "height": 2, "time": 0.08}
            ]}}),
        ];
        let out = interpolate_key_frames(&results);
        let frames = out[0]["value"]["sequence"].as_array().unwrap();
        assert_eq!(frames.len(), 3, "{frames:?}");
        // Frame 2: x moves halfway (a float), y stays an integer, time rounds to hundredths.
        assert_eq!(frames[1]["frame"], 2);
        assert_eq!(frames[1]["auto"], true);
        assert_eq!(frames[1]["x"].to_string(), "15.0");
        assert_eq!(frames[1]["y"].to_string(), "5");
        assert_eq!(frames[1]["time"], 0.04);
        // A disabled key frame ends the track: nothing after frame 3.
        assert_eq!(frames[2]["frame"], 3);
        assert!(interpolate_key_frames(&[
            json!({"type": "videorectangle", "value": {"sequence": []}})
        ])
        .is_empty());
    }
}
