//! The fast tier: no testbed, no network beyond loopback, runs in seconds
//! (`cargo test --test fast`, or `cargo nextest run -E 'binary(fast)'`).
//! The command line, the layering of the source, and every user-facing
//! error message, pinned verbatim as snapshots (`tests/fast/snapshots`,
//! reviewed with `cargo insta review` or regenerated with
//! `INSTA_UPDATE=always cargo test --test fast`).

mod architecture;
mod cli;
mod messages;

use std::path::Path;
use std::process::{Command, Output};

/// The real binary with a clean AWS environment: no credentials, region,
/// profile or endpoint from the machine running the tests.
fn bin(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ec2-hostkey"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") || key == "EC2_HOSTKEY_NAMESERVER" {
            command.env_remove(key);
        }
    }
    command
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(std::process::Stdio::null());
    command
}

fn run(home: &Path, args: &[&str]) -> Output {
    bin(home).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
