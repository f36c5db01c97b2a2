//! `ssm-document`: prints the tool's Systems Manager document, which reads
//! the instance's public host keys and takes no parameters, for
//! `aws ssm create-document` (docs/systems-manager.md).

use std::io::Write;

use anyhow::Result;

pub fn run() -> Result<()> {
    std::io::stdout().write_all(crate::aws::ssm::document_json().as_bytes())?;
    Ok(())
}
