//! `completions SHELL`: prints the shell completion script clap generates
//! from the command line's definition.

use anyhow::Result;
use clap::CommandFactory;

pub fn run(shell: clap_complete::Shell) -> Result<()> {
    clap_complete::generate(
        shell,
        &mut crate::cli::Cli::command(),
        "ec2-hostkey",
        &mut std::io::stdout(),
    );
    Ok(())
}
