//! Every error that decides an exit code, in one place: its message (the
//! cause, then `; ` and the remedy), its [`remedy`](AwsError::remedy) (also
//! what `doctor` prints as the fix), and its exit code. The exit codes are
//! part of the interface (`--help`, README).
//!
//! The layers raise these; `main` prints `ec2-hostkey: error: <message>` and
//! exits with [`exit_code`]. Messages are pinned verbatim by
//! `tests/messages.rs`, so a changed message is a reviewed change.
//!
//! May import: nothing of the crate.

use std::io;
use std::path::PathBuf;

pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const NO_KEY: u8 = 4;
pub const MISMATCH: u8 = 5;
pub const AWS: u8 = 6;

/// Failures talking to AWS (EC2, S3).
#[derive(Debug, Clone, thiserror::Error)]
pub enum AwsError {
    #[error("no AWS region is configured; {}", self.remedy())]
    NoRegion,
    #[error("access denied: the caller needs {action} (AWS said: {message}); {}", self.remedy())]
    AccessDenied {
        action: &'static str,
        message: String,
    },
    #[error("AWS rejected the credentials ({message}); {}", self.remedy())]
    Credentials { message: String },
    #[error("no AWS credentials found ({detail}); {}", self.remedy())]
    NoCredentials { detail: String },
    #[error("AWS is throttling {action} (RequestLimitExceeded) even after retries; {}", self.remedy())]
    Throttled { action: &'static str },
    #[error("cannot reach AWS for {action} ({detail}); {}", self.remedy())]
    Unreachable {
        action: &'static str,
        detail: String,
    },
    #[error("{action} timed out even after retries; {}", self.remedy())]
    TimedOut { action: &'static str },
    #[error("will not ask AWS for {action} over plain HTTP at {host}: answers from across a network could be anyone's; {}", self.remedy())]
    PlainHttp { action: &'static str, host: String },
    #[error("cannot assume {role} for account {account}: {cause}")]
    RoleRefused {
        account: String,
        role: String,
        /// Why, with its own remedy.
        cause: Box<AwsError>,
        /// STS could not be reached or failed, rather than refused.
        transient: bool,
    },
    #[error("{action} failed: {code}: {message}; {}", self.remedy())]
    Api {
        action: &'static str,
        code: String,
        message: String,
    },
}

impl AwsError {
    pub fn remedy(&self) -> String {
        match self {
            AwsError::NoRegion => {
                "set AWS_REGION, pass --region, or set a region in your AWS profile".into()
            }
            AwsError::AccessDenied {
                action: "sts:AssumeRole",
                ..
            } => "let your credentials assume the role: sts:AssumeRole in their IAM policy, and them (with the entry's external_id, if the role asks for one) in the role's trust policy".into(),
            AwsError::AccessDenied { action, .. } => {
                format!("allow {action} in the IAM policy of the role or user in use")
            }
            AwsError::Credentials { .. } => {
                "refresh them (e.g. `aws sso login`) or check AWS_PROFILE / AWS_ACCESS_KEY_ID".into()
            }
            AwsError::NoCredentials { .. } => {
                "set AWS_PROFILE, run `aws configure`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                    .into()
            }
            AwsError::Throttled { .. } => "wait a moment and retry".into(),
            AwsError::Unreachable { .. } => {
                "check the network, AWS_ENDPOINT_URL, the region, and AWS_CA_BUNDLE if a proxy inspects TLS".into()
            }
            AwsError::TimedOut { .. } => {
                "the EC2 API is slow or unreachable, retry in a moment".into()
            }
            AwsError::Api { .. } => "retry in a moment, -vv shows the requests".into(),
            AwsError::RoleRefused { cause, .. } => cause.remedy(),
            AwsError::PlainHttp { .. } => {
                "give AWS_ENDPOINT_URL (or the profile's endpoint_url) as https:// (plain HTTP is taken only from this machine and link-local addresses)".into()
            }
        }
    }

    /// Transient failures exit 1; configuration, credentials and permissions exit 6.
    pub fn exit_code(&self) -> u8 {
        match self {
            AwsError::Unreachable { .. }
            | AwsError::Throttled { .. }
            | AwsError::TimedOut { .. }
            | AwsError::Api { .. }
            | AwsError::RoleRefused {
                transient: true, ..
            } => FAILURE,
            _ => AWS,
        }
    }
}

/// Failures finding the one running instance a target names.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error("no instance found for {target} in {regions}; {}", self.remedy())]
    NotFound { target: String, regions: String },
    #[error(
        "{target} matches {count} running instances ({ids}); names are compared without case, as ssh lowercases them, so {}",
        self.remedy()
    )]
    Ambiguous {
        target: String,
        count: usize,
        ids: String,
    },
    #[error("instance {id} is {state}; {remedy}")]
    NotRunning {
        id: String,
        state: String,
        remedy: &'static str,
    },
    #[error("instance {id} has no {side} address; {remedy}")]
    NoAddress {
        id: String,
        side: &'static str,
        remedy: &'static str,
    },
    #[error(
        "DNS says {name} is {addresses}, which no running instance in {regions} holds; DNS decides where {name} goes (as for plain ssh), so it is not looked up as a Name tag — {}",
        self.remedy()
    )]
    DnsNotAnInstance {
        name: String,
        addresses: String,
        regions: String,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A name or address found in one place while another could not be asked.
    #[error("{target} is {found}, but not every place could be asked, and it could hold {target} too: {why}; {}", self.remedy())]
    Incomplete {
        target: String,
        found: String,
        why: String,
    },
    /// An AWS failure in one of several configured accounts.
    #[error("account {account}: {error}")]
    InAccount { account: String, error: AwsError },
    #[error(transparent)]
    Dns(#[from] DnsError),
}

impl LocateError {
    pub fn remedy(&self) -> String {
        match self {
            LocateError::NotFound { .. } => "check the name, or pass --region (repeatable)".into(),
            LocateError::Ambiguous { .. } => {
                "say which one: connect by instance id, or narrow the search with --region or --account".into()
            }
            LocateError::NotRunning { remedy, .. } | LocateError::NoAddress { remedy, .. } => {
                (*remedy).into()
            }
            LocateError::DnsNotAnInstance { .. } => {
                "connect by instance id or Name tag instead".into()
            }
            LocateError::Incomplete { .. } => {
                "connect by instance id, or leave that account out with --account".into()
            }
            LocateError::Aws(e) | LocateError::InAccount { error: e, .. } => e.remedy(),
            LocateError::Dns(e) => e.remedy(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            LocateError::Aws(e) | LocateError::InAccount { error: e, .. } => e.exit_code(),
            LocateError::Dns(_) => FAILURE,
            LocateError::Incomplete { .. } => AWS,
            _ => NOT_FOUND,
        }
    }
}

/// Failures following a DNS alias.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("cannot read the system resolver configuration ({}); {}", .0, self.remedy())]
    Config(String),
    #[error("DNS lookup of {name} failed ({detail}); {}", self.remedy())]
    Lookup { name: String, detail: String },
}

impl DnsError {
    pub fn remedy(&self) -> String {
        match self {
            DnsError::Config(_) => {
                "pass --nameserver IP[:PORT] or set EC2_HOSTKEY_NAMESERVER".into()
            }
            DnsError::Lookup { .. } => "check the name and your resolver (--nameserver)".into(),
        }
    }
}

/// Why no trusted source vouches for the key in front of us.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(
        "console output of {id} is not available yet (it appears minutes after boot); {}",
        self.remedy()
    )]
    NotYet { id: String },
    #[error(
        "console output of {id} holds no SSH host key block (cloud-init prints it once, late in the first boot, and it scrolls out of the 64 KB console buffer); {}",
        self.remedy()
    )]
    NoKeyBlock { id: String },
    #[error(transparent)]
    Console(#[from] ConsoleError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "HOST KEY MISMATCH for {id}: the server at {address} presented {presented}, which {vouched_by} does not list (it lists {listed}); {}",
        self.remedy()
    )]
    Mismatch {
        id: String,
        vouched_by: String,
        address: String,
        presented: String,
        listed: String,
    },
    #[error("{id} is not managed by Systems Manager (DescribeInstanceInformation does not list it); {}", self.remedy())]
    SsmNotManaged { id: String },
    #[error("the Systems Manager agent of {id} is {status}, not Online; {}", self.remedy())]
    SsmOffline { id: String, status: String },
    #[error("the host-key read through Systems Manager ({document}) on {id} did not finish in time; {}", self.remedy())]
    SsmTimedOut { id: String, document: String },
    #[error("the host-key read through Systems Manager ({document}) on {id} ended {status}{detail}; {}", self.remedy())]
    SsmFailed {
        id: String,
        document: String,
        status: String,
        /// `: <what it printed>`, or empty.
        detail: String,
    },
    #[error(
        "Systems Manager may not run the host-key read on {id}: the document {document} {document_problem}, and ssm:SendCommand with AWS-RunShellScript is {fallback_problem}; {}",
        self.remedy()
    )]
    SsmDenied {
        id: String,
        document: String,
        document_problem: String,
        fallback_problem: String,
    },
    #[error("the host-key read through Systems Manager on {id} printed a line that is not a host key ({line}); {}", self.remedy())]
    SsmBadOutput { id: String, line: String },
    #[error(
        "the Systems Manager read of {id} lists none of the host keys verified earlier from its {earlier} source: a re-key, or a forged read (a process that can use the instance's credentials can answer for its agent), so nothing was written; {}",
        self.remedy()
    )]
    SsmContradicts { id: String, earlier: String },
    #[error("no trusted source vouches for {id}'s host keys; tried, in order: {tried}; {}", self.remedy())]
    NoSource { id: String, tried: String },
    #[error(
        "the server at {address} presented {what}, which your own known_hosts revokes ({path} line {line}: @revoked); nothing was written and the connection was refused; {}",
        self.remedy()
    )]
    Revoked {
        address: String,
        what: String,
        path: PathBuf,
        line: usize,
    },
    #[error(
        "{name} has moved: {recorded_in} recorded it for {from}, and it now leads to {to}; refused (--on-name-move refuse), nothing written; {}",
        self.remedy()
    )]
    NameMoved {
        name: String,
        from: String,
        to: String,
        /// Where the earlier instance was recorded: a known_hosts file, or the cache.
        recorded_in: String,
    },
    #[error("the team store {store} holds no record for {id}; {}", self.remedy())]
    NoStoreRecord { id: String, store: String },
}

impl KeysError {
    pub fn remedy(&self) -> String {
        match self {
            KeysError::NotYet { .. } => "retry with a longer wait, e.g. --wait 10m".into(),
            KeysError::NoKeyBlock { .. } => {
                "retry with --wait if the instance is still booting, or verify the key by hand"
                    .into()
            }
            KeysError::Console(e) => e.remedy().into(),
            KeysError::Aws(e) => e.remedy(),
            KeysError::Mismatch { .. } => {
                "this may be a man-in-the-middle attack, so nothing was written and the connection was refused"
                    .into()
            }
            KeysError::NameMoved { name, .. } => format!(
                "if the move is expected (an autoscaling replacement), accept it with `ec2-hostkey forget {name}` or --on-name-move accept for one run; else find out who launched or tagged the new instance"
            ),
            KeysError::Revoked { .. } => {
                "if the revocation is stale, delete that line; else the instance needs new host keys (or a certificate from a CA you trust)"
                    .into()
            }
            KeysError::SsmNotManaged { .. } => {
                "install and register the SSM agent (and an instance profile allowing it), or verify the key by hand"
                    .into()
            }
            KeysError::SsmOffline { .. } => {
                "check the agent on the instance and its route to Systems Manager, then retry".into()
            }
            KeysError::SsmTimedOut { .. } => "retry in a moment, or with a longer --wait".into(),
            KeysError::SsmFailed { .. } => {
                "the document must read /etc/ssh/ssh_host_*_key.pub as root (`ec2-hostkey ssm-document` prints one that does)"
                    .into()
            }
            KeysError::SsmDenied { document, .. } => format!(
                "create the read-only document (`ec2-hostkey ssm-document`, see docs/systems-manager.md) as {document} and allow ssm:SendCommand on it, or allow ssm:SendCommand on AWS-RunShellScript"
            ),
            KeysError::SsmBadOutput { .. } => {
                "nothing from it was trusted; check what the document runs".into()
            }
            KeysError::SsmContradicts { .. } => {
                "if the instance was re-keyed, check its keys by hand and accept them with --source ssm"
                    .into()
            }
            KeysError::NoStoreRecord { .. } => {
                "someone who can verify the instance publishes one (any verification with --store does; `ec2-hostkey sync --publish` does it for a fleet), or use another --source"
                    .into()
            }
            KeysError::NoSource { .. } => {
                "launch instances with seeded keys (ec2-hostkey seed), make them reachable by Systems Manager, or verify the key by hand"
                    .into()
            }
        }
    }

    /// Whether no source has the keys (yet): nothing was decided against
    /// the key, so KnownHostsCommand leaves the verdict to ssh's files.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            KeysError::NotYet { .. }
                | KeysError::NoKeyBlock { .. }
                | KeysError::NoSource { .. }
                | KeysError::NoStoreRecord { .. }
                | KeysError::SsmNotManaged { .. }
                | KeysError::SsmOffline { .. }
                | KeysError::SsmTimedOut { .. }
                | KeysError::Console(ConsoleError::Truncated)
        )
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            KeysError::Mismatch { .. }
            | KeysError::Revoked { .. }
            | KeysError::NameMoved { .. } => MISMATCH,
            KeysError::Console(e) => e.exit_code(),
            KeysError::Aws(e) => e.exit_code(),
            KeysError::SsmDenied { .. } => AWS,
            KeysError::SsmContradicts { .. } => MISMATCH,
            KeysError::NotYet { .. }
            | KeysError::NoKeyBlock { .. }
            | KeysError::SsmNotManaged { .. }
            | KeysError::SsmOffline { .. }
            | KeysError::SsmTimedOut { .. }
            | KeysError::SsmFailed { .. }
            | KeysError::SsmBadOutput { .. }
            | KeysError::NoSource { .. }
            | KeysError::NoStoreRecord { .. } => NO_KEY,
        }
    }
}

/// Console output that cannot be trusted as it stands.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsoleError {
    #[error("console output line {line}: host key does not parse ({reason}); {}", self.remedy())]
    BadKey { line: usize, reason: String },
    #[error("console output line {line}: fingerprint line does not parse; {}", self.remedy())]
    BadFingerprint { line: usize },
    #[error(
        "console output is self-contradictory: {reason}; this may be an attack by a program on the instance writing to its console, so nothing from it was trusted; {}",
        self.remedy()
    )]
    Contradictory { reason: String },
    #[error(
        "the newest boot's host key block in the console output is incomplete (cut off or still being written); {}",
        self.remedy()
    )]
    Truncated,
}

impl ConsoleError {
    pub fn remedy(&self) -> &'static str {
        match self {
            ConsoleError::BadKey { .. } | ConsoleError::BadFingerprint { .. } => {
                "the console may be corrupt, retry later or verify by hand"
            }
            ConsoleError::Contradictory { .. } => {
                "verify the host key by hand, or launch the instance with seeded keys (ec2-hostkey seed)"
            }
            ConsoleError::Truncated => "retry with --wait, or verify the host key by hand",
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            ConsoleError::Contradictory { .. } => MISMATCH,
            _ => NO_KEY,
        }
    }
}

/// Errors reading or writing a known_hosts file; each names the file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum KnownHostsError {
    // `error`, not `source`: the io error is part of the one line, not a
    // cause printed again after it.
    #[error("cannot read known_hosts file {path}: {error}; {}", self.remedy())]
    Read { path: PathBuf, error: io::Error },
    #[error("cannot write known_hosts file {path}: {error}; {}", self.remedy())]
    Write { path: PathBuf, error: io::Error },
    #[error("cannot lock {path}: {error}; {}", self.remedy())]
    Lock { path: PathBuf, error: io::Error },
    #[error("the directory {path} of the known_hosts file does not exist; {}", self.remedy())]
    MissingDir { path: PathBuf },
}

impl KnownHostsError {
    pub fn remedy(&self) -> &'static str {
        match self {
            KnownHostsError::Read { .. } => "check that it exists and is readable",
            KnownHostsError::Write { .. } => {
                "the file was left unchanged (check free space and that its directory is writable)"
            }
            KnownHostsError::Lock { .. } => "check that its directory is writable",
            KnownHostsError::MissingDir { .. } => "create it or pass another --known-hosts",
        }
    }
}

/// Failures reading the server's side of the SSH key exchange.
#[derive(Debug, thiserror::Error)]
pub enum KexError {
    #[error("the server closed the connection before sending its host key; {}", self.remedy())]
    Closed,
    #[error("the server does not speak SSH (no version line); {}", self.remedy())]
    NotSsh,
    #[error("the server disconnected during key exchange: {0}")]
    Disconnected(String),
    #[error("malformed SSH packet from the server during key exchange ({0})")]
    Malformed(&'static str),
    #[error(
        "the client and server agreed on the key-exchange method {0:?}, which carries the host key where ec2-hostkey cannot read it before the client does; offer curve25519-sha256 (or another ECDH, DH or hybrid method) first in the client"
    )]
    Unsupported(String),
    #[error("the client's key-exchange offer could not be read: {0}")]
    ClientOffer(String),
    #[error("network error during key exchange: {0}")]
    Io(#[from] io::Error),
}

impl KexError {
    pub fn remedy(&self) -> &'static str {
        match self {
            KexError::Closed => "is sshd running on that port?",
            KexError::NotSsh => "check the port",
            _ => "",
        }
    }
}

/// The config file cannot be used (exit 2, as a usage error).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {error}; {}", self.remedy())]
    Unreadable { path: PathBuf, error: String },
    #[error("the config file {path} cannot be trusted: {problem}")]
    Untrusted { path: PathBuf, problem: String },
    #[error("config file {path} line {line}: {message}; {}", self.remedy())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("config file {path} line {line}: {key} must be {expected}; {}", self.remedy())]
    Value {
        path: PathBuf,
        line: usize,
        key: &'static str,
        expected: &'static str,
    },
    #[error("config file {path} line {line}: this [[accounts]] entry {problem}; {}", self.remedy())]
    Account {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    #[error("{flag}: {problem}; {}", self.remedy())]
    Flag {
        flag: &'static str,
        problem: String,
        fix: &'static str,
    },
}

impl ConfigError {
    pub fn remedy(&self) -> &'static str {
        match self {
            ConfigError::Unreadable { .. } => "check its permissions, or move it aside",
            ConfigError::Untrusted { .. } => "make it yours and writable only by you",
            ConfigError::Syntax { .. }
            | ConfigError::Value { .. }
            | ConfigError::Account { .. } => {
                "fix the line or remove it (flags do not need the file)"
            }
            ConfigError::Flag { fix, .. } => fix,
        }
    }
}

/// Failures of an EC2 Instance Connect Endpoint tunnel (`--via eice`).
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("no EC2 Instance Connect Endpoint is ready in {vpc}, the VPC of {instance}; {}", self.remedy())]
    NoEndpoint {
        instance: String,
        vpc: String,
        subnet: String,
    },
    #[error("no EC2 Instance Connect Endpoint {id} is ready in {region}; {}", self.remedy())]
    NoSuchEndpoint { id: String, region: String },
    #[error("endpoint {id} is in {vpc}, but {instance} is in {instance_vpc}; {}", self.remedy())]
    OtherVpc {
        id: String,
        vpc: String,
        instance: String,
        instance_vpc: String,
    },
    #[error("instance {instance} has no VPC (EC2 did not say); {}", self.remedy())]
    NoVpc { instance: String },
    #[error("endpoint {id} has no FIPS DNS name, and FIPS endpoints are asked for (AWS_USE_FIPS_ENDPOINT or use_fips_endpoint); {}", self.remedy())]
    NoFipsName { id: String },
    #[error("the EIC Endpoint refused the tunnel's signature (AWS said: {message}); {}", self.remedy())]
    Signature { message: String },
    #[error("the EIC Endpoint says the tunnel's signature has expired (AWS said: {message}); {}", self.remedy())]
    Expired { message: String },
    #[error("the EIC Endpoint refused the tunnel: HTTP {status} (AWS said: {message}); {}", self.remedy())]
    Refused { status: u16, message: String },
    #[error("cannot reach the EIC Endpoint {host} ({detail}); {}", self.remedy())]
    Unreachable { host: String, detail: String },
    #[error("the EIC Endpoint closed the tunnel after {seconds} s, its maximum duration; {}", self.remedy())]
    MaxDuration { seconds: u32 },
    #[error("the EIC Endpoint closed the tunnel ({detail}); {}", self.remedy())]
    Closed { detail: String },
}

impl TunnelError {
    pub fn remedy(&self) -> String {
        match self {
            TunnelError::NoEndpoint { subnet, .. } => format!(
                "create one (once per VPC; it takes a few minutes): aws ec2 create-instance-connect-endpoint --subnet-id {subnet}"
            ),
            TunnelError::NoSuchEndpoint { .. } => {
                "check --eice-id and --region (aws ec2 describe-instance-connect-endpoints lists them), or leave --eice-id out".into()
            }
            TunnelError::NoVpc { .. } => "connect without --via eice".into(),
            TunnelError::OtherVpc { .. } => {
                "an endpoint reaches only its own VPC: leave --eice-id out, or name that VPC's endpoint".into()
            }
            TunnelError::NoFipsName { .. } => {
                "use an endpoint in a region with FIPS endpoints, or unset AWS_USE_FIPS_ENDPOINT".into()
            }
            TunnelError::Signature { .. } => {
                "check the credentials in use (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)".into()
            }
            TunnelError::Expired { .. } => {
                "the URL is signed for 60 s: check this machine's clock (timedatectl), then retry".into()
            }
            TunnelError::Refused { .. } => "retry in a moment".into(),
            TunnelError::Unreachable { .. } => {
                "check the network, --nameserver, and AWS_CA_BUNDLE if a proxy inspects TLS".into()
            }
            TunnelError::MaxDuration { .. } => format!(
                "reconnect, or raise --max-tunnel-duration (up to {} s)",
                crate::error::MAX_TUNNEL_SECONDS
            ),
            TunnelError::Closed { .. } => "reconnect".into(),
        }
    }

    /// Setup problems exit 3 (no endpoint) or 6 (credentials); a tunnel that fails or ends exits 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            TunnelError::NoEndpoint { .. } | TunnelError::NoSuchEndpoint { .. } => NOT_FOUND,
            TunnelError::NoVpc { .. }
            | TunnelError::OtherVpc { .. }
            | TunnelError::NoFipsName { .. } => USAGE,
            TunnelError::Signature { .. } | TunnelError::Expired { .. } => AWS,
            _ => FAILURE,
        }
    }
}

/// The longest tunnel an EIC Endpoint allows (seconds), and `--max-tunnel-duration`'s ceiling.
pub const MAX_TUNNEL_SECONDS: u32 = 3600;

/// `sync`: some instances could not be verified; the rest were recorded.
#[derive(Debug, thiserror::Error)]
#[error(
    "{count} instance(s) could not be verified (listed above); the others were recorded — retry later, or with --wait for fresh instances"
)]
pub struct SyncIncomplete {
    pub count: usize,
}

/// `sync`: configured accounts that could not be asked.
#[derive(Debug, thiserror::Error)]
#[error(
    "{count} account(s) could not be asked (said above); the others' instances were synced — fix the role or profile, or leave the account out with --account"
)]
pub struct AccountsSkipped {
    pub count: usize,
}

/// `sync`: a presented key was not the one the console vouches for.
#[derive(Debug, thiserror::Error)]
#[error(
    "HOST KEY MISMATCH on {count} instance(s) (listed above): a live server presented a key its console does not list; nothing was written for them"
)]
pub struct SyncMismatches {
    pub count: usize,
}

/// `sync --publish`: objects squat where records go (each listed above).
#[derive(Debug, thiserror::Error)]
#[error(
    "{count} record(s) could not be published: their place in the team store holds something else (listed above), so the bucket has a writer you did not expect; find out who, remove the objects, and restrict writes with the bucket policy in docs/team-store.md"
)]
pub struct StoreConflicts {
    pub count: usize,
}

/// `certify --install`: the certificates could not be put in place (exit 1,
/// or the cause's own code when it is an API error).
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "cannot install certificates on {id}: the Systems Manager document {document} {problem}; create it with `ec2-hostkey ssm-document --certify > install.json && aws ssm create-document --name {document} --document-type Command --content file://install.json`"
    )]
    Document {
        id: String,
        document: String,
        problem: String,
    },
    #[error(
        "installing certificates on {id} ended {status}{detail}; the certificates were signed and written, and nothing on the instance changed unless the agent's output says so"
    )]
    Failed {
        id: String,
        status: String,
        detail: String,
    },
    #[error(
        "installed certificates on {id}, but its sshd still presents {presented}; check that sshd_config includes /etc/ssh/sshd_config.d/*.conf"
    )]
    NotPresented { id: String, presented: String },
}

/// `doctor`: some checks failed (each printed with its fix).
#[derive(Debug, thiserror::Error)]
#[error("{0} check(s) failed; apply the fixes above and run `ec2-hostkey doctor` again")]
pub struct ChecksFailed(pub usize);

/// The exit code for the first typed error in the chain (1 for any other).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<SyncMismatches>() || cause.is::<StoreConflicts>() {
            return MISMATCH;
        }
        if cause.is::<SyncIncomplete>() {
            return NO_KEY;
        }
        if cause.is::<AccountsSkipped>() {
            return AWS;
        }
        if cause.is::<ConfigError>() {
            return USAGE;
        }
        if let Some(e) = cause.downcast_ref::<KeysError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<ConsoleError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<LocateError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<AwsError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<TunnelError>() {
            return e.exit_code();
        }
        if cause.is::<KnownHostsError>() || cause.is::<KexError>() || cause.is::<DnsError>() {
            return FAILURE;
        }
    }
    FAILURE
}
