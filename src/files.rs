//! Where the user's known_hosts is, and the permission rule every file and
//! directory we trust must pass: nobody but its owner may write to it (else
//! anyone in the group could plant keys).

use std::fs::Metadata;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::KnownHostsArgs;

/// Whether the group or others may write to it.
pub fn writable_by_others(meta: &Metadata) -> bool {
    meta.permissions().mode() & 0o022 != 0
}

/// The permission bits, for messages (`664`).
pub fn mode_text(meta: &Metadata) -> String {
    format!("{:o}", meta.permissions().mode() & 0o7777)
}

/// `--known-hosts`, or `~/.ssh/known_hosts` (creating `~/.ssh` 0700 as ssh does).
pub fn known_hosts_path(args: &KnownHostsArgs) -> Result<PathBuf> {
    if let Some(path) = &args.known_hosts {
        return Ok(path.clone());
    }
    let home =
        dirs::home_dir().context("cannot find your home directory; pass --known-hosts FILE")?;
    let ssh_dir = home.join(".ssh");
    if !ssh_dir.exists() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&ssh_dir)
            .with_context(|| format!("cannot create {}", ssh_dir.display()))?;
    }
    Ok(ssh_dir.join("known_hosts"))
}
