//! `daytona`: CLI dispatch only.

use std::process::ExitCode;

use clap::Parser;

/// See Cargo.toml: the static musl build uses jemalloc.
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Before anything can open a TLS connection (SMTP, SMS gateways).
    daytona::app::install_tls_provider();
    let cli = daytona::cli::Cli::parse();
    match daytona::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("daytona: error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
