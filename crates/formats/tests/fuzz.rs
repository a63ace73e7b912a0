//! Fuzzing import parsing on the stable toolchain with `bolero` (see the label-config target in
//! `crates/labelconfig/tests/fuzz.rs` for how runs are sized): any bytes uploaded under any task
//! file extension are parsed into items or refused with a message, without a panic or a hang.
//! The corpus (`tests/__fuzz__/uploaded_files/corpus`) holds deep JSON nesting, huge and ragged
//! CSV rows, byte-order marks and invalid UTF-8; the first byte of an input picks the extension.

use std::time::{Duration, Instant};

use bolero::check;
use tessera_formats::import::{parse_file, TASK_FILE_EXTENSIONS};

const DEFAULT_ITERATIONS: usize = 2_000;
const MAX_TIME: Duration = Duration::from_secs(5);

fn iterations() -> usize {
    std::env::var("BOLERO_RANDOM_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_ITERATIONS)
}

#[test]
fn uploaded_files() {
    check!()
        .with_iterations(iterations())
        .for_each(|bytes: &[u8]| {
            let Some((first, content)) = bytes.split_first() else {
                return;
            };
            let ext = TASK_FILE_EXTENSIONS[usize::from(*first) % TASK_FILE_EXTENSIONS.len()];
            let started = Instant::now();
            let _ = parse_file(ext, content);
            // Random bytes are rarely UTF-8: parse their text reading too, so the parsers see them.
            let _ = parse_file(ext, String::from_utf8_lossy(content).as_bytes());
            assert!(
                started.elapsed() < MAX_TIME,
                "{ext}: {} bytes took {:?}",
                content.len(),
                started.elapsed()
            );
        });
}
