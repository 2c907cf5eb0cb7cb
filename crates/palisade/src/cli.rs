//! The command line (clap derive). Only subcommands that work are listed.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// palisade: harden a web app without changing its code.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, long_about = None)]
pub struct Cli {
    /// Log filter (tracing syntax), e.g. "info" or "palisade_guard=debug".
    #[arg(long, global = true, env = "PALISADE_LOG", default_value = "info")]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the guard: a reverse proxy in front of your app.
    Guard(GuardArgs),
    /// Run a bundled sample app behind the guard, to see what palisade does.
    Demo(DemoArgs),
    /// Check or print a palisade.toml.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the response headers the current policy adds and removes.
    Headers(HeadersArgs),
}

/// `palisade guard`
#[derive(Debug, Args)]
pub struct GuardArgs {
    /// Address clients connect to [default: 127.0.0.1:8080, or the file's].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The app, e.g. http://127.0.0.1:3000.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Config file [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Admin listener address (/healthz, /metrics) [default: 127.0.0.1:9181].
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
}

/// `palisade demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address of the guarded demo [default: 127.0.0.1:8080, or a free port when busy].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Admin listener address [default: 127.0.0.1:9181, or a free port when busy].
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
    /// Config file to apply to the demo's guard.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `palisade config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file; exit 0 when valid, 2 with located errors otherwise.
    Check {
        /// The file [default: ./palisade.toml].
        file: Option<PathBuf>,
    },
    /// Print the effective configuration, every default filled in.
    Print {
        /// The file [default: ./palisade.toml when it exists, else built-in defaults].
        file: Option<PathBuf>,
    },
}

/// `palisade headers`
#[derive(Debug, Args)]
pub struct HeadersArgs {
    /// Config file [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Show only the policy that applies to this request path.
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
}
