//! The permission rule every file and directory we trust must pass: nobody
//! but its owner may write to it (else anyone in the group could plant keys).

use std::fs::Metadata;
use std::os::unix::fs::PermissionsExt;

/// Whether the group or others may write to it.
pub fn writable_by_others(meta: &Metadata) -> bool {
    meta.permissions().mode() & 0o022 != 0
}

/// The permission bits, for messages (`664`).
pub fn mode_text(meta: &Metadata) -> String {
    format!("{:o}", meta.permissions().mode() & 0o7777)
}
