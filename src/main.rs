//! ec2-hostkey: verified SSH host keys for AWS EC2 instances.
//!
//! `main` parses the command line, runs one command and turns its error, if
//! any, into one line on stderr and a documented exit code.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use ec2_hostkey::{cli, cmd, error, text};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
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

/// clap's help and version as clap prints them; a usage error as one line,
/// like every other error: the problem, clap's tip, the usage, and where to
/// read more.
fn usage_error(err: &clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        err.exit();
    }
    let rendered = err.render().to_string();
    let mut parts = Vec::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(problem) = line.strip_prefix("error: ") {
            parts.push(problem.to_string());
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            parts.push(format!("tip: {tip}"));
        } else if let Some(text) = line.strip_prefix("Usage: ") {
            usage = Some(text.to_string());
        } else if let Some(last) = parts.last_mut()
            && usage.is_none()
            && !line.starts_with("For more information")
        {
            // The problem's own list (the missing arguments, say).
            last.push(' ');
            last.push_str(line);
        }
    }
    if let Some(usage) = usage {
        let command: Vec<&str> = usage
            .split_whitespace()
            .take_while(|w| !w.starts_with(['[', '<', '-']))
            .collect();
        parts.push(format!(
            "usage: {usage} (see `{} --help`)",
            command.join(" ")
        ));
    }
    eprintln!("ec2-hostkey: error: {}", text::sanitize(&parts.join("; ")));
    ExitCode::from(2)
}

fn init_logging(global: &cli::Global) {
    let level = match (global.quiet, global.verbose) {
        (_, 0) => return,
        (_, 1) => "ec2_hostkey=debug",
        // The SDK's endpoint resolution logs the request's identity, access
        // key id included: credentials never reach a log, so it is kept quiet.
        _ => {
            "ec2_hostkey=trace,aws_config=debug,aws_smithy_runtime=debug,aws_smithy_runtime::client::orchestrator::endpoints=info"
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_target(false)
        .init();
}
