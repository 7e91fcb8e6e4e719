//! The command line (SPEC §2). Exit codes: 0 success, 1 runtime failure,
//! 2 usage or configuration error; every error is one line on stderr.

use std::{io::BufRead, path::PathBuf, sync::Arc};

use clap::{Parser, Subcommand};

use crate::roles::Role;
use crate::{
    app,
    auth::{
        self,
        model::{NewPassword, NewUser},
    },
    clock::{Clock, SystemClock},
    config::{Config, DEFAULT_TOML, LogFormat},
    db::{self, DataDirLock, Db},
};

#[derive(Parser)]
#[command(
    name = "daytona",
    version,
    about = "Workshop bookings and vehicle stock for a car dealership"
)]
pub struct Cli {
    /// Config file (TOML). Without one, the built-in defaults apply.
    #[arg(long, global = true, env = "DAYTONA_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve HTTP and run the scheduled jobs until SIGTERM/SIGINT.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check or print the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff user.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "admin")]
        role: Role,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for a staff user and sign out all their sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration (file and environment) and exit.
    Check,
    /// Print the full default configuration, documented.
    Default,
}

/// A command failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            code: 1,
            message: format!("{e:#}"),
        }
    }
}

type Outcome = Result<(), Failure>;

pub async fn run(cli: Cli) -> Outcome {
    if let Command::Config(ConfigCommand::Default) = cli.command {
        print!("{DEFAULT_TOML}");
        return Ok(());
    }
    // `vars_os`: one stray non-UTF-8 variable must not crash the program.
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let config =
        Config::load(cli.config.as_deref(), env).map_err(|e| Failure::usage(e.to_string()))?;
    match cli.command {
        Command::Serve => {
            check_gateways(&config)?;
            serve(config).await
        }
        Command::Migrate => migrate(&config).await,
        Command::Admin(cmd) => admin(&config, cmd).await,
        Command::Config(ConfigCommand::Check) => {
            check_gateways(&config)?;
            println!(
                "configuration OK (data dir {})",
                config.storage.data_dir.display()
            );
            Ok(())
        }
        Command::Config(ConfigCommand::Default) => Ok(()),
    }
}

/// A notification gateway setting that can never work is a configuration
/// error (exit 2) for `serve` and `config check`; other commands (backups,
/// password resets) must keep working while the SMS account is being fixed.
fn check_gateways(config: &Config) -> Outcome {
    crate::app::install_tls_provider();
    crate::gateways::Providers::from_config(config)
        .map(drop)
        .map_err(|e| Failure::usage(format!("{e:#}")))
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    // The scheduler narrates its own start-up at info; its warnings are enough.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tokio_cron_scheduler=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in the journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

async fn serve(config: Config) -> Outcome {
    init_logging(config.server.log_format);
    let _lock = DataDirLock::acquire(&config.storage.data_dir).map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
    })?;
    let server = app::start(config, Arc::new(SystemClock)).await?;
    let base = server.state.config.base_url();
    tracing::info!(address = %server.local_addr().map_err(anyhow::Error::from)?, "daytona listening");
    println!("Daytona is running at {base}");
    if let Some(link) = &server.setup_link {
        println!(
            "First run: open this link within 24 hours to create the first admin account:\n  {link}"
        );
    }
    server
        .run(shutdown_signal())
        .await
        .map_err(anyhow::Error::from)?;
    tracing::info!("daytona stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (systemd stop).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing open requests");
}

async fn open_db(config: &Config) -> Result<Db, Failure> {
    let dir = config.storage.data_dir.clone();
    Ok(tokio::task::spawn_blocking(move || Db::open(&dir))
        .await
        .map_err(anyhow::Error::from)??)
}

async fn migrate(config: &Config) -> Outcome {
    let dir = config.storage.data_dir.clone();
    let (applied, version) =
        tokio::task::spawn_blocking(move || -> anyhow::Result<(usize, i64)> {
            std::fs::create_dir_all(&dir)?;
            let mut conn = db::open_connection(&dir.join(db::DB_FILE), false)?;
            let applied = db::migrate(&mut conn)?;
            Ok((applied, db::schema_version(&conn)?))
        })
        .await
        .map_err(anyhow::Error::from)??;
    println!("applied {applied} migration(s); schema version {version}");
    Ok(())
}

async fn admin(config: &Config, cmd: AdminCommand) -> Outcome {
    let now = SystemClock.now();
    match cmd {
        AdminCommand::Create {
            email,
            name,
            role,
            password_stdin,
        } => {
            let password = read_password(password_stdin, true)?;
            let user = NewUser::parse(&email, &name, role, &password).map_err(|errors| {
                let why: Vec<String> = ["email", "name", "password"]
                    .iter()
                    .filter_map(|f| errors.get(f).map(|e| format!("--{f}: {e}")))
                    .collect();
                Failure::usage(why.join("; "))
            })?;
            let hash = auth::password::hash_blocking(user.password.expose().to_owned()).await?;
            let db = open_db(config).await?;
            let email = user.email.as_str().to_owned();
            db.write(move |tx| -> Result<(), Failure> {
                match auth::repo::insert_user(tx, &user, &hash, now) {
                    Ok(_) => Ok(()),
                    Err(e) if db::is_unique_violation(&e) => Err(Failure {
                        code: 1,
                        message: format!(
                            "a staff user with email {} already exists",
                            user.email.as_str()
                        ),
                    }),
                    Err(e) => Err(anyhow::Error::from(e).into()),
                }
            })
            .await?;
            println!("created {} user {email}", role.as_str());
            Ok(())
        }
        AdminCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let password = read_password(password_stdin, true)?;
            let password = NewPassword::parse(&password)
                .map_err(|e| Failure::usage(format!("password: {e}")))?;
            let hash = auth::password::hash_blocking(password.expose().to_owned()).await?;
            let db = open_db(config).await?;
            let lookup = email.trim().to_lowercase();
            let found = db
                .write(move |tx| -> anyhow::Result<bool> {
                    Ok(auth::repo::set_password(tx, &lookup, &hash, now)?)
                })
                .await?;
            if !found {
                return Err(Failure {
                    code: 1,
                    message: format!("no staff user with email {email}"),
                });
            }
            println!("password changed for {email}; their sessions were signed out");
            Ok(())
        }
    }
}

impl From<Failure> for anyhow::Error {
    fn from(f: Failure) -> Self {
        anyhow::anyhow!(f.message)
    }
}

/// Reads a password from the first line of stdin, or prompts twice on the terminal.
fn read_password(from_stdin: bool, confirm: bool) -> Result<String, Failure> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let no_tty = |e: std::io::Error| {
        Failure::usage(format!(
            "cannot prompt for a password ({e}); pass it with --password-stdin"
        ))
    };
    let first = rpassword::prompt_password("Password: ").map_err(no_tty)?;
    if confirm {
        let second = rpassword::prompt_password("Repeat password: ").map_err(no_tty)?;
        if first != second {
            return Err(Failure::usage("the two passwords differ"));
        }
    }
    Ok(first)
}
