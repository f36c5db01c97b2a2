//! The config file: defaults for the flags people otherwise repeat on every
//! ProxyCommand line, read once by the settings step. Flags win over the
//! file, the file over the built-in defaults.
//!
//! `$XDG_CONFIG_HOME/ec2-hostkey/config.toml` (usually
//! `~/.config/ec2-hostkey/config.toml`):
//!
//! ```toml
//! regions = ["eu-west-1", "us-east-1"]   # --region, in order
//! profile = "prod"                       # --profile
//! address = "private"                    # --address auto|public|private
//! nameserver = "10.0.0.2"                # --nameserver IP[:PORT]
//! source = "auto"                        # --source auto|seed|store|console|ssm
//! store = "s3://team-hostkeys/prod"      # --store (the team store)
//! ssm_document = "ec2-hostkey-ReadHostKeys"
//! wait = "2m"                            # --wait
//! cache_ttl = "1h"                       # --cache-ttl
//! known_hosts = "~/.ssh/known_hosts"     # --known-hosts (~ is your home)
//!
//!
//! [[accounts]]                           # search these accounts (--account NAME|ID: one)
//! name = "prod"
//! role_arn = "arn:aws:iam::111111111111:role/ec2-hostkey"   # assumed with `profile`'s credentials
//! external_id = "…"                      # optional, as the role's trust policy asks
//! session_name = "ec2-hostkey"           # optional
//! regions = ["eu-west-1", "us-east-1"]   # optional: else the regions above
//! search = true                          # false: only with --account (its CloudTrail sees what you look up)
//!
//! [[accounts]]
//! name = "sandbox"
//! profile = "sandbox"                    # a profile's own account (id = "…" optional)
//!
//! [serve]                                # `serve`'s flags
//! listen = ["127.0.0.1:1080", "/run/user/1000/ec2-hostkey.sock"]
//! ports = [22]
//! users = "~/.config/ec2-hostkey/serve-users"   # --users
//! record = true                          # false: --no-record
//! record_aliases = false                 # --record-aliases
//! handshake_timeout = "10s"
//! idle_timeout = "1h"
//! drain = "30s"
//! log_format = "text"                    # text or json
//! max_connections = 400
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use clap::ValueEnum;

use crate::cli::{AddressArg, LogFormat, OnNameMoveArg, SourceArg};
use crate::error::ConfigError;
use crate::store::team::StoreUrl;

/// The file's settings; `None` where it says nothing.
#[derive(Debug, Default, Clone)]
pub struct FileConfig {
    pub path: Option<PathBuf>,
    pub regions: Option<Vec<String>>,
    pub profile: Option<String>,
    pub address: Option<AddressArg>,
    pub nameserver: Option<SocketAddr>,
    pub source: Option<SourceArg>,
    pub store: Option<StoreUrl>,
    pub ssm_document: Option<String>,
    pub wait: Option<Duration>,
    pub cache_ttl: Option<Duration>,
    pub known_hosts: Option<PathBuf>,
    pub on_name_move: Option<OnNameMoveArg>,
    pub store_owner: Option<String>,
    /// `s3://bucket/prefix` for seeds: S3 delivery becomes the default.
    pub seed_bucket: Option<String>,
    /// The `[serve]` section.
    pub serve: ServeFile,
    /// The `[[accounts]]` entries, checked; empty: the credentials' own account.
    pub accounts: Vec<AccountFile>,
}

/// One `[[accounts]]` entry.
#[derive(Debug, Clone)]
pub struct AccountFile {
    pub account: crate::aws::role::Account,
    /// The profile whose credentials reach it (or assume its role); `None`:
    /// the top-level profile.
    pub profile: Option<String>,
    /// Its regions; `None`: the top-level regions.
    pub regions: Option<Vec<String>>,
    /// Searched by default (`search = false`: only when `--account` names
    /// it — lookups reveal the names asked for to the account's CloudTrail).
    pub search: bool,
}

/// `[serve]`: defaults for `serve`'s flags.
#[derive(Debug, Default, Clone)]
pub struct ServeFile {
    pub listen: Option<Vec<String>>,
    pub ports: Option<Vec<u16>>,
    pub users: Option<PathBuf>,
    pub record: Option<bool>,
    pub record_aliases: Option<bool>,
    pub handshake_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub drain: Option<Duration>,
    pub log_format: Option<LogFormat>,
    pub max_connections: Option<u16>,
}

/// The file as written: every value still text, checked below so that an
/// error can name its key and line.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Raw {
    regions: Option<Vec<String>>,
    profile: Option<String>,
    address: Option<String>,
    nameserver: Option<String>,
    source: Option<String>,
    store: Option<String>,
    ssm_document: Option<String>,
    wait: Option<String>,
    cache_ttl: Option<String>,
    known_hosts: Option<String>,
    on_name_move: Option<String>,
    store_owner: Option<String>,
    seed_bucket: Option<String>,
    serve: Option<RawServe>,
    accounts: Option<Vec<RawAccount>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    name: String,
    id: Option<String>,
    profile: Option<String>,
    role_arn: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
    regions: Option<Vec<String>>,
    search: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServe {
    listen: Option<Vec<String>>,
    ports: Option<Vec<u16>>,
    users: Option<String>,
    record: Option<bool>,
    record_aliases: Option<bool>,
    handshake_timeout: Option<String>,
    idle_timeout: Option<String>,
    drain: Option<String>,
    log_format: Option<String>,
    max_connections: Option<u16>,
}

/// Where the config file is.
pub fn default_path() -> Option<PathBuf> {
    Some(dirs::config_dir()?.join("ec2-hostkey/config.toml"))
}

impl FileConfig {
    /// The user's config file, or nothing when there is none.
    ///
    /// # Errors
    /// It exists but cannot be read, is not TOML, has an unknown key, or a
    /// value that does not parse.
    pub fn load() -> Result<FileConfig, ConfigError> {
        let Some(path) = default_path() else {
            return Ok(FileConfig::default());
        };
        // Whoever may write the directory may delete or replace the file,
        // silently turning its settings (on_name_move = "refuse", source)
        // back to the defaults: the directory must be the user's alone.
        if let Some(dir) = path.parent().filter(|d| d.is_dir())
            && let Err(problem) = crate::store::files::owned_dir(dir)
        {
            return Err(ConfigError::Untrusted {
                path: dir.to_path_buf(),
                problem,
            });
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                // It chooses the known_hosts file and the sources: only its
                // owner may write it (as for the cache and the seed store).
                if let Err(problem) = crate::store::files::private_file(&path) {
                    return Err(ConfigError::Untrusted { path, problem });
                }
                FileConfig::parse(&path, &text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
            Err(e) => Err(ConfigError::Unreadable {
                path,
                error: e.to_string(),
            }),
        }
    }

    /// # Errors
    /// As [`FileConfig::load`].
    pub fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            // An unknown key's error carries no position of its own: find the key.
            let unknown = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split_once('`'))
                .map(|(key, _)| line_of(text, key));
            let at = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line: unknown.or(at).unwrap_or(1),
                message,
            }
        })?;
        let bad = |key: &'static str, expected: &'static str| ConfigError::Value {
            path: path.to_path_buf(),
            line: line_of(text, key),
            key,
            expected,
        };
        let duration = |key: &'static str, value: Option<String>| {
            value
                .map(|v| {
                    crate::cli::parse_duration(&v)
                        .map_err(|_| bad(key, "a duration like 90s, 10m or 1h"))
                })
                .transpose()
        };
        let serve = raw.serve.unwrap_or_default();
        let serve = ServeFile {
            listen: serve.listen,
            ports: serve.ports,
            users: serve.users.map(|p| expand_home(&p)),
            record: serve.record,
            record_aliases: serve.record_aliases,
            handshake_timeout: duration("handshake_timeout", serve.handshake_timeout)?,
            idle_timeout: duration("idle_timeout", serve.idle_timeout)?,
            drain: duration("drain", serve.drain)?,
            max_connections: serve.max_connections,
            log_format: serve
                .log_format
                .map(|v| {
                    LogFormat::from_str(&v, false).map_err(|_| bad("log_format", "text or json"))
                })
                .transpose()?,
        };
        let accounts = accounts(path, text, raw.accounts.unwrap_or_default())?;
        Ok(FileConfig {
            serve,
            accounts,
            path: Some(path.to_path_buf()),
            regions: raw.regions,
            profile: raw.profile,
            address: raw
                .address
                .map(|a| {
                    AddressArg::from_str(&a, false)
                        .map_err(|_| bad("address", "auto, public or private"))
                })
                .transpose()?,
            nameserver: raw
                .nameserver
                .map(|n| {
                    crate::cli::parse_nameserver(&n)
                        .map_err(|_| bad("nameserver", "an IP or IP:PORT"))
                })
                .transpose()?,
            source: raw
                .source
                .map(|s| {
                    SourceArg::from_str(&s, false)
                        .map_err(|_| bad("source", "auto, seed, store, console or ssm"))
                })
                .transpose()?,
            store: raw
                .store
                .map(|s| StoreUrl::parse(&s).map_err(|_| bad("store", "an s3://bucket/prefix URL")))
                .transpose()?,
            ssm_document: raw.ssm_document,
            wait: duration("wait", raw.wait)?,
            cache_ttl: duration("cache_ttl", raw.cache_ttl)?,
            known_hosts: raw.known_hosts.map(|p| expand_home(&p)),
            on_name_move: raw
                .on_name_move
                .map(|v| {
                    OnNameMoveArg::from_str(&v, false)
                        .map_err(|_| bad("on_name_move", "warn, refuse or accept"))
                })
                .transpose()?,
            seed_bucket: raw
                .seed_bucket
                .map(|v| {
                    StoreUrl::parse(&v)
                        .map(|_| v.clone())
                        .map_err(|_| bad("seed_bucket", "an s3://bucket/prefix URL"))
                })
                .transpose()?,
            store_owner: raw
                .store_owner
                .map(|v| {
                    crate::cli::parse_account(&v)
                        .map_err(|_| bad("store_owner", "an AWS account id (12 digits)"))
                })
                .transpose()?,
        })
    }

    /// "config file PATH", for saying where a setting came from.
    pub fn origin(&self) -> String {
        self.path.as_ref().map_or_else(
            || "config file".into(),
            |p| format!("config file {}", p.display()),
        )
    }
}

/// The `[[accounts]]` entries, each checked: a name of its own, a role ARN
/// that names an account (the entry's `id`, when both are given), the
/// role's options only with a role.
fn accounts(
    path: &Path,
    text: &str,
    raw: Vec<RawAccount>,
) -> Result<Vec<AccountFile>, ConfigError> {
    use crate::aws::role::{Account, DEFAULT_SESSION_NAME, Role, account_of_role};
    let headers: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[accounts]]"))
        .map(|(i, _)| i + 1)
        .collect();
    let mut out: Vec<AccountFile> = Vec::new();
    for (n, entry) in raw.into_iter().enumerate() {
        let bad = |problem: String| ConfigError::Account {
            path: path.to_path_buf(),
            line: headers.get(n).copied().unwrap_or(1),
            problem,
        };
        let name_ok = !entry.name.is_empty()
            && entry.name.len() <= 64
            && entry
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !name_ok {
            return Err(bad(format!(
                "has name {:?}: give letters, digits, '-', '_' and '.' (at most 64)",
                entry.name
            )));
        }
        if entry.name.len() == 12 && entry.name.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!(
                "is named {:?}, which reads as an account id: --account takes both; name it, and give the id as id",
                entry.name
            )));
        }
        if let Some(id) = &entry.id {
            crate::cli::parse_account(id).map_err(|e| bad(format!("has id {e}")))?;
        }
        let role = match &entry.role_arn {
            Some(arn) => {
                let of = account_of_role(arn).ok_or_else(|| {
                    bad(format!(
                        "has role_arn {arn:?}, which is not a role's ARN (arn:aws:iam::ACCOUNT:role/NAME)"
                    ))
                })?;
                if let Some(id) = entry.id.as_deref().filter(|id| *id != of) {
                    return Err(bad(format!(
                        "says id {id}, but its role_arn is in account {of}"
                    )));
                }
                let session_name = entry
                    .session_name
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.into());
                let session_ok = (2..=64).contains(&session_name.len())
                    && session_name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+=,.@-_".contains(&b));
                if !session_ok {
                    return Err(bad(format!(
                        "has session_name {session_name:?}: STS takes 2 to 64 of letters, digits and +=,.@-_"
                    )));
                }
                if let Some(external) = &entry.external_id
                    && !(2..=1224).contains(&external.len())
                {
                    return Err(bad(
                        "has an external_id STS would refuse (2 to 1224 characters)".into(),
                    ));
                }
                Some(Role {
                    arn: arn.clone(),
                    external_id: entry.external_id.clone(),
                    session_name,
                })
            }
            None if entry.external_id.is_some() || entry.session_name.is_some() => {
                return Err(bad(
                    "has external_id or session_name but no role_arn: they are the role's".into(),
                ));
            }
            None => None,
        };
        let id = entry.id.clone().or_else(|| {
            role.as_ref()
                .and_then(|r| account_of_role(&r.arn))
                .map(str::to_string)
        });
        let account = Account {
            name: entry.name.clone(),
            id,
            role,
        };
        if let Some(twin) = out.iter().find(|a| a.account.name == account.name) {
            return Err(bad(format!(
                "repeats the name {:?}: give each account once",
                twin.account.name
            )));
        }
        if let Some(twin) = out
            .iter()
            .find(|a| account.id.is_some() && a.account.id == account.id)
        {
            return Err(bad(format!(
                "is account {} again (as {:?}): every instance there would be found twice; give each account once",
                account.id.as_deref().unwrap_or_default(),
                twin.account.name
            )));
        }
        if entry.regions.as_ref().is_some_and(Vec::is_empty) {
            return Err(bad(
                "has regions = []: leave it out for the top-level regions".into(),
            ));
        }
        out.push(AccountFile {
            account,
            profile: entry.profile,
            regions: entry.regions,
            search: entry.search.unwrap_or(true),
        });
    }
    Ok(out)
}

/// The line where `key = …` is set (1 when it cannot be found).
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}

/// `~/…` under the home directory ssh uses (so `known_hosts = "~/.ssh/…"`
/// names the file ssh reads); anything else as it is.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), crate::store::files::ssh_home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FileConfig, ConfigError> {
        FileConfig::parse(Path::new("/c.toml"), text)
    }

    #[test]
    fn every_key_is_read() {
        let c = parse(
            "regions = [\"eu-west-1\", \"us-east-1\"]\nprofile = \"prod\"\naddress = \"private\"\n\
             nameserver = \"10.0.0.2\"\nsource = \"console\"\nssm_document = \"d\"\nwait = \"2m\"\n\
             cache_ttl = \"10m\"\nknown_hosts = \"/k\"\nstore = \"s3://team-keys/ssh\"\n",
        )
        .unwrap();
        assert_eq!(c.regions.unwrap(), ["eu-west-1", "us-east-1"]);
        assert_eq!(c.profile.as_deref(), Some("prod"));
        assert_eq!(c.address, Some(AddressArg::Private));
        assert_eq!(c.nameserver, Some("10.0.0.2:53".parse().unwrap()));
        assert_eq!(c.source, Some(SourceArg::Console));
        assert_eq!(c.wait, Some(Duration::from_secs(120)));
        assert_eq!(c.cache_ttl, Some(Duration::from_secs(600)));
        assert_eq!(c.known_hosts, Some(PathBuf::from("/k")));
        assert_eq!(c.store.unwrap().to_string(), "s3://team-keys/ssh");
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let err = parse("profile = \"p\"\n\naddress = \"sideways\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config file /c.toml line 3: address must be auto, public or private; fix the line or remove it (flags do not need the file)"
        );
        let err = parse("profile = \"p\"\nregion = \"x\"\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("config file /c.toml line 2: unknown field `region`"),
            "{err}"
        );
        let err = parse("wait = 90s\n").unwrap_err();
        assert!(
            err.to_string().starts_with("config file /c.toml line 1: "),
            "{err}"
        );
    }

    #[test]
    fn accounts_are_read_and_checked() {
        let c = parse(
            "regions = [\"us-east-1\"]\n\n[[accounts]]\nname = \"prod\"\n\
             role_arn = \"arn:aws:iam::111111111111:role/r\"\nexternal_id = \"xyz\"\n\
             regions = [\"eu-west-1\"]\n\n[[accounts]]\nname = \"dev\"\nprofile = \"dev\"\nsearch = false\n",
        )
        .unwrap();
        assert_eq!(c.accounts.len(), 2);
        let prod = &c.accounts[0];
        assert_eq!(prod.account.label(), "prod (111111111111)");
        let role = prod.account.role.as_ref().unwrap();
        assert_eq!(role.external_id.as_deref(), Some("xyz"));
        assert_eq!(role.session_name, "ec2-hostkey");
        assert_eq!(
            prod.regions.as_deref(),
            Some(&["eu-west-1".to_string()][..])
        );
        assert!(prod.account.is("prod") && prod.account.is("111111111111"));
        assert_eq!(c.accounts[1].account.label(), "dev");
        assert!(prod.search && !c.accounts[1].search);
        assert_eq!(c.accounts[1].profile.as_deref(), Some("dev"));

        for (text, line, wanted) in [
            (
                "[[accounts]]\nname = \"a\"\n[[accounts]]\nname = \"a\"\n",
                3,
                "repeats the name",
            ),
            (
                "[[accounts]]\nname = \"a\"\nid = \"111111111111\"\nprofile = \"p\"\n\n[[accounts]]\nname = \"b\"\nrole_arn = \"arn:aws:iam::111111111111:role/r\"\n",
                6,
                "is account 111111111111 again (as \"a\")",
            ),
            (
                "[[accounts]]\nname = \"a\"\nrole_arn = \"arn:aws:iam::1:role/r\"\n",
                1,
                "not a role's ARN",
            ),
            (
                "[[accounts]]\nname = \"a\"\nid = \"222222222222\"\nrole_arn = \"arn:aws:iam::111111111111:role/r\"\n",
                1,
                "its role_arn is in account 111111111111",
            ),
            (
                "[[accounts]]\nname = \"a\"\nexternal_id = \"xyz\"\n",
                1,
                "no role_arn",
            ),
            ("[[accounts]]\nname = \"a b\"\n", 1, "has name"),
            (
                "[[accounts]]\nname = \"111111111111\"\n",
                1,
                "reads as an account id",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!(
                    "config file /c.toml line {line}: this [[accounts]] entry"
                )),
                "{err}"
            );
            assert!(err.contains(wanted), "{err}");
        }
        let err = parse("[[accounts]]\nname = \"a\"\nrole = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `role`"), "{err}");
    }

    #[test]
    fn the_serve_section_holds_serves_flags() {
        let c = parse(
            "regions = [\"eu-west-1\"]\n[serve]\nlisten = [\"127.0.0.1:1081\"]\nports = [22, 2222]\n\
             record = false\nidle_timeout = \"1h\"\nlog_format = \"json\"\nmax_connections = 50\n",
        )
        .unwrap();
        assert_eq!(c.serve.listen, Some(vec!["127.0.0.1:1081".to_string()]));
        assert_eq!(c.serve.ports, Some(vec![22, 2222]));
        assert_eq!(c.serve.record, Some(false));
        assert_eq!(c.serve.idle_timeout, Some(Duration::from_secs(3600)));
        assert_eq!(c.serve.log_format, Some(LogFormat::Json));
        assert_eq!(c.serve.max_connections, Some(50));
        let err = parse("[serve]\nlog_format = \"xml\"\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("config file /c.toml line 2: log_format must be text or json"),
            "{err}"
        );
        let err = parse("[serve]\nlisen = []\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `lisen`"), "{err}");
    }
}
