//! Every user-facing error message, pinned verbatim with its exit code: a
//! changed message shows up as a snapshot diff in review. The typed errors
//! are built here one variant at a time; the messages only the binary can
//! produce without AWS are run through it.

use std::io;
use std::path::PathBuf;

use ec2_hostkey::error::{
    AccountsSkipped, AwsError, ChecksFailed, ConfigError, ConsoleError, DnsError, KexError,
    KeysError, KnownHostsError, LocateError, SyncIncomplete, SyncMismatches, TunnelError,
    exit_code,
};

use super::{bin, run, stderr};

/// `exit N: message`, as `main` would print it, plus the remedy on its own line.
fn shown(err: impl Into<anyhow::Error>, remedy: &str) -> String {
    let err = err.into();
    format!("exit {}: {err:#}\nremedy: {remedy}", exit_code(&err))
}

fn denied() -> AwsError {
    AwsError::AccessDenied {
        action: "ec2:GetConsoleOutput",
        message: "You are not authorized to perform this operation.".into(),
    }
}

#[test]
fn aws_errors() {
    let cases: Vec<(&str, AwsError)> = vec![
        ("aws_no_region", AwsError::NoRegion),
        ("aws_access_denied", denied()),
        (
            "aws_credentials",
            AwsError::Credentials {
                message: "ExpiredToken: The security token included in the request is expired"
                    .into(),
            },
        ),
        (
            "aws_no_credentials",
            AwsError::NoCredentials {
                detail: "the credential provider was not enabled".into(),
            },
        ),
        (
            "aws_throttled",
            AwsError::Throttled {
                action: "ec2:DescribeInstances",
            },
        ),
        (
            "aws_unreachable",
            AwsError::Unreachable {
                action: "ec2:DescribeInstances",
                detail: "dispatch failure: io error: Connection refused".into(),
            },
        ),
        (
            "aws_plain_http",
            AwsError::PlainHttp {
                action: "ec2:DescribeInstances",
                host: "10.0.0.5".into(),
            },
        ),
        (
            "aws_timed_out",
            AwsError::TimedOut {
                action: "ec2:GetConsoleOutput",
            },
        ),
        (
            "aws_api",
            AwsError::Api {
                action: "ec2:DescribeInstances",
                code: "InternalError".into(),
                message: "An internal error has occurred".into(),
            },
        ),
        (
            "aws_role_refused",
            AwsError::RoleRefused {
                account: "prod (111111111111)".into(),
                role: "arn:aws:iam::111111111111:role/ec2-hostkey".into(),
                cause: Box::new(AwsError::AccessDenied {
                    action: "sts:AssumeRole",
                    message: "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/ec2-hostkey".into(),
                }),
                transient: false,
            },
        ),
        (
            "aws_role_unreachable",
            AwsError::RoleRefused {
                account: "prod (111111111111)".into(),
                role: "arn:aws:iam::111111111111:role/ec2-hostkey".into(),
                cause: Box::new(AwsError::Unreachable {
                    action: "sts:AssumeRole",
                    detail: "dispatch failure: io error: Connection refused".into(),
                }),
                transient: true,
            },
        ),
    ];
    for (name, err) in cases {
        let remedy = err.remedy();
        insta::assert_snapshot!(name, shown(err, &remedy));
    }
}

#[test]
fn tunnel_errors() {
    let cases: Vec<(&str, TunnelError)> = vec![
        (
            "tunnel_no_endpoint",
            TunnelError::NoEndpoint {
                instance: "i-0aaaaaaaaaaaaaaaa".into(),
                vpc: "vpc-0123456789abcdef0".into(),
                subnet: "subnet-0123456789abcdef0".into(),
            },
        ),
        (
            "tunnel_no_such_endpoint",
            TunnelError::NoSuchEndpoint {
                id: "eice-0123456789abcdef0".into(),
                region: "us-east-1".into(),
            },
        ),
        (
            "tunnel_no_vpc",
            TunnelError::NoVpc {
                instance: "i-0aaaaaaaaaaaaaaaa".into(),
            },
        ),
        (
            "tunnel_other_vpc",
            TunnelError::OtherVpc {
                id: "eice-0123456789abcdef0".into(),
                vpc: "vpc-0aaaaaaaaaaaaaaaa".into(),
                instance: "i-0aaaaaaaaaaaaaaaa".into(),
                instance_vpc: "vpc-0bbbbbbbbbbbbbbbb".into(),
            },
        ),
        (
            "tunnel_no_fips_name",
            TunnelError::NoFipsName {
                id: "eice-0123456789abcdef0".into(),
            },
        ),
        (
            "tunnel_signature",
            TunnelError::Signature {
                message: "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.".into(),
            },
        ),
        (
            "tunnel_expired",
            TunnelError::Expired {
                message: "Signature expired: 20261127T000000Z is now earlier than 20261127T000200Z".into(),
            },
        ),
        (
            "tunnel_refused",
            TunnelError::Refused {
                status: 503,
                message: "Service Unavailable".into(),
            },
        ),
        (
            "tunnel_unreachable",
            TunnelError::Unreachable {
                host: "eice-0123456789abcdef0.1a2b3c4d.ec2-instance-connect-endpoint.us-east-1.amazonaws.com".into(),
                detail: "invalid peer certificate: UnknownIssuer".into(),
            },
        ),
        ("tunnel_max_duration", TunnelError::MaxDuration { seconds: 3600 }),
        (
            "tunnel_closed",
            TunnelError::Closed {
                detail: "code 1011: Tunnel closed by the service".into(),
            },
        ),
    ];
    for (name, err) in cases {
        let remedy = err.remedy();
        insta::assert_snapshot!(name, shown(err, &remedy));
    }
}

#[test]
fn locate_errors() {
    let cases: Vec<(&str, LocateError)> = vec![
        (
            "locate_not_found",
            LocateError::NotFound {
                target: "Name tag web-1".into(),
                regions: "us-east-1".into(),
            },
        ),
        (
            "locate_ambiguous",
            LocateError::Ambiguous {
                target: "Name tag web".into(),
                count: 2,
                ids: "i-0aaaaaaaaaaaaaaaa in us-east-1, i-0bbbbbbbbbbbbbbbb in eu-west-1".into(),
            },
        ),
        (
            "locate_not_running",
            LocateError::NotRunning {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                state: "stopped".into(),
                remedy: "start it first (aws ec2 start-instances)",
            },
        ),
        (
            "locate_no_address",
            LocateError::NoAddress {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                side: "public",
                remedy: "connect over its private address with --address private",
            },
        ),
        (
            "locate_dns_not_an_instance",
            LocateError::DnsNotAnInstance {
                name: "web.example.com".into(),
                addresses: "203.0.113.9".into(),
                regions: "us-east-1".into(),
            },
        ),
        ("locate_aws", LocateError::Aws(denied())),
        (
            "locate_in_account",
            LocateError::InAccount {
                account: "staging (222222222222)".into(),
                error: AwsError::AccessDenied {
                    action: "ec2:DescribeInstances",
                    message: "You are not authorized to perform this operation.".into(),
                },
            },
        ),
        (
            "locate_dns",
            LocateError::Dns(DnsError::Lookup {
                name: "web.example.com".into(),
                detail: "no answer within 5s".into(),
            }),
        ),
        (
            "locate_dns_config",
            LocateError::Dns(DnsError::Config("no nameservers".into())),
        ),
    ];
    for (name, err) in cases {
        let remedy = err.remedy();
        insta::assert_snapshot!(name, shown(err, &remedy));
    }
}

#[test]
fn key_errors() {
    let cases: Vec<(&str, KeysError)> = vec![
        (
            "keys_not_yet",
            KeysError::NotYet {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
            },
        ),
        (
            "keys_no_key_block",
            KeysError::NoKeyBlock {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
            },
        ),
        (
            "keys_mismatch",
            KeysError::Mismatch {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                vouched_by: "the instance's console output".into(),
                address: "203.0.113.9".into(),
                presented: "ED25519 SHA256:AAAA".into(),
                listed: "ED25519 SHA256:BBBB".into(),
            },
        ),
        (
            "keys_revoked",
            KeysError::Revoked {
                address: "203.0.113.9".into(),
                what: "a certificate signed by the CA SHA256:CCCC".into(),
                path: "/home/u/.ssh/known_hosts".into(),
                line: 3,
            },
        ),
        (
            "keys_name_moved",
            KeysError::NameMoved {
                name: "web-1".into(),
                from: "i-0aaaaaaaaaaaaaaaa".into(),
                to: "i-0bbbbbbbbbbbbbbbb".into(),
                recorded_in: "/home/u/.ssh/known_hosts".into(),
            },
        ),
        ("keys_aws", KeysError::Aws(denied())),
        (
            "console_bad_key",
            KeysError::Console(ConsoleError::BadKey {
                line: 12,
                reason: "invalid base64".into(),
            }),
        ),
        (
            "console_bad_fingerprint",
            KeysError::Console(ConsoleError::BadFingerprint { line: 7 }),
        ),
        (
            "console_contradictory",
            KeysError::Console(ConsoleError::Contradictory {
                reason: "a second KEYS block lists other keys".into(),
            }),
        ),
        (
            "console_truncated",
            KeysError::Console(ConsoleError::Truncated),
        ),
        (
            "ssm_not_managed",
            KeysError::SsmNotManaged {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
            },
        ),
        (
            "ssm_offline",
            KeysError::SsmOffline {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                status: "ConnectionLost".into(),
            },
        ),
        (
            "ssm_timed_out",
            KeysError::SsmTimedOut {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                document: "ec2-hostkey-ReadHostKeys".into(),
            },
        ),
        (
            "ssm_failed",
            KeysError::SsmFailed {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                document: "AWS-RunShellScript".into(),
                status: "Failed".into(),
                detail: ": cat: /etc/ssh/ssh_host_ed25519_key.pub: Permission denied".into(),
            },
        ),
        (
            "ssm_denied",
            KeysError::SsmDenied {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                document: "ec2-hostkey-ReadHostKeys".into(),
                document_problem: "does not exist".into(),
                fallback_problem: "denied (AWS said: not authorized)".into(),
            },
        ),
        (
            "ssm_bad_output",
            KeysError::SsmBadOutput {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                line: "hello".into(),
            },
        ),
        (
            "ssm_contradicts",
            KeysError::SsmContradicts {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                earlier: "console-keys".into(),
            },
        ),
        (
            "no_source",
            KeysError::NoSource {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                tried: "console (…), then Systems Manager (…)".into(),
            },
        ),
        (
            "no_store_record",
            KeysError::NoStoreRecord {
                id: "i-0aaaaaaaaaaaaaaaa".into(),
                store: "s3://team-hostkeys/prod".into(),
            },
        ),
    ];
    for (name, err) in cases {
        let remedy = err.remedy();
        insta::assert_snapshot!(name, shown(err, &remedy));
    }
}

#[test]
fn file_network_and_summary_errors() {
    let path = PathBuf::from("/home/me/.ssh/known_hosts");
    let denied = || io::Error::from(io::ErrorKind::PermissionDenied);
    let files: Vec<(&str, KnownHostsError)> = vec![
        (
            "known_hosts_read",
            KnownHostsError::Read {
                path: path.clone(),
                error: denied(),
            },
        ),
        (
            "known_hosts_write",
            KnownHostsError::Write {
                path: path.clone(),
                error: io::Error::from(io::ErrorKind::StorageFull),
            },
        ),
        (
            "known_hosts_lock",
            KnownHostsError::Lock {
                path: path.clone(),
                error: denied(),
            },
        ),
        (
            "known_hosts_missing_dir",
            KnownHostsError::MissingDir {
                path: PathBuf::from("/home/me/.ssh"),
            },
        ),
    ];
    for (name, err) in files {
        let remedy = err.remedy();
        insta::assert_snapshot!(name, shown(err, remedy));
    }
    let kex: Vec<(&str, KexError)> = vec![
        ("kex_closed", KexError::Closed),
        ("kex_not_ssh", KexError::NotSsh),
        (
            "kex_disconnected",
            KexError::Disconnected("Too many authentication failures".into()),
        ),
        ("kex_malformed", KexError::Malformed("packet length")),
    ];
    for (name, err) in kex {
        let remedy = err.remedy();
        insta::assert_snapshot!(name, shown(err, remedy));
    }
    let config: Vec<(&str, ConfigError)> = vec![
        (
            "config_unreadable",
            ConfigError::Unreadable {
                path: PathBuf::from("/home/me/.config/ec2-hostkey/config.toml"),
                error: "Permission denied (os error 13)".into(),
            },
        ),
        (
            "config_untrusted",
            ConfigError::Untrusted {
                path: PathBuf::from("/home/me/.config/ec2-hostkey/config.toml"),
                problem: "it is group- or world-writable (mode 666); chmod 600 it".into(),
            },
        ),
        (
            "config_syntax",
            ConfigError::Syntax {
                path: PathBuf::from("/home/me/.config/ec2-hostkey/config.toml"),
                line: 4,
                message: "invalid string\nexpected `\"`, `'`".into(),
            },
        ),
        (
            "config_value",
            ConfigError::Value {
                path: PathBuf::from("/home/me/.config/ec2-hostkey/config.toml"),
                line: 2,
                key: "address",
                expected: "auto, public or private",
            },
        ),
        (
            "config_account",
            ConfigError::Account {
                path: PathBuf::from("/home/me/.config/ec2-hostkey/config.toml"),
                line: 7,
                problem: "says id 222222222222, but its role_arn is in account 111111111111".into(),
            },
        ),
    ];
    for (name, err) in config {
        let remedy = err.remedy();
        insta::assert_snapshot!(name, shown(err, remedy));
    }
    insta::assert_snapshot!(
        "sync_incomplete",
        shown(SyncIncomplete { count: 3 }, "(in the message)")
    );
    insta::assert_snapshot!(
        "sync_mismatches",
        shown(SyncMismatches { count: 1 }, "(in the message)")
    );
    insta::assert_snapshot!("doctor_failed", shown(ChecksFailed(2), "(in the message)"));
    insta::assert_snapshot!(
        "sync_accounts_skipped",
        shown(AccountsSkipped { count: 1 }, "(in the message)")
    );
}

/// What the binary prints, as one line, with the temp dir's path replaced.
fn error_line(home: &std::path::Path, out: &std::process::Output) -> String {
    format!(
        "exit {}: {}",
        out.status.code().unwrap_or(-1),
        stderr(out)
            .trim_end()
            .replace(&home.display().to_string(), "$HOME")
    )
}

#[test]
fn binary_without_a_region() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["fetch", "i-0123456789abcdef0"]);
    insta::assert_snapshot!("binary_no_region", error_line(home.path(), &out));
}

#[test]
fn binary_with_an_unreachable_endpoint() {
    let home = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let out = bin(home.path())
        .args(["fetch", "i-0123456789abcdef0"])
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let line = error_line(home.path(), &out);
    // The SDK's own wording of the refusal varies between versions: pin ours around it.
    let (head, tail) = line.split_once(" (").unwrap();
    let (_, tail) = tail.rsplit_once("); ").unwrap();
    insta::assert_snapshot!("binary_unreachable", format!("{head} (…); {tail}"));
}

#[test]
fn binary_with_an_unreadable_known_hosts() {
    let home = tempfile::tempdir().unwrap();
    // A directory where the file should be: read before any AWS call.
    let out = run(
        home.path(),
        &["repair", "--known-hosts", home.path().to_str().unwrap()],
    );
    insta::assert_snapshot!(
        "binary_repair_unreadable_file",
        error_line(home.path(), &out)
    );
}

#[test]
fn binary_rejects_a_malformed_s3_url_and_keeps_no_seed() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["seed", "--s3", "bucket/prefix"]);
    insta::assert_snapshot!("binary_seed_bad_s3_url", error_line(home.path(), &out));
    let seeds = home.path().join(".local/share/ec2-hostkey/seeds");
    assert_eq!(std::fs::read_dir(seeds).unwrap().count(), 0);
}
