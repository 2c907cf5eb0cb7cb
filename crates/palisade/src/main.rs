//! The `palisade` binary: parses arguments, loads config, wires the crates, maps
//! errors to exit codes (0 ok, 1 failure, 2 usage or input error).

use std::process::ExitCode;

use clap::Parser;

mod apps;
mod audit;
mod blackbook;
mod cli;
mod cluster;
mod commands;
mod config;
mod console;
mod csp_suggest;
mod demo;
mod detect;
mod enforce;
mod events;
mod headers_check;
mod outdated;
mod reports;
mod rules;
mod run;
mod traffic;
mod update;
mod watch;
mod yanked;

use cli::{Cli, Command};

/// A failure and the exit code it maps to.
pub enum Failure {
    /// Bad input (config, flags): exit 2.
    Input(String),
    /// Something else went wrong: exit 1.
    Runtime(anyhow::Error),
}

impl From<config::ConfigError> for Failure {
    fn from(e: config::ConfigError) -> Self {
        Failure::Input(e.to_string())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

/// Many small, short-lived allocations (lockfile strings, events, headers): mimalloc is
/// markedly faster than glibc's malloc at them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log);
    let result = match cli.command {
        Command::Guard(args) => commands::guard(args),
        Command::Run(args) => run::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Outdated(args) => outdated::run(args),
        Command::Update(args) => update::run(args),
        Command::Status(args) => apps::status(args),
        Command::Restart(args) => apps::control(args, apps::Action::Restart),
        Command::Stop(args) => apps::control(args, apps::Action::Stop),
        Command::Demo(args) => demo::run(args),
        Command::Config(cmd) => commands::config(cmd),
        Command::Headers(args) => commands::headers(args),
        Command::Detect(args) => detect::run(args),
        Command::Events(args) => events::run(args),
        Command::Alerts(cmd) => events::alerts(cmd),
        Command::Blackbook(args) => blackbook::run(args),
        Command::Pwned(cmd) => blackbook::pwned(cmd),
        Command::Watch(args) => watch::run(args),
        Command::Cluster(cmd) => cluster::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(filter: &str) {
    // pingora logs its own start-up chatter at info; keep it to warnings unless asked.
    let filter = if filter.contains("pingora") {
        filter.to_owned()
    } else {
        format!("{filter},pingora_core=warn,pingora_proxy=warn,pingora=warn")
    };
    let env = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(env)
        .with_writer(std::io::stderr)
        .try_init();
}
