//! Reading the instance's console output through the authenticated EC2 API
//! (SECURITY.md, trust rules 1a and 4): retried with growing intervals and
//! visible progress until its host-key block is there or `--wait` runs out,
//! then parsed by [`crate::trust::console`].

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::aws::ec2::{self, Ec2};
use crate::trust::console::{self, Vouched};

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
    long_running: bool,
) -> Result<Vouched, Error> {
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
        let mut finished = false;
        if let Some(bytes) = output {
            saw_output = true;
            match console::parse(&bytes) {
                Ok(keys) if !keys.is_empty() => {
                    progress.done();
                    return Ok(keys);
                }
                // On an instance up for a while, cloud-init saying it
                // finished with no block left means the block scrolled out:
                // waiting longer only delays the next source. (Not on a
                // fresh one: a program could print that line before
                // cloud-init prints the block.)
                Ok(_) => finished = long_running && console::cloud_init_finished(&bytes),
                // cloud-init may still be printing the block: wait for its END.
                Err(console::ConsoleError::Truncated) => truncated = true,
                Err(err) => return Err(err.into()),
            }
        }
        let elapsed = started.elapsed();
        if elapsed >= wait || finished {
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
        let what = if saw_output {
            "the host key block of"
        } else {
            "the console output of"
        };
        progress.tick(elapsed, what);
        tokio::time::sleep(interval.min(wait - elapsed)).await;
        interval = (interval * 2).min(Duration::from_secs(10));
    }
}

/// Waiting feedback on stderr: one rewritten line on a terminal, plain lines otherwise.
pub(crate) struct Progress {
    id: String,
    wait: Duration,
    terminal: bool,
    quiet: bool,
    shown: bool,
    last_line: Option<Instant>,
}

impl Progress {
    pub(crate) fn new(id: &str, wait: Duration, quiet: bool) -> Self {
        Progress {
            id: id.to_string(),
            wait,
            terminal: std::io::stderr().is_terminal(),
            quiet,
            shown: false,
            last_line: None,
        }
    }

    /// Shows that we are still waiting for `what` (`the console output of`).
    pub(crate) fn tick(&mut self, elapsed: Duration, what: &str) {
        if self.quiet {
            return;
        }
        let text = format!(
            "ec2-hostkey: waiting for {what} {} ({}s of {}s)",
            self.id,
            elapsed.as_secs(),
            // What is left of the user's --wait after the lookup, a few
            // milliseconds short of it: rounded, `30s` reads as 30s.
            (self.wait + Duration::from_millis(500)).as_secs()
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

    pub(crate) fn done(&mut self) {
        if self.terminal && self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
        self.shown = false;
    }
}
