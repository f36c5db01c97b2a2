//! ec2-hostkey: verified SSH host keys for AWS EC2 instances.
//!
//! `main` parses the command line, runs one command and turns its error, if
//! any, into one line on stderr and a documented exit code.

#![forbid(unsafe_code)]

mod cache;
mod cli;
mod ec2;
mod exit;
mod fetch;
mod fleet;
mod forget;
mod kex;
mod known_hosts;
mod known_hosts_cmd;
mod pipe;
mod proxy;
mod repair;
mod resolve;
mod sources;
mod verify;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(&cli.global);
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let message =
                sources::console::sanitize(format!("{err:#}").as_bytes()).replace('\n', " ");
            eprintln!("ec2-hostkey: error: {message}");
            ExitCode::from(exit::code(&err))
        }
    }
}

fn run(cli: &cli::Cli) -> anyhow::Result<()> {
    match &cli.command {
        cli::Command::Proxy(args) => proxy::run(&cli.global, args),
        cli::Command::KnownHosts(args) => known_hosts_cmd::run(&cli.global, args),
        cli::Command::Fetch(args) => fetch::run(&cli.global, args),
        cli::Command::Repair(args) => repair::run(&cli.global, args),
        cli::Command::Forget(args) => forget::run(&cli.global, args),
    }
}

fn init_logging(global: &cli::Global) {
    let level = match (global.quiet, global.verbose) {
        (_, 0) => return,
        (_, 1) => "ec2_hostkey=debug",
        _ => "ec2_hostkey=trace,aws_config=debug,aws_smithy_runtime=debug",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_target(false)
        .init();
}
