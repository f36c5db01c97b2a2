//! Where trusted host keys come from, and the check of a live server's key
//! against them (SECURITY.md, trust rules 1–2).
//!
//! The console output of the instance, fetched through the authenticated EC2
//! API, is the source here: its KEYS block, or its FINGERPRINTS block matched
//! against the key the live server presents. Nothing else is trusted.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use ssh_key::PublicKey;

use crate::aws::ec2::{self, Ec2};
use crate::trust::console::{self, ConsoleKeys};

pub use crate::error::KeysError as Error;

pub use console::describe_key;

/// Fetches and parses console output, waiting up to `wait` for the host-key blocks.
///
/// # Errors
/// The blocks did not appear in time, a block is corrupt, or the API failed.
pub async fn console_keys(
    ec2: &Ec2,
    id: &str,
    wait: Duration,
    quiet: bool,
) -> Result<ConsoleKeys, Error> {
    let started = Instant::now();
    let mut progress = Progress::new(id, wait, quiet);
    let mut latest = true;
    let mut interval = Duration::from_millis(500);
    let mut saw_output = false;
    loop {
        let output = match ec2.console_output(id, latest).await {
            Err(err) if latest && ec2::latest_unsupported(&err) => {
                // Latest=true works on Nitro only; Xen instances post buffered output.
                latest = false;
                continue;
            }
            other => other?,
        };
        let mut truncated = false;
        if let Some(bytes) = output {
            saw_output = true;
            match console::parse(&bytes) {
                Ok(keys) if !keys.is_empty() => {
                    progress.done();
                    return Ok(keys);
                }
                Ok(_) => {}
                // cloud-init may still be printing the block: wait for its END.
                Err(console::ConsoleError::Truncated) => truncated = true,
                Err(err) => return Err(err.into()),
            }
        }
        let elapsed = started.elapsed();
        if elapsed >= wait {
            progress.done();
            let id = id.to_string();
            return Err(if truncated {
                Error::Console(console::ConsoleError::Truncated)
            } else if saw_output {
                Error::NoKeyBlock { id }
            } else {
                Error::NotYet { id }
            });
        }
        progress.tick(elapsed, saw_output);
        tokio::time::sleep(interval.min(wait - elapsed)).await;
        interval = (interval * 2).min(Duration::from_secs(10));
    }
}

/// Checks the live server's key against what the console vouches for and
/// returns the keys to record.
///
/// A key in the KEYS block vouches for the whole block. Without a KEYS block, a
/// presented key whose recomputed fingerprint is listed vouches for itself.
///
/// # Errors
/// [`Error::Mismatch`] when the presented key is not vouched for.
pub fn verify(
    id: &str,
    address: &str,
    presented: &PublicKey,
    trusted: &ConsoleKeys,
    source: &str,
) -> Result<Vec<PublicKey>, Error> {
    if !trusted.vouches_for(presented) {
        return Err(Error::Mismatch {
            id: id.to_string(),
            vouched_by: source.to_string(),
            address: address.to_string(),
            presented: describe_key(presented),
            listed: trusted.describe(),
        });
    }
    Ok(if trusted.keys.is_empty() {
        vec![presented.clone()]
    } else {
        trusted.keys.clone()
    })
}

/// Waiting feedback on stderr: one rewritten line on a terminal, plain lines otherwise.
struct Progress {
    id: String,
    wait: Duration,
    terminal: bool,
    quiet: bool,
    shown: bool,
    last_line: Option<Instant>,
}

impl Progress {
    fn new(id: &str, wait: Duration, quiet: bool) -> Self {
        Progress {
            id: id.to_string(),
            wait,
            terminal: std::io::stderr().is_terminal(),
            quiet,
            shown: false,
            last_line: None,
        }
    }

    fn tick(&mut self, elapsed: Duration, saw_output: bool) {
        if self.quiet {
            return;
        }
        let what = if saw_output {
            "host key block"
        } else {
            "console output"
        };
        let text = format!(
            "ec2-hostkey: waiting for the {what} of {} ({}s of {}s)",
            self.id,
            elapsed.as_secs(),
            self.wait.as_secs()
        );
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{text}");
        } else if self
            .last_line
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(10))
        {
            let _ = writeln!(err, "{text}");
            self.last_line = Some(Instant::now());
        }
        self.shown = true;
    }

    fn done(&mut self) {
        if self.terminal && self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
        self.shown = false;
    }
}
