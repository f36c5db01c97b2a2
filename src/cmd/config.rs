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
        Ok(FileConfig {
            serve,
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
