//! The AWS edge: the EC2, S3, Systems Manager and STS clients built from the standard AWS settings
//! chain, each API call the tool makes, and SDK errors turned into
//! [`crate::error::AwsError`]s that name the missing permission or setting.
//! Nothing above this layer touches the SDK.
//!
//! May import: `error`, `text`.

pub mod ec2;
pub mod eice;
pub mod role;
pub mod s3;
pub mod shapes;
pub mod ssm;
pub mod sts;

use std::sync::Arc;

use anyhow::{Context, Result};
use aws_sdk_ec2::config::SharedHttpClient;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;

/// Which account and regions to talk to: `--region` (repeatable, searched in
/// order) and `--profile` on top of the standard chain (AWS_REGION,
/// AWS_PROFILE, `~/.aws/config`, AWS_ENDPOINT_URL_<SERVICE>, AWS_CA_BUNDLE).
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub regions: Vec<String>,
    pub profile: Option<String>,
    /// `AWS_CA_BUNDLE`: certificates to trust beside the system's, for the
    /// AWS API and the EIC Endpoint's websocket.
    pub ca_bundle: Option<CaBundle>,
    /// `--store-owner`: the account that must own the team store's and the
    /// seeds' buckets (every S3 request carries it as ExpectedBucketOwner);
    /// `None`: the caller's own account.
    pub bucket_owner: Option<String>,
    /// The `[[accounts]]` entry these settings reach; `None`: the account
    /// of the credentials themselves (no accounts configured).
    pub account: Option<Arc<role::Account>>,
    /// Where assumed-role credentials are kept between processes.
    pub role_memo: Option<Arc<dyn role::RoleMemo>>,
}

/// Whose credentials assume a role, for the key its credentials are kept
/// under: the profile, the config files, the STS endpoint, and every
/// environment variable that chooses base credentials (the access key id, a
/// digest of the session token, a web identity's role and token file, a
/// container's credentials endpoint) — another login, a rotated key or
/// another CI job's role gets a key of its own. Stable inputs only: asking
/// the credentials themselves would give a new session (and key) each time
/// for a base that is itself an assumed role.
pub(crate) fn base_scope(config: &Config) -> String {
    use sha2::Digest;
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let profile = config.profile.clone().unwrap_or_else(|| env("AWS_PROFILE"));
    let token = sha2::Sha256::digest(env("AWS_SESSION_TOKEN").as_bytes());
    let token: String = token.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let endpoint = match env("AWS_ENDPOINT_URL_STS") {
        e if e.is_empty() => env("AWS_ENDPOINT_URL"),
        e => e,
    };
    let mut scope = format!("profile={profile} endpoint={endpoint} session={token}");
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ] {
        scope.push_str(&format!(" {name}={}", env(name)));
    }
    scope
}

/// The certificates of `AWS_CA_BUNDLE`, read and checked once.
#[derive(Debug, Clone)]
pub struct CaBundle {
    /// PEM, every certificate in it one rustls accepts as a root.
    pub pem: Arc<[u8]>,
}

impl CaBundle {
    /// Checks every certificate in `pem`, as the SDK's client will take
    /// them (it panics on one it cannot parse).
    ///
    /// # Errors
    /// Not PEM, holding no certificate, or a certificate that cannot be a
    /// root: said as a sentence fragment.
    pub fn parse(pem: Vec<u8>) -> Result<CaBundle, String> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("it is not PEM ({e})"))?;
        if certs.is_empty() {
            return Err("it holds no PEM certificate".into());
        }
        let mut roots = rustls::RootCertStore::empty();
        for (n, cert) in certs.into_iter().enumerate() {
            roots
                .add(cert)
                .map_err(|e| format!("certificate {} in it cannot be used ({e})", n + 1))?;
        }
        Ok(CaBundle { pem: pem.into() })
    }
}

/// The settings of the configured account labelled `label` (an instance's
/// [`ec2::Instance::account_name`]), else the first of `accounts`.
///
/// # Panics
/// `accounts` is empty (settings always hold one).
pub fn of_account<'a>(accounts: &'a [Config], label: Option<&str>) -> &'a Config {
    accounts
        .iter()
        .find(|c| c.account_label().as_deref() == label)
        .or(accounts.first())
        .expect("at least one account")
}

impl Config {
    /// The account's label for messages (`name (id)`), if it is a configured one.
    pub fn account_label(&self) -> Option<String> {
        self.account.as_deref().map(role::Account::label)
    }

    /// The first region given, if any (commands that work in one region).
    pub fn first_region(&self) -> Option<&str> {
        self.regions.first().map(String::as_str)
    }

    /// The standard settings chain for `region`, with the profile on top.
    pub fn loader(&self, region: Option<&str>) -> aws_config::ConfigLoader {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_string()));
        }
        if let Some(profile) = &self.profile {
            // A profile given explicitly (--profile, the config file, an
            // [[accounts]] entry) is that profile's credentials, as the AWS
            // CLI's --profile: the default chain would take keys from the
            // environment first and reach another account silently.
            let provider_config = aws_config::provider_config::ProviderConfig::default()
                .with_http_client(self.https_client())
                .with_region(region.map(|r| aws_config::Region::new(r.to_string())));
            let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(profile)
                .build();
            loader = loader
                .profile_name(profile)
                .credentials_provider(credentials);
        }
        loader.http_client(self.https_client())
    }

    /// The SDK's HTTPS client: rustls on ring, not the SDK's default
    /// aws-lc, which seeds its random generator from CPU jitter on first use
    /// (40 ms of CPU measured here, paid by every cold connection). Trusts
    /// the system's roots plus `AWS_CA_BUNDLE`'s, as the AWS CLI does.
    fn https_client(&self) -> SharedHttpClient {
        use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
        let mut roots = tls::TrustStore::default();
        if let Some(bundle) = &self.ca_bundle {
            roots.add_pem_certificate(bundle.pem.to_vec());
        }
        let context = tls::TlsContext::builder()
            .with_trust_store(roots)
            .build()
            .expect("a trust store of checked certificates");
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(context)
            .build_https();
        http_client_fn(move |settings, components| {
            SharedHttpConnector::new(NoPlainHttp(https.http_connector(settings, components)))
        })
    }
}

/// The SDK's connector, refusing plain HTTP except to this machine or the
/// instance's own services (IMDS, ECS and EKS credentials): an answer over
/// plain HTTP from across a network could be anyone's, and the API's
/// answers vouch for host keys.
#[derive(Debug)]
struct NoPlainHttp(SharedHttpConnector);

impl HttpConnector for NoPlainHttp {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match request.uri().strip_prefix("http://").map(authority_host) {
            Some(host) if !on_this_link(host) => {
                let refused = PlainHttp {
                    host: host.to_string(),
                };
                HttpConnectorFuture::ready(Err(ConnectorError::user(Box::new(refused))))
            }
            _ => self.0.call(request),
        }
    }
}

/// The host of `host[:port]/…` (an IPv6 address without its brackets).
fn authority_host(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    }
}

/// The instance's own services over IPv6, which AWS serves from unique
/// local addresses: the instance metadata service and EKS Pod Identity.
const AWS_LOCAL_V6: [std::net::Ipv6Addr; 2] = [
    std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
    std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23),
];

/// Loopback, link-local, `localhost`, or the instance's own services.
fn on_this_link(host: &str) -> bool {
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.is_link_local(),
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.is_unicast_link_local() || AWS_LOCAL_V6.contains(&ip)
        }
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// A plain-HTTP endpoint across a network, refused before any byte is sent.
#[derive(Debug, thiserror::Error)]
#[error("plain HTTP to {host} refused")]
pub struct PlainHttp {
    pub host: String,
}

/// Runs the AWS part of a command to completion on a single-threaded
/// runtime: the SDK's futures need one, nothing else does.
///
/// # Errors
/// The future's error, or the runtime could not start.
pub fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_beyond_this_link() {
        for (url, local) in [
            ("127.0.0.1:4566/", true),
            ("localhost:4566", true),
            ("169.254.169.254/latest/api/token", true),
            ("[::1]:80/", true),
            ("[fe80::1]/", true),
            ("[fd00:ec2::254]/latest/api/token", true),
            ("[fd00:ec2::23]/v1/credentials", true),
            ("[fd00:ec2::1]/", false),
            ("ec2.us-east-1.amazonaws.com/", false),
            ("10.0.0.5:80/", false),
            ("127.0.0.1.evil.example/", false),
            ("user@10.0.0.5/", false),
            ("[2001:db8::1]:80/", false),
        ] {
            assert_eq!(on_this_link(authority_host(url)), local, "{url}");
        }
    }
}
