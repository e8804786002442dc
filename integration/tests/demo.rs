//! `replicant demo` starts its own source, loads the sample data, replicates it and serves
//! the copy: a client of the printed address reads what the source holds, and the demo
//! writer's changes arrive.

use std::time::Duration;

use mysql_async::prelude::Queryable;
use replicant::demo::{run_to, DemoArgs};
use replicant::tail::format::Format;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_the_sample_data_and_follows_the_writer() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let args = DemoArgs {
        seconds: Some(20),
        tail: Some(Format::Csv),
        write_every: 0.3,
        listen: "127.0.0.1:0".into(),
        rows: 5000,
    };
    let demo = tokio::spawn(async move {
        let mut out = Vec::new();
        let r = run_to(args, &mut out, Some(tx)).await;
        (r, out)
    });
    let ready = match tokio::time::timeout(Duration::from_secs(120), rx).await {
        Ok(Ok(ready)) => ready,
        Ok(Err(_)) => panic!(
            "the demo stopped before it was ready: {:?}",
            demo.await.map(|r| r.0)
        ),
        Err(_) => panic!("the demo was not ready within 120 s"),
    };
    let (host, port) = ready.query_addr.rsplit_once(':').unwrap();
    let url = format!("mysql://root@{host}:{port}/shop");
    let mut replica = mysql_async::Conn::from_url(url.as_str()).await.unwrap();
    let source_url = format!("mysql://demo:demo@127.0.0.1:{}/shop", ready.source_port);
    let mut source = mysql_async::Conn::from_url(source_url.as_str())
        .await
        .unwrap();

    let count: Option<i64> = replica
        .query_first("SELECT COUNT(*) FROM sbtest.sbtest1")
        .await
        .unwrap();
    assert_eq!(count, Some(5000));
    let sum_src: Option<String> = source
        .query_first("SELECT CAST(SUM(k) AS CHAR) FROM sbtest.sbtest1")
        .await
        .unwrap();
    let sum_rep: Option<String> = replica
        .query_first("SELECT CAST(SUM(k) AS CHAR) FROM sbtest.sbtest1")
        .await
        .unwrap();
    assert_eq!(sum_src, sum_rep);

    // The writer keeps inserting orders with growing ids: the replica catches up with a
    // state the source had.
    let mut seen_new_order = false;
    for _ in 0..100 {
        let max: Option<i64> = replica
            .query_first("SELECT MAX(id) FROM Orders")
            .await
            .unwrap();
        if max.is_some_and(|m| m > 4) {
            seen_new_order = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        seen_new_order,
        "the writer's inserts never reached the replica"
    );
    let first: Vec<(i64, String, String)> = replica
        .query("SELECT id, status, DATE_FORMAT(LastUpdated, '%Y-%m-%d %H:%i:%s') FROM Orders WHERE id <= 2 ORDER BY id")
        .await
        .unwrap();
    assert_eq!(
        first[0],
        (1, "Backordered".into(), "2020-06-01 12:00:00".into())
    );

    drop(replica);
    drop(source);
    let (result, out) = demo.await.unwrap();
    result.unwrap();
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
}
