//! The instance's host keys as its Systems Manager agent reads them
//! (SECURITY.md, trust rule 1d).
//!
//! The agent runs as root and talks to AWS with the instance's own identity;
//! what a command printed comes back through the authenticated API, so a
//! non-root process on the instance cannot forge it, and it shows the keys as
//! they are now. The read runs the tool's own document when it exists (it
//! takes no parameters, so allowing it grants no shell), else
//! AWS-RunShellScript with exactly the read, when that is allowed.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ssh_key::PublicKey;

use crate::aws::ec2::Ec2;
use crate::aws::ssm::{Invocation, RUN_SHELL_SCRIPT, Ssm};
use crate::error::{AwsError, InstallError, KeysError};
use crate::trust::console::Vouched;
use crate::trust::sources::Progress;

/// The name `ec2-hostkey ssm-document` suggests creating the document under.
pub const DEFAULT_DOCUMENT: &str = "ec2-hostkey-ReadHostKeys";
/// The least time the read is given, whatever `--wait` says: an agent
/// takes seconds to pick a command up.
const MIN_WAIT: Duration = Duration::from_secs(30);

/// The instance's public host keys, read by its agent with `document` (or
/// AWS-RunShellScript when that document is missing or denied), waiting up
/// to `wait` (at least 30 s) for the command to finish; with the document
/// that ran the read.
///
/// # Errors
/// Not managed, agent offline, both documents unusable, the command timed
/// out or failed, it printed something that is not a key, or the API failed.
pub async fn ssm_keys(
    ec2: &Ec2,
    id: &str,
    document: &str,
    wait: Duration,
    quiet: bool,
) -> Result<(Vouched, String), KeysError> {
    let ssm = Ssm::new(ec2);
    match ssm.ping_status(id).await? {
        None => return Err(KeysError::SsmNotManaged { id: id.into() }),
        Some(status) if status != "Online" => {
            return Err(KeysError::SsmOffline {
                id: id.into(),
                status,
            });
        }
        Some(_) => {}
    }
    let (command, used) = send(&ssm, &ec2.region(), id, document).await?;
    let label = "the Systems Manager host-key read on";
    let output = collect(&ssm, id, &command, used, wait.max(MIN_WAIT), quiet, label).await?;
    Ok((parse(id, &output)?, used.to_string()))
}

/// Installs `certificates` (host-key type, certificate line) on `id` with
/// the tool's install document, which must be exactly what
/// `ssm-document --certify` prints (its version pinned, as for the read),
/// and waits up to `wait` (at least 30 s) for the agent to finish.
///
/// # Errors
/// Not managed or offline, the document missing, different or denied, or
/// the command failed (`sshd -t` refused, a host key missing).
pub async fn install_certificates(
    ec2: &Ec2,
    id: &str,
    document: &str,
    certificates: &[(&str, String)],
    wait: Duration,
    quiet: bool,
) -> anyhow::Result<()> {
    let ssm = Ssm::new(ec2);
    match ssm.ping_status(id).await? {
        None => return Err(KeysError::SsmNotManaged { id: id.into() }.into()),
        Some(status) if status != "Online" => {
            return Err(KeysError::SsmOffline {
                id: id.into(),
                status,
            }
            .into());
        }
        Some(_) => {}
    }
    let unusable = |problem: String| InstallError::Document {
        id: id.into(),
        document: document.into(),
        problem,
    };
    let version = match ssm.document(document).await {
        Ok(Some((version, content)))
            if same_json(&content, &crate::aws::ssm::certify_document_json()) =>
        {
            version
        }
        Ok(Some(_)) => {
            return Err(unusable(
                "is not ec2-hostkey's install document (its content differs from `ec2-hostkey ssm-document --certify`)".into(),
            )
            .into());
        }
        Ok(None) => return Err(unusable("does not exist".into()).into()),
        Err(err) => return Err(unusable(format!("cannot be checked ({err})")).into()),
    };
    let parameters: Vec<(&str, Vec<String>)> = certificates
        .iter()
        .map(|(kind, certificate)| (*kind, vec![certificate.clone()]))
        .collect();
    let command = ssm
        .send(
            id,
            document,
            Some(&version),
            &parameters,
            "ec2-hostkey: install SSH host certificates",
        )
        .await
        .map_err(|err| match why_unusable(&err) {
            Some(problem) => anyhow::Error::from(unusable(problem)),
            None => offline_or(id, err).into(),
        })?;
    let label = "installing host certificates on";
    match collect(
        &ssm,
        id,
        &command,
        document,
        wait.max(MIN_WAIT),
        quiet,
        label,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(KeysError::SsmFailed { status, detail, .. }) => Err(InstallError::Failed {
            id: id.into(),
            status,
            detail,
        }
        .into()),
        Err(other) => Err(other.into()),
    }
}

/// Whether two JSON texts hold the same value (whitespace and key order aside).
fn same_json(a: &str, b: &str) -> bool {
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    matches!((parse(a), parse(b)), (Some(a), Some(b)) if a == b)
}

/// Documents found missing or not ours in this run, by region: a
/// fleet-wide `sync` asks about each once per region, not once per instance.
/// (A denial is never remembered: IAM may allow one instance and not another.)
static UNUSABLE: Mutex<BTreeMap<(String, String), String>> = Mutex::new(BTreeMap::new());

/// Whether `document` is the tool's read-only document, at which version.
///
/// Anyone allowed `ssm:CreateDocument` could create a document under this
/// name that prints other keys, or update the user's: its content must be
/// exactly the tool's, and the read runs that very version.
async fn checked_version(ssm: &Ssm, region: &str, document: &str) -> Result<String, String> {
    let key = (region.to_string(), document.to_string());
    if let Some(problem) = UNUSABLE.lock().ok().and_then(|u| u.get(&key).cloned()) {
        return Err(problem);
    }
    let problem = match ssm.document(document).await {
        Ok(Some((version, content))) if crate::aws::ssm::is_our_document(&content) => {
            return Ok(version);
        }
        Ok(Some(_)) => {
            "is not ec2-hostkey's read-only document (its content differs from `ec2-hostkey ssm-document`)".to_string()
        }
        Ok(None) => "does not exist".to_string(),
        Err(AwsError::AccessDenied { message, .. }) => {
            return Err(format!(
                "cannot be checked (ssm:GetDocument denied; AWS said: {message})"
            ));
        }
        Err(err) => return Err(format!("cannot be checked ({err})")),
    };
    if let Ok(mut unusable) = UNUSABLE.lock() {
        unusable.insert(key, problem.clone());
    }
    Err(problem)
}

/// Starts the read with `document`, else with AWS-RunShellScript; returns
/// the command id and the document that took it.
async fn send<'a>(
    ssm: &Ssm,
    region: &str,
    id: &str,
    document: &'a str,
) -> Result<(String, &'a str), KeysError> {
    let document_problem = match checked_version(ssm, region, document).await {
        Err(problem) => problem,
        Ok(version) => match ssm.send_read(id, document, Some(&version)).await {
            Ok(command) => return Ok((command, document)),
            Err(err) => match why_unusable(&err) {
                Some(problem) => problem,
                None => return Err(offline_or(id, err)),
            },
        },
    };
    tracing::debug!("document {document} {document_problem}; trying {RUN_SHELL_SCRIPT}");
    match ssm.send_read(id, RUN_SHELL_SCRIPT, None).await {
        Ok(command) => Ok((command, RUN_SHELL_SCRIPT)),
        Err(err) => match why_unusable(&err) {
            Some(fallback_problem) => Err(KeysError::SsmDenied {
                id: id.into(),
                document: document.into(),
                document_problem,
                fallback_problem,
            }),
            None => Err(offline_or(id, err)),
        },
    }
}

/// Why a document cannot be used, if that is what `err` says.
fn why_unusable(err: &AwsError) -> Option<String> {
    match err {
        AwsError::Api { code, .. } if code == "InvalidDocument" => Some("does not exist".into()),
        AwsError::AccessDenied { message, .. } => Some(format!("denied (AWS said: {message})")),
        _ => None,
    }
}

/// SendCommand's InvalidInstanceId: the agent cannot take commands now.
fn offline_or(id: &str, err: AwsError) -> KeysError {
    match err {
        AwsError::Api { code, .. } if code == "InvalidInstanceId" => KeysError::SsmOffline {
            id: id.into(),
            status: "not ready for commands".into(),
        },
        err => err.into(),
    }
}

/// Waits for the command to finish, with progress, up to `wait`.
async fn collect(
    ssm: &Ssm,
    id: &str,
    command: &str,
    document: &str,
    wait: Duration,
    quiet: bool,
    label: &str,
) -> Result<String, KeysError> {
    let started = Instant::now();
    let mut progress = Progress::new(id, wait, quiet);
    let mut interval = Duration::from_millis(250);
    loop {
        let state = ssm.invocation(command, id).await?;
        let elapsed = started.elapsed();
        let timed_out = KeysError::SsmTimedOut {
            id: id.into(),
            document: document.into(),
        };
        match state {
            Invocation::Succeeded(output) => {
                progress.done();
                return Ok(output);
            }
            Invocation::TimedOut => {
                progress.done();
                return Err(timed_out);
            }
            Invocation::Ended { status, stderr } => {
                progress.done();
                let stderr = crate::text::sanitize(stderr.trim());
                return Err(KeysError::SsmFailed {
                    id: id.into(),
                    document: document.into(),
                    status,
                    detail: if stderr.is_empty() {
                        String::new()
                    } else {
                        format!(": {stderr}")
                    },
                });
            }
            Invocation::Running if elapsed >= wait => {
                progress.done();
                return Err(timed_out);
            }
            Invocation::Running => {}
        }
        progress.tick(elapsed, label);
        tokio::time::sleep(interval.min(wait - elapsed)).await;
        interval = (interval * 2).min(Duration::from_secs(2));
    }
}

/// The keys in what the read printed: `algorithm base64 [comment]` lines.
/// DSA is skipped (never trusted); security-key types are no host keys; any
/// other line that does not parse makes the whole output untrusted.
fn parse(id: &str, output: &str) -> Result<Vouched, KeysError> {
    let mut keys: Vec<PublicKey> = Vec::new();
    for line in output.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("ssh-dss ") {
            continue;
        }
        let bad = || KeysError::SsmBadOutput {
            id: id.into(),
            line: crate::text::sanitize(&line.chars().take(60).collect::<String>()),
        };
        let key = PublicKey::from_openssh(line).map_err(|_| bad())?;
        if key.algorithm().as_str().starts_with("sk-") {
            return Err(bad());
        }
        if !keys.iter().any(|k| k.key_data() == key.key_data()) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err(KeysError::SsmFailed {
            id: id.into(),
            document: "the read".into(),
            status: "without printing a host key".into(),
            detail: String::new(),
        });
    }
    Ok(Vouched {
        keys,
        fingerprints: Vec::new(),
        block_digest: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy root@web";

    #[test]
    fn reads_key_lines_and_skips_dsa() {
        let out = format!("{ED25519}\nssh-dss AAAAB3NzaC1kc3M= root@web\n\n{ED25519}\n");
        let vouched = parse("i-1", &out).unwrap();
        assert_eq!(vouched.keys.len(), 1);
    }

    #[test]
    fn anything_else_makes_the_output_untrusted() {
        for out in [
            format!("{ED25519}\ncat: /etc/ssh/x: No such file"),
            "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0QcyAAAABHNzaDo= x".to_string(),
            String::new(),
        ] {
            assert!(parse("i-1", &out).is_err(), "{out}");
        }
    }
}
