//! The command line: clap definitions only, no I/O. Only `cmd` reads these
//! structs; its settings step turns them into the plain settings the layers
//! below take.
//!
//! May import: nothing of the crate.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (I/O, network, DNS, known_hosts file; doctor: a check failed)
  2  usage error (flags, or the config file)
  3  no such running instance (not found, ambiguous, not running, no address on the asked side)
  4  no verified host key available yet (no source has them: console output missing or without keys,
     Systems Manager unavailable; sync: some instances)
  5  host key mismatch: possible man-in-the-middle (or a revoked key, or a name that moved, refused),
     nothing written for it
  6  AWS configuration, credentials or permission problem";

#[derive(Debug, Parser)]
#[command(
    name = "ec2-hostkey",
    version,
    about = "Verified SSH host keys for AWS EC2 instances, for OpenSSH's ProxyCommand",
    long_about = "Looks up an EC2 instance, takes its real host keys from the console output the \
authenticated EC2 API returns, checks the key the live server presents against them, writes \
verified known_hosts entries for every name you connect by, and carries the connection. \
No trust on first use, no StrictHostKeyChecking=no.

Defaults for --region, --profile, --address, --nameserver, --store, --store-owner, --source, \
--ssm-document, --wait, --cache-ttl, --known-hosts and --on-name-move can be set in $XDG_CONFIG_HOME/ec2-hostkey/config.toml \
(docs/settings.md); flags and environment variables win.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// AWS region; repeat to search several in order (default: AWS_REGION, then the
    /// profile's region, and an instance id found in neither is looked for in every enabled region)
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Vec<String>,
    /// AWS profile (default: AWS_PROFILE)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Only this one of the config file's [[accounts]], by name or id (default: all of them)
    #[arg(
        long,
        global = true,
        value_name = "NAME|ID",
        env = "EC2_HOSTKEY_ACCOUNT"
    )]
    pub account: Option<String>,
    /// More detail on stderr (-v, -vv)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print nothing on stderr but errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Which address to connect to and record: auto (the side of the name you typed,
    /// else public when there is one), public, or private (VPN, Direct Connect, bastion)
    /// [default: auto]
    #[arg(long, global = true, value_enum)]
    pub address: Option<AddressArg>,
    /// When a name (Name tag, DNS alias) leads to another instance than the one recorded for it:
    /// warn and connect, refuse (exit 5), or accept the move for this run [default: warn]
    #[arg(long, global = true, value_enum, value_name = "WHAT")]
    pub on_name_move: Option<OnNameMoveArg>,
    /// DNS server for names that are aliases of instances (default: the system resolver configuration)
    #[arg(long, global = true, value_name = "IP[:PORT]", env = "EC2_HOSTKEY_NAMESERVER", value_parser = parse_nameserver)]
    pub nameserver: Option<SocketAddr>,
    /// The team store: records of verified keys shared through S3; read before the console
    /// on a connection, and written (create-only) after every verification by a source
    #[arg(
        long,
        global = true,
        value_name = "s3://BUCKET/PREFIX",
        env = "EC2_HOSTKEY_STORE"
    )]
    pub store: Option<String>,
    /// The AWS account that must own the team store's and the seeds' buckets: S3 refuses every
    /// request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]
    #[arg(long, global = true, value_name = "ACCOUNT_ID", env = "EC2_HOSTKEY_STORE_OWNER", value_parser = parse_account)]
    pub store_owner: Option<String>,
}

/// A 12-digit AWS account id.
///
/// # Errors
/// Anything else.
pub fn parse_account(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(format!("{text:?} is not an AWS account id (12 digits)"))
    }
}

/// A duration as the docs write it (`90s`, `10m`, `1h30m`), or a bare number
/// of seconds, as ssh's `ConnectTimeout` takes it.
///
/// # Errors
/// Neither, with the forms that are accepted.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(text).map_err(|_| {
        format!("{text:?} is not a duration: write it as 90s, 10m or 1h (a bare number is seconds)")
    })
}

/// `IP` or `IP:PORT` (port 53 by default), as `--nameserver` takes it.
///
/// # Errors
/// Not an address.
pub fn parse_nameserver(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    text.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("{text:?} is not an IP address or IP:PORT"))
}

/// How the proxy reaches the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ViaArg {
    /// A TCP connection to the instance's address
    #[default]
    Direct,
    /// A websocket tunnel through the EC2 Instance Connect Endpoint of the instance's VPC, to its
    /// private address (no public address or open port needed)
    Eice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RelayArg {
    Splice,
    Copy,
}

/// What to do when a name (a Name tag, a DNS alias) now leads to another
/// instance than the one its known_hosts lines were recorded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnNameMoveArg {
    /// Say so, naming both instances, and connect (autoscaling keeps working)
    Warn,
    /// Refuse (exit 5) until the move is accepted
    Refuse,
    /// Follow the name silently (this run)
    Accept,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AddressArg {
    Auto,
    Public,
    Private,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify HOST's key, record it, then carry the connection (ProxyCommand ec2-hostkey proxy %h %p)
    Proxy(ProxyArgs),
    /// Print verified known_hosts lines for HOST; writes nothing (KnownHostsCommand ec2-hostkey known-hosts %H %t %K)
    KnownHosts(KnownHostsCmdArgs),
    /// Print TARGETs' verified host keys as known_hosts lines or JSON; --write records them
    Fetch(FetchArgs),
    /// Report and fix known_hosts entries for EC2 names whose key is not the current instance's
    Repair(RepairArgs),
    /// Remove every known_hosts entry for an instance (alias, DNS names, IPs)
    Forget(ForgetArgs),
    /// Generate host keys before launch and print user-data that installs them
    Seed(SeedArgs),
    /// Verify and record the host keys of every matching running instance
    Sync(SyncArgs),
    /// Print an ssh_config block that routes EC2 hosts through ec2-hostkey
    SshConfig(SshConfigArgs),
    /// Check credentials, IAM permissions, the ssh client, file permissions and ssh_config; print the fix for each problem
    Doctor(DoctorArgs),
    /// Print the Systems Manager document that reads host keys (for `aws ssm create-document`)
    SsmDocument {
        /// Print instead the document that installs host certificates (`certify --install`)
        #[arg(long)]
        certify: bool,
    },
    /// A local SOCKS5 / HTTP CONNECT proxy that verifies every SSH connection as `proxy` does,
    /// for clients that cannot run a ProxyCommand (paramiko, Terraform, Packer, editors)
    Serve(ServeArgs),
    /// The host certificate authority: make its key, print its @cert-authority line, revoke keys
    Ca {
        #[command(subcommand)]
        action: CaAction,
    },
    /// Verify TARGETs' host keys as fetch does, then sign exactly those as host certificates
    /// (principals: the instance id, DNS names and addresses)
    Certify(CertifyArgs),
    /// Print a shell completion script (e.g. `ec2-hostkey completions bash > /etc/bash_completion.d/ec2-hostkey`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only instances matching this filter, as the AWS CLI takes it: Name=tag:Env,Values=prod,stage
    /// (repeatable; all must match)
    #[arg(long, value_name = "Name=…,Values=…", value_parser = parse_filter)]
    pub filter: Vec<(String, Vec<String>)>,
    /// Console fetches in flight at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Also record each instance's id and Name tag as host names (what you type with the ProxyCommand)
    #[arg(long)]
    pub aliases: bool,
    /// Report what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Publish every instance's verified keys to the team store (--store): create-only
    /// records, one per instance and key set; --json reports what was published
    #[arg(long)]
    pub publish: bool,
    /// Print a JSON report (see docs/json.md)
    #[arg(long)]
    pub json: bool,
    /// The SSH port, for entry names and fingerprint probes
    #[arg(long, default_value_t = 22)]
    pub port: u16,
    /// Also renew host certificates: every verified instance whose sshd presents no certificate
    /// of the CA (--ca) with more than a third of its validity left gets one for the keys it
    /// presents, installed through Systems Manager (see `certify --install`)
    #[arg(long)]
    pub certify: bool,
    #[command(flatten)]
    pub ca: CaFileArgs,
    /// With --certify: how long each new certificate is valid
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "7d")]
    pub validity: Duration,
    /// With --certify: the install document's name in your account
    #[arg(
        long,
        value_name = "NAME",
        default_value = "ec2-hostkey-InstallHostCertificates"
    )]
    pub install_document: String,
}

/// `Name=NAME,Values=V1,V2` (the AWS CLI's shorthand) into a filter.
///
/// # Errors
/// The text is not in that form.
pub fn parse_filter(text: &str) -> Result<(String, Vec<String>), String> {
    let usage = || format!("{text:?}: expected Name=NAME,Values=VALUE[,VALUE…]");
    let rest = text.strip_prefix("Name=").ok_or_else(usage)?;
    let (name, values) = rest.split_once(",Values=").ok_or_else(usage)?;
    let values: Vec<String> = values.split(',').map(str::to_string).collect();
    if name.is_empty() || values.iter().any(String::is_empty) {
        return Err(usage());
    }
    Ok((name.to_string(), values))
}

#[derive(Debug, Args)]
pub struct SshConfigArgs {
    /// More Host patterns to route through ec2-hostkey (repeatable), e.g. '*.prod.example.com' or '10.*'
    #[arg(long, value_name = "PATTERN")]
    pub pattern: Vec<String>,
    /// Leave out the default EC2 patterns (i-*, ec2-*.amazonaws.com, *.compute.internal, *.ec2.internal)
    #[arg(long)]
    pub no_default_patterns: bool,
    /// proxy: ProxyCommand (any name: ids, Name tags, DNS, IPs); known-hosts: KnownHostsCommand
    /// (ssh connects itself; only names ssh can resolve)
    #[arg(long, value_enum, default_value = "proxy")]
    pub mode: SshConfigMode,
    /// Add ProxyUseFdpass: ec2-hostkey hands ssh the socket and leaves the data path (faster
    /// bulk copies; the key is read on a probe connection, not the one ssh gets: see docs/commands.md)
    #[arg(long)]
    pub fdpass: bool,
    /// The known_hosts file ec2-hostkey writes and ssh reads (default: ssh's own)
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Path of the ec2-hostkey binary to run (default: this one)
    #[arg(long, value_name = "PATH")]
    pub bin: Option<PathBuf>,
    /// How long the proxy waits for console output after boot
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
    /// How ssh reaches the instances: direct; eice (ec2-hostkey's own tunnel through the VPC's
    /// EC2 Instance Connect Endpoint); ssm (AWS's Session Manager command as ProxyCommand, keys
    /// verified by KnownHostsCommand; instance ids only)
    #[arg(
        long,
        value_enum,
        value_name = "WAY",
        default_value = "direct",
        conflicts_with = "proxy_command"
    )]
    pub via: SshConfigVia,
    /// With --via eice: the endpoint to use (default: the instance's subnet's, else its VPC's)
    #[arg(long, value_name = "ID")]
    pub eice_id: Option<String>,
    /// Also trust the host CA (`ca init`; its key file, default ~/.local/share/ec2-hostkey/host_ca)
    /// for the block's patterns: its @cert-authority line goes to ~/.ssh/ec2-hostkey_ca_known_hosts,
    /// which the block adds to UserKnownHostsFile; instances without a certificate still go
    /// through ec2-hostkey
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    pub ca: Option<Option<PathBuf>>,
    /// Your own carrier as ProxyCommand (a bastion's `ssh -W %h:%p bastion`, a corporate
    /// tunnel), written as is; ec2-hostkey verifies the key as KnownHostsCommand
    #[arg(long, value_name = "COMMAND", conflicts_with_all = ["mode", "fdpass"])]
    pub proxy_command: Option<String>,
}

/// `ssh-config --via`: the ways ssh can reach an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SshConfigVia {
    Direct,
    Eice,
    Ssm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SshConfigMode {
    Proxy,
    KnownHosts,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// known_hosts file to check (default: ~/.ssh/known_hosts)
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// ssh_config file to check the routing of EC2 hosts in (default: ssh's own)
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// The Systems Manager document to look for (as `--ssm-document` elsewhere)
    /// [default: ec2-hostkey-ReadHostKeys]
    #[arg(long, value_name = "NAME", env = "EC2_HOSTKEY_SSM_DOCUMENT")]
    pub ssm_document: Option<String>,
    /// Print a JSON report: {ok, checks: [{check, status, detail, fix}]}
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SeedArgs {
    #[command(subcommand)]
    pub action: Option<SeedAction>,
    #[command(flatten)]
    pub generate: SeedGenArgs,
}

#[derive(Debug, Subcommand)]
pub enum SeedAction {
    /// Link a seed to the instance launched with it (when it was not tagged)
    Bind { id: String, instance: String },
    /// Delete the S3 objects of seeds whose keys were never fetched through a connection
    Cleanup,
}

#[derive(Debug, Args)]
pub struct SeedGenArgs {
    /// Key types to generate (repeatable)
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub key_type: Vec<SeedKeyType>,
    /// User-data format
    #[arg(long, value_enum, default_value = "cloud-config")]
    pub format: SeedFormat,
    /// Put the private keys in a private S3 object (s3://bucket/prefix); user-data gets a presigned URL
    /// [default: the config file's seed_bucket, if set]
    #[arg(long, value_name = "S3_URL")]
    pub s3: Option<String>,
    /// Put the private keys in the user-data itself even when a seed_bucket is configured
    /// (readable by anyone with ec2:DescribeInstanceAttribute)
    #[arg(long, conflicts_with = "s3")]
    pub inline: bool,
    /// How long the presigned URL works (with --s3)
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub expires: Duration,
    /// Write the user-data to FILE (0600) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also sign the new keys with the host CA (`ca init`; its key file, default
    /// ~/.local/share/ec2-hostkey/host_ca) for the names given with --principal; cloud-init (or
    /// the script) installs the certificates
    #[arg(long, value_name = "FILE", num_args = 0..=1, requires = "principal")]
    pub ca: Option<Option<PathBuf>>,
    /// With --ca: a name the instance will answer to, known before launch (an Elastic IP, a DNS
    /// name you control) (repeatable). The instance's own id and addresses are not known yet:
    /// `certify` adds them once it runs
    #[arg(long, value_name = "NAME")]
    pub principal: Vec<String>,
    /// With --ca: how long the certificates are valid (at most 90d)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30d")]
    pub cert_validity: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedKeyType {
    Ed25519,
    Ecdsa,
    Rsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedFormat {
    CloudConfig,
    Script,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Report what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove orphaned entries (EC2 names no instance holds any more)
    #[arg(long)]
    pub prune: bool,
    /// Print a JSON report: {file, entries: [{line, names, hashed, status, instance, key}], fine, stale, orphaned, unverified, changed}
    #[arg(long)]
    pub json: bool,
    /// Also look for `[name]:PORT` entries on this port (repeatable; 22 always)
    #[arg(long, value_name = "PORT")]
    pub port: Vec<u16>,
}

#[derive(Debug, Args)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// List the lines that would be removed; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove `[name]:PORT` entries on this port (repeatable; 22 always)
    #[arg(long, value_name = "PORT")]
    pub port: Vec<u16>,
    /// Print a JSON report: {file, target, instance, names, dry_run, removed: [{line, text}]}
    #[arg(long)]
    pub json: bool,
    /// Instance id, Name tag, DNS name or IP
    pub target: String,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Add the verified keys to known_hosts (replacing stale entries for the same names)
    #[arg(long)]
    pub write: bool,
    /// Print JSON: [{target, instance, names, source, keys: [{type, key, fingerprint}]}]
    #[arg(long)]
    pub json: bool,
    /// The SSH port, for entry names and fingerprint probes
    #[arg(long, default_value_t = 22)]
    pub port: u16,
    /// How long to wait for a booting instance: while it is pending, then for its console output
    /// (e.g. 90s, 10m) [default: 0s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
    /// Instance ids, Name tags, DNS names or IPs
    #[arg(required = true)]
    pub targets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KnownHostsCmdArgs {
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// How long to wait for a booting instance: while it is pending, then for its console output
    /// (e.g. 90s, 10m) [default: 0s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
    /// The name ssh looks up, `host` or `[host]:port` (ssh's %H)
    pub host: String,
    /// The offered key's type, or NONE (ssh's %t)
    pub key_type: Option<String>,
    /// The offered key, base64, or NONE (ssh's %K)
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Where host keys may come from: auto (a proven seed, then the team store when a
    /// connection's key is checked, then the console output, then the team store for the
    /// other commands, then Systems Manager), or only one of them [default: auto]
    #[arg(long, value_enum)]
    pub source: Option<SourceArg>,
    /// The Systems Manager document that reads the host keys (`ec2-hostkey ssm-document`
    /// prints it); AWS-RunShellScript is used when it is missing or denied
    /// [default: ec2-hostkey-ReadHostKeys]
    #[arg(long, value_name = "NAME", env = "EC2_HOSTKEY_SSM_DOCUMENT")]
    pub ssm_document: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceArg {
    Auto,
    Seed,
    Store,
    Console,
    Ssm,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)
    #[arg(long)]
    pub no_cache: bool,
    /// How long a name's verified instance and address are reused without asking AWS [default: 1h]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub cache_ttl: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Hand ssh the connected socket after verification (needs `ProxyUseFdpass yes`)
    #[arg(long)]
    pub fdpass: bool,
    /// How bytes are carried once the key is verified: copy (one 1 MiB buffer per direction;
    /// the default, the fastest by measurement) or splice (Linux only, the kernel moves them)
    #[arg(long, value_enum, value_name = "RELAY")]
    pub relay: Option<RelayArg>,
    /// How long to wait for a booting instance: while it is pending, then for its console output
    /// (e.g. 90s, 10m) [default: 0s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
    #[command(flatten)]
    pub tunnel: TunnelArgs,
    /// Instance id, Name tag, public or private DNS name, or IP (ssh's %h)
    pub host: String,
    /// Port to connect to (ssh's %p)
    pub port: u16,
}

#[derive(Debug, Subcommand)]
pub enum CaAction {
    /// Make the CA's ed25519 key in a file only you can read (default: the tool's data directory)
    Init {
        /// Where to write the key (and FILE.pub) [default: ~/.local/share/ec2-hostkey/host_ca]
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        /// Use a key ssh-agent holds (a hardware token's, say) instead of making one: its private
        /// half never touches the disk, and certify signs through the agent (ssh-keygen -U)
        #[arg(long)]
        agent: bool,
        /// With --agent: which of the agent's keys (its .pub file or 'ssh-ed25519 AAAA…')
        /// [default: the agent's only key]
        #[arg(long, value_name = "KEY", requires = "agent")]
        key: Option<String>,
    },
    /// Print the @cert-authority line that trusts the CA for the fleet's names
    Show {
        #[command(flatten)]
        ca: CaFileArgs,
        /// More host patterns the CA is trusted for (repeatable), e.g. '10.*' to connect by private address
        #[arg(long, value_name = "PATTERN")]
        pattern: Vec<String>,
    },
    /// Revoke a key, or every key recorded for an instance id: an @revoked line in known_hosts,
    /// which ssh honours for plain keys and certificates alike, and certify never signs again
    Revoke {
        #[command(flatten)]
        file: KnownHostsArgs,
        #[command(flatten)]
        ca: CaFileArgs,
        /// An instance id (its recorded keys), or a public key: 'ssh-ed25519 AAAA…' or a .pub file
        what: String,
    },
}

#[derive(Debug, Args)]
pub struct CaFileArgs {
    /// The CA's private key [default: ~/.local/share/ec2-hostkey/host_ca]
    #[arg(long = "ca", value_name = "FILE")]
    pub path: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct CertifyArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub ca: CaFileArgs,
    /// How long each certificate is valid (e.g. 7d, 12h; at most 90d)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "7d")]
    pub validity: Duration,
    /// Also name the private DNS name and address in certificates. They repeat in every VPC with
    /// the same range: only where your clients reach no other VPC's instances at those addresses
    #[arg(long)]
    pub private_principals: bool,
    /// Sign what the sources vouch for when the instance's sshd cannot be asked from here (a
    /// private instance); by default certify signs only keys the live server presents
    #[arg(long)]
    pub allow_unreachable: bool,
    /// Write DIR/<instance-id>/ssh_host_<type>_key-cert.pub for each key (else print the certificates)
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    /// Print a JSON report
    #[arg(long)]
    pub json: bool,
    /// Install the certificates through Systems Manager with the tool's own document (see
    /// `ssm-document --certify`), then check that sshd presents them
    #[arg(long)]
    pub install: bool,
    /// The install document's name in your account
    #[arg(
        long,
        value_name = "NAME",
        default_value = "ec2-hostkey-InstallHostCertificates"
    )]
    pub install_document: String,
    /// The SSH port, for checking the live server
    #[arg(long, default_value_t = 22)]
    pub port: u16,
    /// How long to wait for a booting instance [default: 0s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
    /// Instance ids, Name tags, DNS names or addresses
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
}

/// How the instance is reached: `proxy` and `serve`.
#[derive(Debug, Args)]
pub struct TunnelArgs {
    /// How to reach the instance: direct (TCP to its address) or eice (through the EC2 Instance
    /// Connect Endpoint of its VPC, to its private address; ports 22 and 3389 only)
    #[arg(long, value_enum, value_name = "WAY", default_value = "direct")]
    pub via: ViaArg,
    /// With --via eice: the endpoint to use (default: the one in the instance's subnet, else
    /// the first ready in its VPC)
    #[arg(long, value_name = "ID")]
    pub eice_id: Option<String>,
    /// With --via eice: how long the endpoint keeps the tunnel open (1s to 1h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1h")]
    pub max_tunnel_duration: Duration,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub tunnel: TunnelArgs,
    /// Where to listen: IP:PORT, or a Unix socket path (repeatable) [default: the sockets systemd
    /// passes (LISTEN_FDS), else 127.0.0.1:1080]. An address off loopback needs --users
    #[arg(long, value_name = "ADDR|PATH")]
    pub listen: Vec<String>,
    /// The destination ports carried (repeatable); any other is refused [default: 22]
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,
    /// A file of user:password lines (yours alone, mode 600): clients must authenticate (SOCKS5
    /// RFC 1929, HTTP Proxy-Authorization: Basic)
    #[arg(long, value_name = "FILE")]
    pub users: Option<std::path::PathBuf>,
    /// Verify, but write nothing to known_hosts (the clients behind serve keep none)
    #[arg(long)]
    pub no_record: bool,
    /// Also record the name a client asked for when it is not one of EC2's own (a Name tag, an
    /// alias), as proxy does: for OpenSSH through nc -X by such a name. Only when every client of
    /// the listener is you: the client chooses what is written to your known_hosts
    #[arg(long)]
    pub record_aliases: bool,
    /// How long a client may take to say where it goes [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub handshake_timeout: Option<Duration>,
    /// End a connection after this long without a byte either way [default: never]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,
    /// On SIGTERM or SIGINT, stop accepting and let open connections finish for up to this
    /// long [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub drain: Option<Duration>,
    /// Connections served at once; more are closed at once, and logged [default: 400]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_connections: Option<u16>,
    /// The log line per connection: text, or json (one object per line) [default: text]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// How long to wait for a booting instance: while it is pending, then for its console output
    /// [default: 0s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct KnownHostsArgs {
    /// known_hosts file to update (default: the config file's, else ~/.ssh/known_hosts)
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Write hashed entries (default: when ssh's HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)
    #[arg(long)]
    pub hash: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameserver_takes_an_address_with_or_without_port() {
        assert_eq!(
            parse_nameserver("10.0.0.2").unwrap(),
            "10.0.0.2:53".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("[::1]:53").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert!(parse_nameserver("dns.example").is_err());
    }
}
