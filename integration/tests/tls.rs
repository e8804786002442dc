//! TLS to the source: `?ssl-mode=…&ssl-ca=…` in the `--source` URL, against a MariaDB
//! started with a certificate made here (rcgen) for 127.0.0.1.

use std::path::Path;

use integration::{MariaDb, MariaDbOptions};
use mysql_async::prelude::Queryable;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use replicant::source::change::Change;
use replicant::source::connect::{connect, SourceOptions};
use replicant::source::filter::TableFilter;
use replicant::source::position::{FilePos, StartPosition};
use replicant::source::stream::{BinlogStream, StreamOptions};

/// A CA and a server certificate for 127.0.0.1 signed by it, written as PEM files into
/// `dir`; returns the CA file.
fn make_certs(dir: &Path, prefix: &str) -> std::path::PathBuf {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let ca_file = dir.join(format!("{prefix}-ca.pem"));
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(dir.join(format!("{prefix}-cert.pem")), cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{prefix}-key.pem")), key.serialize_pem()).unwrap();
    ca_file
}

async fn tls_server(dir: &Path) -> MariaDb {
    let ca = make_certs(dir, "server");
    MariaDb::start_with(
        MariaDbOptions::default()
            .arg(format!("--ssl-ca={}", ca.display()))
            .arg(format!(
                "--ssl-cert={}",
                dir.join("server-cert.pem").display()
            ))
            .arg(format!(
                "--ssl-key={}",
                dir.join("server-key.pem").display()
            )),
    )
    .await
}

fn with_params(db: &MariaDb, params: &str) -> SourceOptions {
    SourceOptions::from_url(&format!("{}?{params}", db.repl_url())).unwrap()
}

async fn cipher(opts: &SourceOptions) -> Result<String, String> {
    let (mut conn, _) = connect(opts).await.map_err(|e| e.to_string())?;
    let row: Option<(String, String)> = conn
        .query_first("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.map(|(_, v)| v).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_modes_encrypt_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = tls_server(dir.path()).await;
    let ca = dir.path().join("server-ca.pem");

    // required and preferred encrypt; disabled does not.
    assert!(!cipher(&with_params(&db, "ssl-mode=required"))
        .await
        .unwrap()
        .is_empty());
    assert!(!cipher(&with_params(&db, "ssl-mode=preferred"))
        .await
        .unwrap()
        .is_empty());
    assert!(cipher(&with_params(&db, "ssl-mode=disabled"))
        .await
        .unwrap()
        .is_empty());
    // The certificate names 127.0.0.1 and chains to the CA: full verification passes.
    let verify = format!("ssl-mode=verify_identity&ssl-ca={}", ca.display());
    assert!(!cipher(&with_params(&db, &verify)).await.unwrap().is_empty());

    // A certificate from another CA is refused.
    let other = make_certs(dir.path(), "other");
    let wrong = format!("ssl-mode=verify_ca&ssl-ca={}", other.display());
    assert!(
        cipher(&with_params(&db, &wrong)).await.is_err(),
        "wrong CA accepted"
    );

    // The binlog stream itself runs over TLS.
    db.exec("CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY)")
        .await;
    let (file, pos) = db.current_position().await;
    let mut stream = BinlogStream::open(StreamOptions {
        source: with_params(&db, &verify),
        start: StartPosition::FilePos(FilePos { file, pos }),
        filter: TableFilter::parse("s.*").unwrap(),
        stop_at_end: false,
        reconnect: false,
        max_backoff: std::time::Duration::from_secs(1),
        known_gtid: None,
    })
    .await
    .unwrap();
    db.exec("INSERT INTO s.t VALUES (1)").await;
    let mut changes = Vec::new();
    while !changes.iter().any(|c| matches!(c, Change::Commit { .. })) {
        stream.next(&mut changes).await.unwrap();
    }
    assert!(changes.iter().any(|c| matches!(c, Change::Row(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_fails_against_a_server_without_tls() {
    let db = MariaDb::start().await;
    let err = cipher(&with_params(&db, "ssl-mode=required"))
        .await
        .unwrap_err();
    assert!(err.to_lowercase().contains("ssl"), "{err}");
    // preferred (the default) falls back to plain TCP.
    assert!(cipher(&with_params(&db, "ssl-mode=preferred"))
        .await
        .unwrap()
        .is_empty());
}
