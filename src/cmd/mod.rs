//! The commands: one module per subcommand, the dispatch, and the settings
//! step — the one place where clap's structs ([`crate::cli`]) become the
//! plain settings the layers below take ([`settings`]).
//!
//! A command reads its flags, asks `trust` which keys belong to the
//! instance, writes through `store`, and prints its result on stdout and its
//! messages on stderr (`crate::text`). Commands never import each other;
//! what two commands share lives in a lower layer or here.
//!
//! May import: every layer below (`trust`, `store`, `aws`, `net`, `error`,
//! `text`) and `cli`.

pub mod ca;
pub mod certify;
pub mod completions;
pub mod config;
pub mod doctor;
pub mod fetch;
pub mod forget;
pub mod known_hosts;
pub mod proxy;
pub mod repair;
pub mod seed;
pub mod serve;
pub mod settings;
pub mod ssh_config;
pub mod ssm_document;
pub mod sync;

use anyhow::Result;

use crate::cli::{self, Command};
use settings::Settings;

/// Runs the parsed command line.
///
/// # Errors
/// The command failed; [`crate::error::exit_code`] maps the error to the exit code.
pub fn run(cli: &cli::Cli) -> Result<()> {
    let settings = Settings::from_cli(&cli.global)?;
    match &cli.command {
        Command::Proxy(args) => proxy::run(&settings, args),
        Command::KnownHosts(args) => known_hosts::run(&settings, args),
        Command::Fetch(args) => fetch::run(&settings, args),
        Command::Repair(args) => repair::run(&settings, args),
        Command::Forget(args) => forget::run(&settings, args),
        Command::Seed(args) => seed::run(&settings, args),
        Command::Sync(args) => sync::run(&settings, args),
        Command::SshConfig(args) => ssh_config::run(&cli.global, args),
        Command::Doctor(args) => doctor::run(&settings, &cli.global, args),
        Command::SsmDocument { certify } => ssm_document::run(*certify),
        Command::Serve(args) => serve::run(&settings, args),
        Command::Ca { action } => ca::run(&settings, action),
        Command::Certify(args) => certify::run(&settings, args),
        Command::Completions { shell } => completions::run(*shell),
    }
}
