//! The pure event-body parsers, one per value of byte 0 (mod 13); the rest is the body.
#![no_main]

use std::hint::black_box;

use libfuzzer_sys::fuzz_target;
use replicant::source::decode::bodies;
use replicant::source::decode::framing::{self, ChecksumAlg, FormatDescription};
use replicant::source::decode::table_map::parse_table_map;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 13 {
        0 => {
            let fde = FormatDescription::assumed();
            let _ = black_box(bodies::query(body, &fde, 2));
        }
        1 => {
            let _ = black_box(bodies::rotate(body));
        }
        2 => {
            let _ = black_box(bodies::xid(body));
        }
        3 => {
            let _ = black_box(bodies::mysql_gtid(body, selector & 0x80 != 0));
        }
        4 => {
            // event_size as the decoder passes it: header + body (+ CRC32 sometimes).
            let size = body.len() + framing::HEADER_LEN + usize::from(selector & 0x80 != 0) * 4;
            let _ = black_box(bodies::mysql_tagged_gtid(body, size));
        }
        5 => {
            let _ = black_box(bodies::maria_gtid(body, 1));
        }
        6 => {
            let _ = black_box(bodies::maria_gtid_list(body));
        }
        7 => {
            let _ = black_box(bodies::maria_binlog_checkpoint(body));
        }
        8 => {
            if let Ok(tp) = bodies::transaction_payload(body) {
                let _ = black_box(bodies::decompress(&tp));
            }
        }
        9 => {
            let id_len = if selector & 0x80 != 0 { 4 } else { 6 };
            let _ = black_box(parse_table_map(body, id_len));
        }
        10 => {
            if let Ok(fde) = FormatDescription::parse(body) {
                for t in 0..=255u8 {
                    black_box((fde.post_header_len(t), fde.table_id_len(t)));
                }
                let _ = black_box(bodies::query(body, &fde, 2));
            }
        }
        11 => {
            let alg = if selector & 0x80 != 0 {
                ChecksumAlg::Crc32
            } else {
                ChecksumAlg::None
            };
            let _ = black_box(framing::split_event(body, alg));
        }
        _ => {
            if let Ok(it) = framing::FileEvents::new(body) {
                black_box(it.count());
            }
        }
    }
});
