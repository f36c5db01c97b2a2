//! ec2-hostkey: verified SSH host keys for AWS EC2 instances.
//!
//! `main` parses the command line, runs one command and turns its error, if
//! any, into one line on stderr and a documented exit code.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use ec2_hostkey::{cli, cmd, error, text};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(&cli.global);
    match cmd::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let message = text::sanitize(&format!("{err:#}"));
            eprintln!("ec2-hostkey: error: {message}");
            ExitCode::from(error::exit_code(&err))
        }
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
