//! Where the user's known_hosts is, how a private file is written (0600,
//! renamed into place), and the permission rule every file and
//! directory we trust must pass: nobody but its owner may write to it (else
//! anyone in the group could plant keys).

use std::fs::{self, Metadata};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_dir() {
        return Err("it is not a directory (a symlink?); remove it".into());
    }
    owned_privately(&meta, "700")
}

/// Why a directory holding a file we act on (the config file's) cannot be
/// trusted: the same rule, following a symlink (dotfiles often link it).
///
/// # Errors
/// The problem, with its fix, as a sentence fragment.
pub fn owned_dir(dir: &std::path::Path) -> Result<(), String> {
    let meta = std::fs::metadata(dir).map_err(|e| format!("cannot read it ({e})"))?;
    owned_privately(&meta, "700")
}

/// Why a file whose contents we act on (the config file) cannot be
/// trusted: the same rule as [`private_dir`], following a symlink.
///
/// # Errors
/// The problem, with its fix, as a sentence fragment.
pub fn private_file(file: &std::path::Path) -> Result<(), String> {
    let meta = std::fs::metadata(file).map_err(|e| format!("cannot read it ({e})"))?;
    owned_privately(&meta, "600")
}

/// Reads a file holding secrets (assumed-role credentials): it must be a
/// regular file of the user's own that no one else may read or write
/// (0600). Opened without following a symlink, and checked as opened, so
/// it cannot be swapped between the check and the read.
///
/// # Errors
/// The problem, with its fix, as a sentence fragment.
pub fn read_secret(file: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut opened = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc_flags::NOFOLLOW | libc_flags::NONBLOCK)
        .open(file)
        .map_err(|e| format!("cannot open it ({e})"))?;
    let meta = opened
        .metadata()
        .map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_file() {
        return Err("it is not a regular file; remove it".into());
    }
    owned_privately(&meta, "600")?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "others may read it (mode {}); remove it",
            mode_text(&meta)
        ));
    }
    let mut bytes = Vec::new();
    Read::by_ref(&mut opened)
        .take(SECRET_FILE_LIMIT)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it ({e})"))?;
    Ok(bytes)
}

/// The most a file of secrets may hold: one set of credentials is ~2 KiB.
const SECRET_FILE_LIMIT: u64 = 64 << 10;

/// `open(2)` flags, named.
mod libc_flags {
    pub const NOFOLLOW: i32 = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    pub const NONBLOCK: i32 = rustix::fs::OFlags::NONBLOCK.bits() as i32;
}

/// The most a file of trust anchors may hold: a system bundle is about 200 KiB.
const TRUSTED_FILE_LIMIT: u64 = 4 << 20;

/// Reads a file we take trust anchors from (`AWS_CA_BUNDLE`): every
/// certificate in it would be trusted, so the file and every directory above
/// it must be yours or root's and writable by no one else (a sticky
/// directory such as /tmp excepted), as OpenSSH asks of its files. The
/// checks are made on the file as opened, so it cannot be swapped between
/// check and read.
///
/// # Errors
/// The problem, with its fix, as a sentence fragment.
pub fn read_trusted(file: &Path) -> Result<Vec<u8>, String> {
    use rustix::fs::{Mode, OFlags};
    use std::io::Read;
    let real = fs::canonicalize(file).map_err(|e| format!("cannot read it ({e})"))?;
    for dir in real.ancestors().skip(1) {
        let meta = fs::metadata(dir).map_err(|e| format!("cannot read {} ({e})", dir.display()))?;
        trusted_owner(&meta, dir.display().to_string().as_str(), "755")?;
    }
    // No symlink now (the path is resolved), and no wait on a FIFO.
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
    let fd = rustix::fs::open(&real, flags, Mode::empty())
        .map_err(|e| format!("cannot read it ({})", std::io::Error::from(e)))?;
    let file = fs::File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_file() {
        return Err("it is not a regular file; point it at a PEM file".into());
    }
    trusted_owner(&meta, "it", "644")?;
    let mut data = Vec::new();
    file.take(TRUSTED_FILE_LIMIT + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("cannot read it ({e})"))?;
    if data.len() as u64 > TRUSTED_FILE_LIMIT {
        return Err(format!(
            "it is larger than {} MiB; point it at a PEM bundle",
            TRUSTED_FILE_LIMIT >> 20
        ));
    }
    Ok(data)
}

/// Root's or yours, and writable by no one else (a sticky directory may be
/// writable by others: they cannot replace what they do not own).
fn trusted_owner(meta: &Metadata, what: &str, fix_mode: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != 0 && meta.uid() != me {
        return Err(format!(
            "{what} is owned by uid {}, neither you (uid {me}) nor root; move the file somewhere only you can write",
            meta.uid()
        ));
    }
    let sticky_dir = meta.is_dir() && meta.permissions().mode() & 0o1000 != 0;
    if sticky_dir {
        return Ok(());
    }
    written_only_by_owner(meta, what, fix_mode)
}

/// Refuses what the group or others may write to.
fn written_only_by_owner(meta: &Metadata, what: &str, fix_mode: &str) -> Result<(), String> {
    if writable_by_others(meta) {
        return Err(format!(
            "{what} is group- or world-writable (mode {}); chmod {fix_mode} it",
            mode_text(meta)
        ));
    }
    Ok(())
}

/// Owned by the user running us, and writable by nobody else.
fn owned_privately(meta: &Metadata, fix_mode: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "it is owned by uid {}, not by you (uid {me}); remove it or chown it",
            meta.uid()
        ));
    }
    written_only_by_owner(meta, "it", fix_mode)
}

/// The permission bits, for messages (`664`).
pub fn mode_text(meta: &Metadata) -> String {
    format!("{:o}", meta.permissions().mode() & 0o7777)
}

/// The home directory ssh expands `~` with: the passwd entry's, not `$HOME`
/// (the two differ under `sudo -E` and in CI containers that set `HOME`,
/// and a known_hosts written under `$HOME` would then never be read).
/// `$HOME` only for a user with no passwd entry, where ssh itself refuses.
pub fn ssh_home_dir() -> Option<PathBuf> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|user| user.dir)
        .filter(|dir| dir.is_absolute())
        .or_else(dirs::home_dir)
}

/// `explicit` (`--known-hosts`), or ssh's `~/.ssh/known_hosts` (creating
/// `~/.ssh` 0700 as ssh does).
pub fn known_hosts_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let home =
        ssh_home_dir().context("cannot find your home directory; pass --known-hosts FILE")?;
    let ssh_dir = home.join(".ssh");
    create_private_dir(&ssh_dir)?;
    Ok(ssh_dir.join("known_hosts"))
}

/// Creates `dir` 0700 unless it exists. Never check-then-create: processes
/// started together (Ansible's forks, `xargs -P`) all see it missing, and
/// for all but one the creation finds it made meanwhile, which is success
/// as long as what is there is a directory.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if fs::metadata(dir).is_ok_and(|meta| meta.is_dir()) {
                Ok(())
            } else {
                anyhow::bail!(
                    "{} exists and is not a directory; move it away so ssh can keep its files there",
                    dir.display()
                )
            }
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
}

/// Writes `data` to `path`, 0600 whatever was there before: into a new 0600
/// temporary file beside it, renamed over `path`. A symlink at `path` is
/// replaced itself; its target is never opened, let alone written.
pub fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".ec2-hostkey-seed")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    // Exactly 0600, whatever the umask did to the mode it was created with.
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o600))?;
    temp.write_all(data)
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.as_file().sync_all()?;
    temp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_file_is_replaced_0600_and_never_written_through_a_symlink() {
        fn mode(path: &Path) -> u32 {
            fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
        }
        let dir = tempfile::tempdir().unwrap();

        let path = dir.path().join("user-data.txt");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, b"new").unwrap();
        assert!(fs::symlink_metadata(&path).unwrap().file_type().is_file());
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read(&path).unwrap(), b"new");

        let target = dir.path().join("target");
        fs::write(&target, "precious").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private(&link, b"secret").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
        assert_eq!(mode(&link), 0o600);
        assert_eq!(fs::read(&link).unwrap(), b"secret");
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        assert_eq!(mode(&target), 0o644);

        // A dangling symlink is replaced too, and no temporary file is left behind.
        let dangling = dir.path().join("dangling.txt");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        write_private(&dangling, b"secret").unwrap();
        assert!(
            fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_file()
        );
        assert!(!dir.path().join("nowhere").exists());
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["dangling.txt", "link.txt", "target", "user-data.txt"]
        );
    }
}
