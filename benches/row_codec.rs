//! Row codec speed: encode + decode of 1M sysbench-shaped rows (INT id, INT k, CHAR(120) c,
//! CHAR(60) pad) with `store::codec`, printed side by side with serde_json of the same rows
//! in the same run, as ratios. Figures only: nothing here asserts a time.
//!
//! Run: `cargo bench --bench row_codec` (optionally `-- ROWS`, default 1,000,000).

use std::hint::black_box;
use std::time::{Duration, Instant};

use replicant::source::value::Value;
use replicant::store::codec::{decode_row, encode_row};

/// Rows are made and measured in chunks so memory stays small and data is not all in cache.
const CHUNK: usize = 100_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// sysbench's `###########-###...` strings: `groups` groups of 11 digits.
    fn digits(&mut self, groups: usize) -> Vec<u8> {
        let mut s = Vec::with_capacity(groups * 12);
        for g in 0..groups {
            if g > 0 {
                s.push(b'-');
            }
            for _ in 0..11 {
                s.push(b'0' + (self.next() % 10) as u8);
            }
        }
        s
    }
}

fn sysbench_rows(first_id: usize, n: usize, rng: &mut Rng) -> Vec<Vec<Option<Value>>> {
    (first_id..first_id + n)
        .map(|id| {
            vec![
                Some(Value::Int(id as i64 + 1)),
                Some(Value::Int((rng.next() % 250_000) as i64 + 1)),
                Some(Value::Bytes(rng.digits(10))), // 119 bytes: CHAR(120)
                Some(Value::Bytes(rng.digits(5))),  // 59 bytes: CHAR(60)
            ]
        })
        .collect()
}

#[derive(Default)]
struct Figures {
    encode: Duration,
    decode: Duration,
    bytes: usize,
}

/// Encodes every row into one buffer (offsets kept), then decodes each one back.
fn measure(
    rows: &[Vec<Option<Value>>],
    figures: &mut Figures,
    mut encode: impl FnMut(&[Option<Value>], &mut Vec<u8>),
    mut decode: impl FnMut(&[u8]) -> Vec<Option<Value>>,
) {
    let mut buf = Vec::with_capacity(rows.len() * 256);
    let mut ends = Vec::with_capacity(rows.len());
    let t = Instant::now();
    for row in rows {
        encode(row, &mut buf);
        ends.push(buf.len());
    }
    figures.encode += t.elapsed();
    figures.bytes += buf.len();

    let t = Instant::now();
    let mut start = 0;
    for &end in &ends {
        black_box(decode(black_box(&buf[start..end])));
        start = end;
    }
    figures.decode += t.elapsed();

    // Untimed check that both sides really round-trip.
    for i in (0..rows.len()).step_by(997) {
        let start = if i == 0 { 0 } else { ends[i - 1] };
        assert_eq!(decode(&buf[start..ends[i]]), rows[i]);
    }
}

fn main() {
    let total: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut ours = Figures::default();
    let mut json = Figures::default();
    let mut done = 0;
    while done < total {
        let n = CHUNK.min(total - done);
        let rows = sysbench_rows(done, n, &mut rng);
        measure(
            &rows,
            &mut ours,
            |row, out| encode_row(row, out).unwrap(),
            |bytes| decode_row(bytes).unwrap(),
        );
        measure(
            &rows,
            &mut json,
            |row, out| serde_json::to_writer(out, row).unwrap(),
            |bytes| serde_json::from_slice(bytes).unwrap(),
        );
        done += n;
    }

    let per_row = |d: Duration| d.as_nanos() as f64 / total as f64;
    let line = |name: &str, f: &Figures| {
        println!(
            "{name:<26} {:>9.1} {:>9.1} {:>9.1} {:>10.1} {:>10.2}",
            per_row(f.encode),
            per_row(f.decode),
            per_row(f.encode + f.decode),
            f.bytes as f64 / total as f64,
            total as f64 / (f.encode + f.decode).as_secs_f64() / 1e6,
        )
    };
    println!("{total} sysbench-shaped rows (INT id, INT k, CHAR(120) c, CHAR(60) pad)");
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>10} {:>10}",
        "codec", "enc ns", "dec ns", "total ns", "bytes/row", "Mrows/s"
    );
    line("store::codec (bincode 2)", &ours);
    line("serde_json (peer)", &json);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "serde_json / store::codec: encode {:.2}x, decode {:.2}x, total {:.2}x, size {:.2}x",
        ratio(json.encode, ours.encode),
        ratio(json.decode, ours.decode),
        ratio(json.encode + json.decode, ours.encode + ours.decode),
        json.bytes as f64 / ours.bytes as f64,
    );
}
