//! `replicant run` as a whole: the replica and the query server over its copy, in one
//! process sharing one store.
//!
//! The server starts once the source passed preflight (so a bad source fails before
//! anything listens) and keeps serving the last consistent state if replication stops on
//! an error that needs a person (as a MySQL replica whose SQL thread stopped keeps
//! answering reads); `SHOW REPLICA STATUS` and `replicant status` then show the error.

use std::future::Future;

use tokio::sync::watch;
use tracing::{error, info};

use super::{Replica, RunMode};
use crate::config::run::RunSettings;
use crate::query::{Engine, EngineConfig, ReplicaView};
use crate::source::connect::{Flavor, ServerInfo, SourceOptions};

/// Runs the replica and serves its copy until `shutdown` completes (or, with
/// `mode.stop_at_end`, until the replica has caught up).
pub async fn run_serving(
    settings: &RunSettings,
    mode: RunMode,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let replica = Replica::open(settings).map_err(|e| e.to_string())?;
    let info = replica
        .preflight(settings)
        .await
        .map_err(|e| e.to_string())?;
    let (visible_tx, visible_rx) = watch::channel(None);
    let engine = Engine::new(
        replica.store(),
        engine_config(settings, &info, replica.source()),
        Some(ReplicaView {
            visible: visible_rx,
            status: replica.status(),
        }),
    );
    let server = crate::wire::bind(settings.server.clone())
        .await
        .map_err(|e| format!("--listen {}: {e}", settings.server.listen))?;
    let addr = server.local_addr().to_string();
    replica.status().set_listen(&addr);
    info!(%addr, "query server listening: mariadb -h {} -P {}", host_of(&addr), port_of(&addr));
    let (stop_tx, stop_rx) = watch::channel(false);
    let serving = tokio::spawn(server.serve(engine, async move {
        let mut rx = stop_rx;
        let _ = rx.wait_for(|stop| *stop).await;
    }));

    let status = replica.status();
    let replication = replica.replicate(settings, mode, visible_tx);
    tokio::pin!(shutdown);
    let result = tokio::select! {
        r = replication => match r {
            Ok(()) => Ok(()),
            Err(e) if mode.stop_at_end => Err(e.to_string()),
            Err(e) => {
                let message = e.to_string();
                error!(error = %message, "replication stopped; still serving the last consistent state until stopped");
                status.set_error(&message);
                shutdown.await;
                Err(message)
            }
        },
        _ = &mut shutdown => {
            info!("interrupted; the stored position is that of the last committed batch");
            Ok(())
        }
    };
    let _ = stop_tx.send(true);
    let _ = serving.await;
    result
}

/// What the server says it is: the source's version with `-replicant`, so clients pick
/// the dialect of the source (Connector/J looks for "MariaDB" in it).
pub fn engine_config(
    settings: &RunSettings,
    info: &ServerInfo,
    source: &SourceOptions,
) -> EngineConfig {
    let (a, b, c) = info.version;
    let mariadb = matches!(info.flavor, Flavor::MariaDb);
    let version = if mariadb {
        format!("{a}.{b}.{c}-MariaDB-replicant")
    } else {
        format!("{a}.{b}.{c}-replicant")
    };
    let (host, port, user) = source_parts(&source.url);
    EngineConfig {
        version,
        mariadb,
        server_id: settings.server_id,
        source_host: host,
        source_port: port,
        source_user: user,
    }
}

fn source_parts(url: &str) -> (String, u16, String) {
    match url::Url::parse(url) {
        Ok(u) => (
            u.host_str().unwrap_or_default().to_string(),
            u.port().unwrap_or(3306),
            u.username().to_string(),
        ),
        Err(_) => (String::new(), 3306, String::new()),
    }
}

fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(h, _)| h)
}

fn port_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or("3307", |(_, p)| p)
}
