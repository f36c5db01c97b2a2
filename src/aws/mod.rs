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

use anyhow::{Context, Result};

/// Which account and regions to talk to: `--region` (repeatable, searched in
/// order) and `--profile` on top of the standard chain (AWS_REGION,
/// AWS_PROFILE, `~/.aws/config`, AWS_ENDPOINT_URL_<SERVICE>, AWS_CA_BUNDLE).
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub regions: Vec<String>,
    pub profile: Option<String>,
    /// `AWS_CA_BUNDLE`: certificates to trust beside the system's, for the
    /// connections the tool makes itself (the EIC Endpoint's websocket).
    pub ca_bundle: Option<std::path::PathBuf>,
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
        loader
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
