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

/// Why a directory we keep trusted records in cannot be trusted: it is not
/// owned by the user running us, or others may write to it.
///
/// # Errors
/// The problem, with its fix, as a sentence fragment.
pub fn private_dir(dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_dir() {
        return Err("it is not a directory (a symlink?); remove it".into());
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "it is owned by uid {}, not by you (uid {me}); remove it or chown it",
            meta.uid()
        ));
    }
    if writable_by_others(&meta) {
        return Err(format!(
            "it is group- or world-writable (mode {}); chmod 700 it",
            mode_text(&meta)
        ));
    }
    Ok(())
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
