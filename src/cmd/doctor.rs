//! `doctor`: checks everything ec2-hostkey depends on — region, credentials,
//! the IAM actions it calls (asked with DryRun, so nothing happens), the ssh
//! client, the permissions of the files it trusts, and whether ssh_config
//! routes EC2 hosts through it — one line per check, with the fix.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::settings::Settings;
use crate::aws;
use crate::aws::ec2::{self, Ec2, Permission};
use crate::aws::s3::Bucket;
use crate::aws::ssm::Ssm;
use crate::cli::{DoctorArgs, Global};
use crate::net::openssh;
use crate::store::cache::Cache;
use crate::store::files::{mode_text, writable_by_others};
use crate::store::seeds::SeedStore;
use crate::store::team::StoreUrl;

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

/// Checks that could not run, said so rather than left out.
fn skipped(names: &[&str], why: &str) -> Vec<Check> {
    names
        .iter()
        .map(|name| {
            problem(
                Status::Warn,
                *name,
                format!("skipped: {why}"),
                "fix the problem above, then run doctor again",
            )
        })
        .collect()
}

/// Hosts shaped like the ones the generated ssh_config block routes.
const SAMPLE_HOSTS: [&str; 2] = [
    "i-0123456789abcdef0",
    "ec2-198-51-100-7.compute-1.amazonaws.com",
];

pub fn run(settings: &Settings, global: &Global, args: &DoctorArgs) -> Result<()> {
    let configured = settings.accounts.iter().any(|a| a.account.is_some());
    let mut checks = aws::block_on(async {
        if configured {
            let mut checks = vec![base_credentials(&settings.aws).await];
            checks.extend(account_checks(&settings.accounts).await);
            return Ok(checks);
        }
        Ok(aws_checks(
            &settings.aws,
            &settings.ssm_document(args.ssm_document.as_deref()),
        )
        .await)
    })?;
    if let Some(url) = &settings.store {
        checks.extend(aws::block_on(async {
            Ok(store_checks(&settings.aws, url).await)
        })?);
    }
    checks.extend(settings_checks(settings, global));
    checks.push(ssh_client());
    checks.extend(home_directory());
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
        return Err(crate::error::ChecksFailed(failed).into());
    }
    Ok(())
}

/// With accounts configured: whose credentials assume their roles.
async fn base_credentials(config: &aws::Config) -> Check {
    let sdk = config.loader(config.first_region()).load().await;
    match aws::sts::caller(&sdk).await {
        Ok(caller) => ok(
            "credentials",
            format!("{} (account {})", caller.arn, caller.account),
        ),
        Err(err) => problem(Status::Fail, "credentials", err.to_string(), err.remedy()),
    }
}

/// One line per configured account: its role assumed (as whom), the
/// account it reaches, and whether EC2 lets it look instances up and read
/// consoles in its first region. All accounts are asked at once.
async fn account_checks(accounts: &[aws::Config]) -> Vec<Check> {
    futures_util::future::join_all(accounts.iter().map(account_check)).await
}

async fn account_check(config: &aws::Config) -> Check {
    let label = config.account_label().unwrap_or_default();
    let name = format!("account {label}");
    // The error's own remedy goes after "fix:", not twice.
    let failed = |name: String, err: aws::ec2::Error| {
        let remedy = err.remedy();
        let text = err.to_string();
        let detail = text.strip_suffix(&format!("; {remedy}")).unwrap_or(&text);
        problem(Status::Fail, name, detail, remedy)
    };
    let ec2 = match Ec2::new(config).await {
        Ok(ec2) => ec2,
        Err(err) => return failed(name, err),
    };
    let caller = match aws::sts::caller(ec2.sdk_config()).await {
        Ok(caller) => caller,
        Err(err) => return failed(name, err),
    };
    let expected = config.account.as_ref().and_then(|a| a.id.as_deref());
    if let Some(expected) = expected.filter(|id| *id != caller.account) {
        return problem(
            Status::Fail,
            name,
            format!(
                "its credentials reach account {}, not {expected}",
                caller.account
            ),
            "fix the entry's profile or id in the config file",
        );
    }
    let how = if config.account.as_ref().is_some_and(|a| a.role.is_some()) {
        format!("role assumed as {}", caller.arn)
    } else {
        format!("reached as {}", caller.arn)
    };
    let console = Permission::GetConsoleOutput("i-0123456789abcdef0");
    for action in [Permission::DescribeInstances, console] {
        match ec2.check_permission(action).await {
            Ok(()) => {}
            Err(ec2::Error::Api { code, .. }) if code.starts_with("InvalidInstanceID") => {}
            Err(err @ ec2::Error::AccessDenied { .. }) => {
                return problem(
                    Status::Fail,
                    name,
                    format!("{how}; {} denied in {}", action.name(), ec2.region()),
                    err.remedy(),
                );
            }
            Err(err) => {
                return problem(
                    Status::Warn,
                    name,
                    format!("{how}; could not check {}: {err}", action.name()),
                    err.remedy(),
                );
            }
        }
    }
    ok(
        name,
        format!(
            "{how}; ec2:DescribeInstances and ec2:GetConsoleOutput allowed in {}",
            ec2.region()
        ),
    )
}

async fn aws_checks(config: &aws::Config, ssm_document: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    let ec2 = match Ec2::new(config).await {
        Ok(ec2) => ec2,
        Err(err) => {
            checks.push(problem(
                Status::Fail,
                "region",
                "no AWS region is configured",
                err.remedy(),
            ));
            checks.extend(skipped(
                &["credentials", "IAM permissions", "Systems Manager"],
                "no region to ask",
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
                err.remedy(),
            ));
            checks.extend(skipped(
                &["IAM permissions", "Systems Manager"],
                "no credentials AWS accepts",
            ));
            return checks;
        }
        Err(err @ ec2::Error::AccessDenied { action, .. }) => {
            checks.push(ok("credentials", "accepted by EC2"));
            checks.push(denied(&err, action, Status::Fail, "every lookup"));
        }
        Err(err) => {
            checks.push(problem(
                Status::Fail,
                "EC2 API",
                err.to_string(),
                err.remedy(),
            ));
            return checks;
        }
    }

    // Any well-formed id will do: a dry run is judged on the permission.
    let console = Permission::GetConsoleOutput("i-0123456789abcdef0");
    checks.push(match ec2.check_permission(console).await {
        Ok(()) => ok(console.name(), "allowed"),
        Err(err @ ec2::Error::AccessDenied { action, .. }) => denied(
            &err,
            action,
            Status::Fail,
            "reading host keys from the console",
        ),
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
        Err(err @ ec2::Error::AccessDenied { action, .. }) => denied(&err, action,
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
            Err(err @ ec2::Error::AccessDenied { action, .. }) => denied(
                &err,
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
    checks.extend(ssm_checks(&ec2, ssm_document).await);
    checks
}

/// Systems Manager, the source for instances whose console no longer holds
/// their keys: may we ask about agents, and does the read-only document
/// exist? (Whether ssm:SendCommand is allowed cannot be asked without
/// running a command, so that is left to the first use.)
async fn ssm_checks(ec2: &Ec2, document: &str) -> Vec<Check> {
    const OPTIONAL: &str = "reading host keys through Systems Manager when the console no longer holds them (optional)";
    let ssm = Ssm::new(ec2);
    let mut checks = Vec::new();
    checks.push(match ssm.ping_status("i-0123456789abcdef0").await {
        Ok(_) => ok("ssm:DescribeInstanceInformation", "allowed"),
        Err(err @ ec2::Error::AccessDenied { action, .. }) => {
            denied(&err, action, Status::Warn, OPTIONAL)
        }
        Err(err) => problem(
            Status::Warn,
            "ssm:DescribeInstanceInformation",
            format!("could not check: {err}"),
            err.remedy(),
        ),
    });
    let create = format!(
        "ec2-hostkey ssm-document > doc.json && aws ssm create-document --name {document} --document-type Command --document-format JSON --content file://doc.json (docs/systems-manager.md)"
    );
    checks.push(match ssm.document(document).await {
        Ok(Some((_, content))) if crate::aws::ssm::is_our_document(&content) => ok(
            format!("SSM document {document}"),
            "exists: host keys are read with it (allow ssm:SendCommand on it, not on AWS-RunShellScript)",
        ),
        Ok(Some(_)) => problem(
            Status::Fail,
            format!("SSM document {document}"),
            "exists, but its content differs from `ec2-hostkey ssm-document`, so it is never run: someone else's document under this name, or an older one of ours",
            format!("check who created it (aws ssm describe-document --name {document}); replace it with ours, or pass --ssm-document with the name of ours"),
        ),
        Ok(None) => problem(
            Status::Warn,
            format!("SSM document {document}"),
            "not found: host keys can be read through Systems Manager only with AWS-RunShellScript (a root shell), if that is allowed",
            create,
        ),
        Err(err) => problem(
            Status::Warn,
            format!("SSM document {document}"),
            format!("could not check: {err}"),
            err.remedy(),
        ),
    });
    checks
}

/// The team store's bucket: whoever can write it vouches for keys, so it
/// must be reachable, not public, versioned (a changed record can be seen
/// and undone) and encrypted by default.
async fn store_checks(config: &aws::Config, url: &StoreUrl) -> Vec<Check> {
    let name = format!("team store {url}");
    let owner = match &config.bucket_owner {
        Some(owner) => owner.clone(),
        None => {
            let sdk = config.loader(config.first_region()).load().await;
            match crate::aws::sts::caller(&sdk).await {
                Ok(caller) => caller.account,
                Err(err) => {
                    return vec![problem(
                        Status::Fail,
                        name,
                        format!("cannot tell which account must own it: {err}"),
                        "pass --store-owner ACCOUNT_ID, or fix the credentials",
                    )];
                }
            }
        }
    };
    let bucket = Bucket::from_settings(config, &url.bucket, Some(owner.clone())).await;
    let report = bucket.report().await;
    if let Err(err) = report.reachable {
        return vec![problem(
            Status::Fail,
            name,
            format!("not reachable as a bucket of account {owner}: {err}"),
            format!(
                "check the bucket name and that account {owner} owns it (--store-owner), and allow s3:ListBucket, s3:GetObject and s3:PutObject on it (docs/team-store.md); {}",
                err.remedy()
            ),
        )];
    }
    let mut checks = vec![
        ok(name, "reachable"),
        ok(
            "store bucket owner",
            format!(
                "account {owner}: every request says so (ExpectedBucketOwner), so a bucket of anyone else is refused"
            ),
        ),
    ];
    let policy = "apply the bucket policy in docs/team-store.md";
    checks.push(match (report.public, report.blocked) {
        (Ok(true), _) => problem(
            Status::Fail,
            "store bucket public access",
            "its policy makes it public: anyone could read who your instances are, and writers could be anyone the policy names",
            format!("remove the public grant and turn on Block Public Access (aws s3api put-public-access-block --bucket {} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true)", url.bucket),
        ),
        (Ok(false), Ok(true)) => ok("store bucket public access", "not public; all four public-access blocks on"),
        (Ok(false), Ok(false)) => problem(
            Status::Warn,
            "store bucket public access",
            "not public now, but Block Public Access is not fully on",
            format!("aws s3api put-public-access-block --bucket {} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", url.bucket),
        ),
        (Err(err), _) | (_, Err(err)) => problem(Status::Warn, "store bucket public access", format!("could not check: {err}"), err.remedy()),
    });
    checks.push(match report.versioning {
        Ok(true) => ok("store bucket versioning", "on"),
        Ok(false) => problem(
            Status::Fail,
            "store bucket versioning",
            "off: a record deleted or replaced by a writer leaves no trace",
            format!("aws s3api put-bucket-versioning --bucket {} --versioning-configuration Status=Enabled ({policy})", url.bucket),
        ),
        Err(err) => problem(Status::Warn, "store bucket versioning", format!("could not check: {err}"), err.remedy()),
    });
    checks.push(match report.encryption {
        Ok(true) => ok("store bucket encryption", "default encryption on"),
        Ok(false) => problem(
            Status::Fail,
            "store bucket encryption",
            "no default encryption",
            format!("aws s3api put-bucket-encryption --bucket {} --server-side-encryption-configuration '{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"AES256\"}}}}]}}'", url.bucket),
        ),
        Err(err) => problem(Status::Warn, "store bucket encryption", format!("could not check: {err}"), err.remedy()),
    });
    checks
}

fn denied(err: &ec2::Error, action: &str, status: Status, needed_for: &str) -> Check {
    problem(
        status,
        action,
        format!("denied; needed for {needed_for}"),
        err.remedy(),
    )
}

/// The config file, and each setting it can hold with where its value came from.
fn settings_checks(settings: &Settings, global: &Global) -> Vec<Check> {
    let file = match (&settings.file.path, super::config::default_path()) {
        (Some(path), _) => ok("config file", format!("{} (read)", path.display())),
        (None, Some(path)) => ok(
            "config file",
            format!("none at {} (flags and defaults only)", path.display()),
        ),
        (None, None) => ok("config file", "no configuration directory"),
    };
    std::iter::once(file)
        .chain(
            settings
                .origins(global)
                .into_iter()
                .map(|(key, value, origin)| {
                    ok(format!("setting {key}"), format!("{value} ({origin})"))
                }),
        )
        .collect()
}

fn ssh_client() -> Check {
    let Some(banner) = openssh::version_banner() else {
        return problem(
            Status::Fail,
            "ssh",
            "no `ssh` on PATH",
            "install the OpenSSH client (e.g. apt install openssh-client)",
        );
    };
    let version = banner
        .split([' ', ','])
        .next()
        .unwrap_or_default()
        .to_string();
    match openssh::openssh_version(&version) {
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

fn known_hosts_file(path: Option<&Path>) -> Vec<Check> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => match crate::store::files::ssh_home_dir() {
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
    checks.push(match crate::store::known_hosts::read(&path) {
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
            Some(match crate::store::files::private_dir(&dir) {
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

/// The ssh_config file ssh reads for this user: under the passwd entry's
/// home, which is not always `$HOME`.
fn user_ssh_config() -> PathBuf {
    crate::store::files::ssh_home_dir().map_or_else(
        || PathBuf::from("~/.ssh/config"),
        |home| home.join(".ssh/config"),
    )
}

/// ssh expands `~` with the passwd entry's home directory, never `$HOME`:
/// say so when they differ (`sudo -E`, containers that set `HOME`), since
/// files put under `$HOME/.ssh` are then never read by ssh.
fn home_directory() -> Option<Check> {
    let ssh_home = crate::store::files::ssh_home_dir()?;
    let env_home = PathBuf::from(std::env::var_os("HOME")?);
    if env_home == ssh_home {
        return Some(ok(
            "home directory",
            format!("{} (HOME and your passwd entry agree)", ssh_home.display()),
        ));
    }
    Some(problem(
        Status::Warn,
        "home directory",
        format!(
            "HOME is {} but ssh reads ~ as {} (your passwd entry)",
            env_home.display(),
            ssh_home.display()
        ),
        format!(
            "nothing to do for ec2-hostkey, which writes {}/.ssh/known_hosts where ssh reads it; keep your own ssh files under {} too",
            ssh_home.display(),
            ssh_home.display()
        ),
    ))
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
            let check = format!("ssh_config for {host}");
            let resolved = match openssh::resolved_config(config, host) {
                Ok(resolved) => resolved,
                Err(openssh::ConfigError::Rejected(why)) => {
                    return problem(
                        Status::Fail,
                        check,
                        format!("`ssh -G` failed: {why}"),
                        format!("fix the syntax error in {which}"),
                    );
                }
                Err(openssh::ConfigError::NoSsh) => {
                    return problem(Status::Fail, check, "cannot run `ssh -G`", "install the OpenSSH client");
                }
            };
            let option = |key: &str| resolved.option(key).map(str::to_string);
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
                    format!(
                        "add the block `ec2-hostkey ssh-config` prints to {}, before any `Host *`",
                        config.map_or_else(user_ssh_config, Path::to_path_buf).display()
                    ),
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
