//! Shell completions and man pages in contrib/ are generated from the clap
//! definitions; this test fails when they are stale. Regenerate with
//! `UPDATE_GENERATED=1 cargo test --test e2e generated`.

use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;
use ec2_hostkey::cli::Cli;

fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contrib");
    let mut files = Vec::new();
    for (shell, file) in [
        (Shell::Bash, "ec2-hostkey.bash"),
        (Shell::Zsh, "_ec2-hostkey"),
        (Shell::Fish, "ec2-hostkey.fish"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "ec2-hostkey", &mut out);
        files.push((root.join("completions").join(file), out));
    }
    let mut command = Cli::command();
    command.build(); // propagates the global options into each subcommand's page
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .unwrap();
    files.push((root.join("man/ec2-hostkey.1"), out));
    for sub in command.get_subcommands() {
        // clap names are &'static str without its `string` feature; a test may leak a few.
        let name: &'static str = format!("ec2-hostkey-{}", sub.get_name()).leak();
        let mut out = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name))
            .render(&mut out)
            .unwrap();
        files.push((root.join(format!("man/{name}.1")), out));
    }
    files
}

#[test]
fn the_binary_prints_the_same_completions() {
    let out = std::process::Command::new(crate::support::BIN)
        .args(["completions", "fish"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (_, expected) = generated()
        .into_iter()
        .find(|(path, _)| path.ends_with("ec2-hostkey.fish"))
        .unwrap();
    assert_eq!(out.stdout, expected);
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (path, content) in generated() {
        if std::fs::read(&path).ok().as_deref() == Some(content.as_slice()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files (run `UPDATE_GENERATED=1 cargo test --test e2e generated`): {stale:?}"
    );
}
