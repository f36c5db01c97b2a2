//! `doctor`: checks everything ec2-hostkey depends on — region, credentials,
//! the IAM actions it calls (asked with DryRun, so nothing happens), the ssh
//! client, the permissions of the files it trusts, and whether ssh_config
//! routes EC2 hosts through it — one line per check, with the fix.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Result;
use serde::Serialize;

use crate::cache::Cache;
use crate::cli::{DoctorArgs, Global};
use crate::ec2::{self, Ec2, Permission};
use crate::files::{mode_text, writable_by_others};
use crate::seed::SeedStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Serialize)]
struct Check {
    check: String,
    status: Status,
    detail: String,
    fix: Option<String>,
}

fn ok(check: impl Into<String>, detail: impl Into<String>) -> Check {
    Check {
        check: check.into(),
        status: Status::Ok,
        detail: detail.into(),
        fix: None,
    }
}

fn problem(
    status: Status,
    check: impl Into<String>,
    detail: impl Into<String>,
    fix: impl Into<String>,
) -> Check {
    Check {
        check: check.into(),
        status,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

/// Some checks failed (each printed with its fix).
#[derive(Debug, thiserror::Error)]
#[error("{0} check(s) failed; apply the fixes above and run `ec2-hostkey doctor` again")]
pub struct Failed(usize);

/// Hosts shaped like the ones the generated ssh_config block routes.
const SAMPLE_HOSTS: [&str; 2] = [
    "i-0123456789abcdef0",
    "ec2-198-51-100-7.compute-1.amazonaws.com",
];

pub fn run(global: &Global, args: &DoctorArgs) -> Result<()> {
    let mut checks = crate::verify::block_on(async { Ok(aws_checks(global).await) })?;
    checks.push(ssh_client());
    checks.extend(known_hosts_file(args.known_hosts.as_deref()));
    checks.extend(private_dirs());
    checks.extend(ssh_config_routing(args.ssh_config.as_deref()));

    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    let mut out = std::io::stdout().lock();
    if args.json {
        #[derive(Serialize)]
        struct Report<'a> {
            ok: bool,
            checks: &'a [Check],
        }
        serde_json::to_writer_pretty(
            &mut out,
            &Report {
                ok: failed == 0,
                checks: &checks,
            },
        )?;
        writeln!(out)?;
    } else {
        for check in &checks {
            let status = match check.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            match &check.fix {
                Some(fix) => writeln!(
                    out,
                    "{status}  {}: {} — fix: {fix}",
                    check.check, check.detail
                )?,
                None => writeln!(out, "{status}  {}: {}", check.check, check.detail)?,
            }
        }
    }
    if failed > 0 {
        return Err(Failed(failed).into());
    }
    Ok(())
}

async fn aws_checks(global: &Global) -> Vec<Check> {
    let mut checks = Vec::new();
    let ec2 = match Ec2::new(global.first_region(), global.profile.as_deref()).await {
        Ok(ec2) => ec2,
        Err(_) => {
            checks.push(problem(
                Status::Fail,
                "region",
                "no AWS region is configured",
                "set AWS_REGION, pass --region, or set `region` in your AWS profile",
            ));
            return checks;
        }
    };
    checks.push(ok("region", ec2.region()));

    match ec2.check_permission(Permission::DescribeInstances).await {
        Ok(()) => {
            checks.push(ok("credentials", "accepted by EC2"));
            checks.push(ok(Permission::DescribeInstances.name(), "allowed"));
        }
        Err(err @ (ec2::Error::NoCredentials { .. } | ec2::Error::Credentials { .. })) => {
            checks.push(problem(
                Status::Fail,
                "credentials",
                err.to_string(),
                "refresh or configure them: `aws sso login`, `aws configure`, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            ));
            return checks;
        }
        Err(ec2::Error::AccessDenied { action, .. }) => {
            checks.push(ok("credentials", "accepted by EC2"));
            checks.push(denied(action, Status::Fail, "every lookup"));
        }
        Err(err) => {
            checks.push(problem(
                Status::Fail,
                "EC2 API",
                err.to_string(),
                "check the network, AWS_ENDPOINT_URL and the region",
            ));
            return checks;
        }
    }

    // Any well-formed id will do: a dry run is judged on the permission.
    let console = Permission::GetConsoleOutput("i-0123456789abcdef0");
    checks.push(match ec2.check_permission(console).await {
        Ok(()) => ok(console.name(), "allowed"),
        Err(ec2::Error::AccessDenied { action, .. }) => {
            denied(action, Status::Fail, "reading host keys from the console")
        }
        Err(ec2::Error::Api { code, .. }) if code.starts_with("InvalidInstanceID") => ok(
            console.name(),
            "not denied (AWS wanted a real instance to say more)",
        ),
        Err(err) => problem(
            Status::Warn,
            console.name(),
            format!("could not check: {err}"),
            "run doctor again in a moment",
        ),
    });
    let user_data = Permission::DescribeInstanceAttribute("i-0123456789abcdef0");
    checks.push(match ec2.check_permission(user_data).await {
        Ok(()) => ok(user_data.name(), "allowed"),
        Err(ec2::Error::AccessDenied { action, .. }) => denied(
            action,
            Status::Warn,
            "proving a seed's binding from the instance's user-data (without it, seeded instances need `seed bind` or their console)",
        ),
        Err(ec2::Error::Api { code, .. }) if code.starts_with("InvalidInstanceID") => ok(
            user_data.name(),
            "not denied (AWS wanted a real instance to say more)",
        ),
        Err(err) => problem(
            Status::Warn,
            user_data.name(),
            format!("could not check: {err}"),
            "run doctor again in a moment",
        ),
    });
    checks.push(
        match ec2.check_permission(Permission::DescribeRegions).await {
            Ok(()) => ok(Permission::DescribeRegions.name(), "allowed"),
            Err(ec2::Error::AccessDenied { action, .. }) => denied(
                action,
                Status::Warn,
                "finding an instance id outside the configured region (optional)",
            ),
            Err(err) => problem(
                Status::Warn,
                Permission::DescribeRegions.name(),
                format!("could not check: {err}"),
                "run doctor again in a moment",
            ),
        },
    );
    checks
}

fn denied(action: &str, status: Status, needed_for: &str) -> Check {
    problem(
        status,
        action,
        format!("denied; needed for {needed_for}"),
        format!("allow {action} in the IAM policy of the role or user in use"),
    )
}

fn ssh_client() -> Check {
    let output = Command::new("ssh")
        .arg("-V")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output();
    let Ok(output) = output else {
        return problem(
            Status::Fail,
            "ssh",
            "no `ssh` on PATH",
            "install the OpenSSH client (e.g. apt install openssh-client)",
        );
    };
    let banner = String::from_utf8_lossy(&output.stderr).trim().to_string();
    let version = banner
        .split([' ', ','])
        .next()
        .unwrap_or_default()
        .to_string();
    match openssh_version(&version) {
        Some(v) if v >= (8, 5) => ok(
            "ssh",
            format!("{version}: ProxyCommand, ProxyUseFdpass and KnownHostsCommand supported"),
        ),
        Some(_) => problem(
            Status::Warn,
            "ssh",
            format!("{version} predates KnownHostsCommand (8.5)"),
            "use the ProxyCommand mode (`ec2-hostkey ssh-config`), or upgrade OpenSSH",
        ),
        None => problem(
            Status::Warn,
            "ssh",
            format!("not OpenSSH ({banner})"),
            "ec2-hostkey is tested with the OpenSSH client",
        ),
    }
}

/// `OpenSSH_9.2p1` → (9, 2).
fn openssh_version(banner: &str) -> Option<(u32, u32)> {
    let rest = banner.strip_prefix("OpenSSH_")?;
    let (major, rest) = rest.split_once('.')?;
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn known_hosts_file(path: Option<&Path>) -> Vec<Check> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => match dirs::home_dir() {
            Some(home) => home.join(".ssh/known_hosts"),
            None => {
                return vec![problem(
                    Status::Fail,
                    "known_hosts",
                    "cannot find your home directory",
                    "set HOME, or pass --known-hosts FILE",
                )];
            }
        },
    };
    let name = format!("known_hosts {}", path.display());
    let mut checks = Vec::new();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(meta) = std::fs::metadata(dir)
        && writable_by_others(&meta)
    {
        checks.push(problem(
            Status::Fail,
            format!("directory {}", dir.display()),
            format!("writable by group or others (mode {})", mode_text(&meta)),
            format!("chmod go-w {}", dir.display()),
        ));
    }
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            checks.push(ok(name, "not there yet; created on first use"));
            return checks;
        }
        Err(e) => {
            checks.push(problem(
                Status::Fail,
                name,
                format!("cannot read it: {e}"),
                "check its permissions",
            ));
            return checks;
        }
    };
    if writable_by_others(&meta) {
        checks.push(problem(
            Status::Fail,
            name,
            format!(
                "writable by group or others (mode {}): anyone in them can plant host keys",
                mode_text(&meta)
            ),
            format!("chmod go-w {}", path.display()),
        ));
        return checks;
    }
    checks.push(match crate::known_hosts::read(&path) {
        Ok(file) => {
            let invalid = file.invalid_lines().count();
            if invalid == 0 {
                ok(name, format!("mode {}", mode_text(&meta)))
            } else {
                problem(
                    Status::Warn,
                    name,
                    format!("{invalid} line(s) are not valid entries (ssh ignores them)"),
                    "look at them with `ec2-hostkey repair --dry-run`, or edit the file",
                )
            }
        }
        Err(err) => problem(Status::Fail, name, err.to_string(), "check its permissions"),
    });
    checks
}

/// The cache and the seed store: their records are trusted, so only their owner may write.
fn private_dirs() -> Vec<Check> {
    let dirs: [(&str, Option<PathBuf>); 2] = [
        ("cache", Cache::default_dir()),
        ("seed store", SeedStore::default_dir()),
    ];
    dirs.into_iter()
        .filter_map(|(what, dir)| {
            let dir = dir?;
            let meta = std::fs::metadata(&dir).ok()?;
            Some(match crate::files::private_dir(&dir) {
                Err(why) => problem(
                    Status::Fail,
                    format!("{what} {}", dir.display()),
                    format!("cannot be trusted, so it is ignored: {why}"),
                    format!(
                        "make it yours and private: chown \"$USER\" {0} && chmod 700 {0}",
                        dir.display()
                    ),
                ),
                Ok(()) => ok(
                    format!("{what} {}", dir.display()),
                    format!("yours, mode {}", mode_text(&meta)),
                ),
            })
        })
        .collect()
}

/// Whether `ssh -G` sends EC2-shaped hosts through ec2-hostkey, strictly.
fn ssh_config_routing(config: Option<&Path>) -> Vec<Check> {
    let which = config.map_or_else(
        || "your ssh_config".to_string(),
        |c| c.display().to_string(),
    );
    SAMPLE_HOSTS
        .iter()
        .map(|host| {
            let mut command = Command::new("ssh");
            if let Some(config) = config {
                command.arg("-F").arg(config);
            }
            let output = command
                .args(["-G", "--", host])
                .stdin(Stdio::null())
                .stderr(Stdio::piped())
                .output();
            let check = format!("ssh_config for {host}");
            let output = match output {
                Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
                Ok(out) => {
                    return problem(
                        Status::Fail,
                        check,
                        format!(
                            "`ssh -G` failed: {}",
                            String::from_utf8_lossy(&out.stderr).trim()
                        ),
                        format!("fix the syntax error in {which}"),
                    );
                }
                Err(_) => {
                    return problem(Status::Fail, check, "cannot run `ssh -G`", "install the OpenSSH client");
                }
            };
            let option = |key: &str| {
                output.lines().find_map(|line| {
                    let (k, v) = line.split_once(' ')?;
                    k.eq_ignore_ascii_case(key).then(|| v.to_string())
                })
            };
            let routed = ["proxycommand", "knownhostscommand"]
                .iter()
                .filter_map(|k| option(k).map(|v| (*k, v)))
                .find(|(_, v)| v.contains("ec2-hostkey"));
            let strict = option("stricthostkeychecking").unwrap_or_default();
            match routed {
                None => problem(
                    Status::Fail,
                    check,
                    format!("{which} does not route it through ec2-hostkey"),
                    "add the block `ec2-hostkey ssh-config` prints to ~/.ssh/config, before any `Host *`",
                ),
                Some(_) if !matches!(strict.as_str(), "true" | "yes") => problem(
                    Status::Warn,
                    check,
                    format!("routed, but StrictHostKeyChecking is {strict}"),
                    "set StrictHostKeyChecking yes in that block, so a key nobody verified is refused rather than asked about",
                ),
                Some((option, _)) => ok(check, format!("routed through ec2-hostkey ({option})")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openssh_versions() {
        assert_eq!(openssh_version("OpenSSH_9.2p1"), Some((9, 2)));
        assert_eq!(openssh_version("OpenSSH_8.4"), Some((8, 4)));
        assert_eq!(openssh_version("OpenSSH_10.0p2"), Some((10, 0)));
        assert_eq!(openssh_version("Dropbear"), None);
    }
}
