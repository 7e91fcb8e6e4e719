//! `daytona`: CLI dispatch only.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = daytona::cli::Cli::parse();
    match daytona::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("daytona: error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
