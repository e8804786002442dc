//! MySQL binary JSON: byte 0 chooses `json_to_text` (even) or `decode_json_diffs` (odd) on
//! the rest. Whatever text comes out must be valid JSON (checked with serde_json).
#![no_main]

use libfuzzer_sys::fuzz_target;
use replicant::source::decode::json::{decode_json_diffs, json_to_text};

fn assert_json(text: &str) {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
        panic!("json_to_text produced invalid JSON ({e}): {text:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(text) = json_to_text(bytes) {
            assert_json(&text);
        }
    } else if let Ok(diffs) = decode_json_diffs(bytes) {
        for value in diffs.iter().filter_map(|d| d.value.as_deref()) {
            assert_json(value);
        }
    }
});
