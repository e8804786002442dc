//! The `replicant` command line.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// replicant: an embedded MySQL/MariaDB replica emulator.
#[derive(Debug, Parser)]
#[command(name = "replicant", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the source's changes as they happen (text, JSON lines or CSV), decoded from
    /// its binary log like `mysqlbinlog -v`.
    Tail(replicant::tail::TailArgs),
    /// The embedded default: a throwaway local MariaDB with sample data, replicated and
    /// served over the MySQL protocol, with the command to connect printed.
    Demo(replicant::demo::DemoArgs),
    /// The replica: copy the selected tables once, then apply every change from the
    /// source's binlog to the copy in the data directory, surviving restarts.
    Run(replicant::replica::RunCommand),
    /// Where a replica stands: positions, lag, per-table state (also while it runs).
    Status(replicant::replica::status::StatusArgs),
}

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("REPLICANT_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Tail(args) => replicant::tail::run(args).await,
            Command::Demo(args) => replicant::demo::run(args).await,
            Command::Run(args) => replicant::replica::run(args).await,
            Command::Status(args) => replicant::replica::status::run(args),
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
