//! `replicant demo` starts its own source, loads the sample data and tails it.

use replicant::demo::{run_to, DemoArgs};
use replicant::tail::format::Format;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_tails_the_sample_data_and_the_writers_changes() {
    let mut out = Vec::new();
    let args = DemoArgs {
        seconds: Some(4),
        format: Format::Csv,
        write_every: 0.5,
    };
    run_to(args, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "insert|1|Backordered|2020-06-01 12:00:00",
            "insert|2|Shipped|2020-06-01 12:05:00",
            "insert|3|Pending|2020-06-01 12:10:00",
            "insert|3|Pending|2020-06-01 12:10:00",
        ]
    );
    assert!(lines.iter().any(|l| l.starts_with("insert|4|")), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("update|4|")), "{text}");
}
