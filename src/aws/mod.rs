//! The AWS edge: the EC2, S3, Systems Manager and STS clients built from the standard AWS settings
//! chain, each API call the tool makes, and SDK errors turned into
//! [`crate::error::AwsError`]s that name the missing permission or setting.
//! Nothing above this layer touches the SDK.
//!
//! May import: `error`, `text`.

pub mod ec2;
pub mod eice;
pub mod s3;
pub mod shapes;
pub mod ssm;
pub mod sts;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use aws_sdk_ec2::config::SharedHttpClient;

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
}

/// The certificates of `AWS_CA_BUNDLE`, read and checked once.
#[derive(Debug, Clone)]
pub struct CaBundle {
    /// PEM, every certificate in it one rustls accepts as a root.
    pub pem: Arc<[u8]>,
}

impl CaBundle {
    /// Reads `path` and checks every certificate in it.
    ///
    /// # Errors
    /// Unreadable, holding no certificate, or a certificate that cannot be a
    /// root: said as a sentence fragment.
    pub fn load(path: &Path) -> Result<CaBundle, String> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let pem = std::fs::read(path).map_err(|e| format!("cannot read it ({e})"))?;
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

impl Config {
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
            loader = loader.profile_name(profile);
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
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(context)
            .build_https()
    }
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
