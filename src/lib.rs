//! ec2-hostkey: verified SSH host keys for AWS EC2 instances.
//!
//! The binary (`src/main.rs`) is the product; this library exposes its
//! modules so the parsers can be fuzzed (`fuzz/`). Data flows one way:
//! ssh → `cli` → `resolve` → `sources` → `verify` → `known_hosts` → `pipe`.

#![forbid(unsafe_code)]

pub mod cache;
pub mod cli;
pub mod dns;
pub mod doctor;
pub mod ec2;
pub mod exit;
pub mod fetch;
pub mod files;
pub mod fleet;
pub mod forget;
pub mod kex;
pub mod known_hosts;
pub mod known_hosts_cmd;
pub mod names;
pub mod pipe;
pub mod proxy;
pub mod repair;
pub mod resolve;
pub mod s3;
pub mod seed;
pub mod sources;
pub mod ssh_config;
pub mod sync;
pub mod text;
pub mod verify;

/// Runs the parsed command line.
///
/// # Errors
/// The command failed; [`exit::code`] maps the error to the exit code.
pub fn run(cli: &cli::Cli) -> anyhow::Result<()> {
    match &cli.command {
        cli::Command::Proxy(args) => proxy::run(&cli.global, args),
        cli::Command::KnownHosts(args) => known_hosts_cmd::run(&cli.global, args),
        cli::Command::Fetch(args) => fetch::run(&cli.global, args),
        cli::Command::Repair(args) => repair::run(&cli.global, args),
        cli::Command::Forget(args) => forget::run(&cli.global, args),
        cli::Command::Seed(args) => seed::run(&cli.global, args),
        cli::Command::Sync(args) => sync::run(&cli.global, args),
        cli::Command::SshConfig(args) => ssh_config::run(&cli.global, args),
        cli::Command::Doctor(args) => doctor::run(&cli.global, args),
        cli::Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                *shell,
                &mut cli::Cli::command(),
                "ec2-hostkey",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}
