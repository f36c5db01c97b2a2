//! The command line as users meet it: clap's own consistency check, every
//! `--help`, and usage errors (exit 2, before anything is looked up).

use clap::CommandFactory;
use ec2_hostkey::cli::Cli;

use super::{run, stderr};

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn every_command_has_help_with_the_exit_codes_on_top() {
    let home = tempfile::tempdir().unwrap();
    let top = run(home.path(), &["--help"]);
    assert!(top.status.success());
    let text = String::from_utf8_lossy(&top.stdout);
    assert!(text.contains("Exit codes:"), "{text}");
    assert!(text.contains("5  host key mismatch"), "{text}");
    let commands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    assert!(commands.len() >= 10, "{commands:?}");
    for command in &commands {
        let out = run(home.path(), &[command, "--help"]);
        assert!(out.status.success(), "{command} --help: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("Usage: ec2-hostkey {command}")),
            "{command}: {text}"
        );
    }
}

#[test]
fn usage_errors_exit_2_and_name_the_problem() {
    let home = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["proxy", "i-0123456789abcdef0"], "<PORT>"),
        (
            &["proxy", "host", "not-a-port"],
            "invalid value 'not-a-port'",
        ),
        (
            &["--nameserver", "dns.example", "fetch", "x"],
            "is not an IP address or IP:PORT",
        ),
        (
            &["sync", "--filter", "tag:Env=prod"],
            "expected Name=NAME,Values=VALUE",
        ),
        (&["fetch", "--wait", "soon", "x"], "invalid value 'soon'"),
        (&["--address", "both", "fetch", "x"], "invalid value 'both'"),
        (&["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, says) in cases {
        let out = run(home.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        let text = stderr(&out);
        assert!(
            text.starts_with("ec2-hostkey: error: ") && text.trim_end().lines().count() == 1,
            "{args:?}: a usage error is one line, like every error: {text}"
        );
    }
    assert!(
        !home.path().join(".ssh").exists(),
        "a usage error touched ~/.ssh"
    );
}

#[test]
fn durations_are_taken_as_the_docs_write_them() {
    let home = tempfile::tempdir().unwrap();
    // Past the command line (no region here): each was accepted.
    for wait in ["90s", "10m", "1h", "1m30s", "45"] {
        let out = run(
            home.path(),
            &["fetch", "--wait", wait, "i-0123456789abcdef0"],
        );
        assert_ne!(
            out.status.code(),
            Some(2),
            "--wait {wait}: {}",
            stderr(&out)
        );
    }
    let out = run(
        home.path(),
        &["fetch", "--wait", "5x", "i-0123456789abcdef0"],
    );
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("usage_bad_duration", stderr(&out).trim_end());
    let out = run(home.path(), &["proxy", "i-0123456789abcdef0"]);
    insta::assert_snapshot!("usage_missing_argument", stderr(&out).trim_end());
}

#[test]
fn completions_are_printed_for_each_shell() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = run(home.path(), &["completions", shell]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("ec2-hostkey"));
    }
}

#[test]
fn help_says_where_defaults_live_and_groups_global_flags() {
    let home = tempfile::tempdir().unwrap();
    let top = run(home.path(), &["--help"]);
    let text = String::from_utf8_lossy(&top.stdout).into_owned();
    // The description first, then where defaults live (no promise of marks).
    let about = text.find("Looks up an EC2 instance").expect("description");
    let defaults = text
        .find("can be set in $XDG_CONFIG_HOME")
        .expect("config sentence");
    assert!(about < defaults, "{text}");
    assert!(!text.contains("marked so"), "{text}");
    let sub = run(home.path(), &["fetch", "--help"]);
    let text = String::from_utf8_lossy(&sub.stdout).into_owned();
    let local = text.find("\nOptions:").expect("local options");
    let global = text.find("\nGlobal options:").expect("global options");
    assert!(local < global, "{text}");
    assert!(text[global..].contains("--region"), "{text}");
    assert!(!text[local..global].contains("--region"), "{text}");
}

#[test]
fn doctor_without_a_region_says_what_it_skipped() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            [
                "region",
                "credentials",
                "IAM permissions",
                "Systems Manager",
                "setting regions",
            ]
            .iter()
            .any(|check| l.get(6..).is_some_and(|rest| rest.starts_with(check)))
        })
        .collect();
    insta::assert_snapshot!("doctor_no_region", lines.join("\n"));

    let out = bin_with_region(home.path());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let regions = text
        .lines()
        .find(|l| l.contains("setting regions"))
        .unwrap_or_default();
    assert_eq!(
        regions, "ok    setting regions: eu-north-1 (AWS_REGION)",
        "{text}"
    );
}

fn bin_with_region(home: &std::path::Path) -> std::process::Output {
    super::bin(home)
        .args(["doctor"])
        .env("AWS_REGION", "eu-north-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap()
}

#[test]
fn a_config_directory_others_may_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".config/ec2-hostkey");
    std::fs::create_dir_all(&dir).unwrap();
    // Anyone in the group could delete config.toml and its settings with it.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o775)).unwrap();
    let out = run(home.path(), &["fetch", "i-0123456789abcdef0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be trusted"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("chmod 700"), "{}", stderr(&out));
}
