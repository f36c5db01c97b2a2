//! `ssm-document [--certify]`: prints one of the tool's Systems Manager
//! documents for `aws ssm create-document` (docs/systems-manager.md): the
//! one that reads the instance's public host keys (no parameters), or with
//! `--certify` the one that installs host certificates (`certify --install`).

use std::io::Write;

use anyhow::Result;

pub fn run(certify: bool) -> Result<()> {
    let document = if certify {
        crate::aws::ssm::certify_document_json()
    } else {
        crate::aws::ssm::document_json()
    };
    std::io::stdout().write_all(document.as_bytes())?;
    Ok(())
}
