//! The AWS SDK at the edge: building the EC2 client from the standard
//! settings, DescribeInstances and GetConsoleOutput, and turning SDK errors
//! into messages that name the missing permission or setting.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, Instance as SdkInstance};
use base64::Engine;
use std::time::Duration;

/// The instance tag `seed` prints for a seeded launch. It only ever names
/// which seed to look for; the binding is proven by the user-data.
pub const SEED_TAG: &str = "ec2-hostkey:seed";

/// What we need to know about an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    pub state: String,
    pub name: Option<String>,
    pub public_ip: Option<String>,
    pub public_dns: Option<String>,
    pub private_ip: Option<String>,
    pub private_dns: Option<String>,
    /// The `ec2-hostkey:seed` tag: a hint only (anyone who may tag can set it).
    pub seed: Option<String>,
    /// The region the instance lives in.
    pub region: String,
    /// Which of its addresses we connect to and record (`--address`).
    pub side: Side,
    /// When it was launched (seconds since the epoch), if EC2 said.
    pub launched_at: Option<i64>,
    /// The account that owns it (its reservation's owner), if EC2 said.
    pub account: Option<String>,
    /// The configured account it was found through (`name (id)`), if any.
    pub account_name: Option<String>,
    /// Its VPC and subnet (where an EC2 Instance Connect Endpoint must be).
    pub vpc: Option<String>,
    pub subnet: Option<String>,
}

/// An instance's public or private address and DNS name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Public,
    Private,
}

impl Instance {
    /// The address to connect to, on the chosen side.
    pub fn address(&self) -> Option<&str> {
        match self.side {
            Side::Public => self.public_ip.as_deref(),
            Side::Private => self.private_ip.as_deref(),
        }
    }

    /// EC2's own names for the instance, which no one else can hold: its id
    /// (assigned by AWS, never reused), and the public DNS name and public
    /// IP AWS assigned it while it runs, when it has them.
    pub fn public_names(&self) -> impl Iterator<Item = &str> {
        [
            Some(self.id.as_str()),
            self.public_dns.as_deref(),
            self.public_ip.as_deref(),
        ]
        .into_iter()
        .flatten()
    }

    /// The DNS name that goes with [`Instance::address`].
    pub fn dns_name(&self) -> Option<&str> {
        match self.side {
            Side::Public => self.public_dns.as_deref(),
            Side::Private => self.private_dns.as_deref(),
        }
    }
}

pub use crate::error::AwsError as Error;

impl Error {
    pub(crate) fn from_sdk<E, R>(action: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let code = err.code().unwrap_or_default().to_string();
        let message = err.message().unwrap_or_default().to_string();
        match code.as_str() {
            "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => {
                return Error::AccessDenied { action, message };
            }
            "AuthFailure"
            | "ExpiredToken"
            | "RequestExpired"
            | "InvalidClientTokenId"
            | "ExpiredTokenException"
            | "SignatureDoesNotMatch" => {
                return Error::Credentials {
                    message: format!("{code}: {message}"),
                };
            }
            "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => {
                return Error::Throttled { action };
            }
            "" => {}
            _ => {
                return Error::Api {
                    action,
                    code,
                    message,
                };
            }
        }
        if matches!(err, SdkError::TimeoutError(_)) {
            return Error::TimedOut { action };
        }
        if let Some(refused) = find_source::<super::PlainHttp>(&err) {
            return Error::PlainHttp {
                action,
                host: refused.host.clone(),
            };
        }
        let detail = error_chain(&err);
        if detail.contains("credentials") {
            Error::NoCredentials { detail }
        } else {
            Error::Unreachable { action, detail }
        }
    }
}

/// The first error of type `T` in `err`'s chain of sources.
fn find_source<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        next = err.source();
    }
    None
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[derive(Clone)]
pub struct Ec2 {
    client: aws_sdk_ec2::Client,
    config: aws_config::SdkConfig,
    /// The configured account this client asks (`name (id)`), if any.
    account: Option<String>,
}

/// Which instances a DescribeInstances call asks for.
#[derive(Debug, Clone)]
pub enum Query {
    Ids(Vec<String>),
    Filter {
        name: &'static str,
        values: Vec<String>,
    },
    /// Every instance that has a tag with this key (for case-insensitive Name lookups).
    TagKey(&'static str),
    /// The user's own `--filter Name=…,Values=…` list (all must match).
    Filters(Vec<(String, Vec<String>)>),
    /// Every instance in the region.
    All,
}

impl Ec2 {
    /// Builds a client from the standard AWS settings (env, profile, flags).
    ///
    /// # Errors
    /// No region could be found.
    pub async fn new(config: &super::Config) -> Result<Self, Error> {
        Self::build(config, config.loader(config.first_region())).await
    }

    /// A client for fleet-wide commands: more attempts with jittered
    /// exponential backoff, so throttling slows a sync down rather than
    /// failing instances. (Adaptive mode's client-side rate limiter was
    /// tried: after a burst of throttling it crawled for minutes.) Sixteen:
    /// with ten, one of eight workers was seen refused ten times running in
    /// a burst of forty throttles the others slept through.
    ///
    /// # Errors
    /// No region could be found.
    pub async fn for_fleet(config: &super::Config) -> Result<Self, Error> {
        let retry = aws_config::retry::RetryConfig::standard()
            .with_max_attempts(16)
            .with_max_backoff(Duration::from_secs(5));
        Self::build(
            config,
            config.loader(config.first_region()).retry_config(retry),
        )
        .await
    }

    /// The client, with the account's role assumed first when it has one.
    async fn build(
        settings: &super::Config,
        loader: aws_config::ConfigLoader,
    ) -> Result<Self, Error> {
        // Bounded: a helper in ssh's path must never hang on a slow API.
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(10))
            .operation_timeout(Duration::from_secs(45))
            .build();
        let mut config = loader.timeout_config(timeouts).load().await;
        if config.region().is_none() {
            return Err(Error::NoRegion);
        }
        let account = settings.account.as_deref();
        if let Some((account, role)) = account.and_then(|a| Some((a, a.role.as_ref()?))) {
            let base_scope = super::base_scope(settings);
            let provider = super::role::AssumedRole {
                base: config.clone(),
                account: account.clone(),
                role: role.clone(),
                memo: settings.role_memo.clone(),
                base_scope,
            };
            // Assumed now, so that a refusal is this account's typed error.
            provider.credentials().await?;
            config = config
                .to_builder()
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(provider),
                )
                .build();
        }
        Ok(Ec2 {
            client: aws_sdk_ec2::Client::new(&config),
            config,
            account: settings.account_label(),
        })
    }

    /// The configured account this client asks (`name (id)`), if any.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// Where this client asks, for messages: the region, and the account
    /// when accounts are configured.
    pub fn place(&self) -> String {
        match &self.account {
            Some(account) => format!("{} of {account}", self.region()),
            None => self.region(),
        }
    }

    /// The same settings, in another region.
    pub fn in_region(&self, region: &str) -> Ec2 {
        let config = self
            .config
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        Ec2 {
            client: aws_sdk_ec2::Client::new(&config),
            config,
            account: self.account.clone(),
        }
    }

    /// This client, then one for each region after the first of `regions`
    /// (the first is this client's own: it was built from it).
    pub fn with_regions(&self, regions: &[String]) -> Vec<Ec2> {
        std::iter::once(self.clone())
            .chain(regions.iter().skip(1).map(|r| self.in_region(r)))
            .collect()
    }

    pub(super) fn client(&self) -> &aws_sdk_ec2::Client {
        &self.client
    }

    /// The settings this client was built from (for other services' clients).
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.config
    }

    pub fn region(&self) -> String {
        self.config
            .region()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// The regions enabled for this account (DescribeRegions).
    pub async fn regions(&self) -> Result<Vec<String>, Error> {
        let output = self
            .client
            .describe_regions()
            .send()
            .await
            .map_err(|err| Error::from_sdk("ec2:DescribeRegions", err))?;
        Ok(output
            .regions()
            .iter()
            .filter_map(|r| r.region_name().map(str::to_string))
            .collect())
    }

    /// Whether the caller may perform `action`, asked with DryRun where the
    /// API offers it: `Ok(())` when allowed, the typed error otherwise.
    pub async fn check_permission(&self, action: Permission<'_>) -> Result<(), Error> {
        let result = match action {
            Permission::DescribeInstances => self
                .client
                .describe_instances()
                .dry_run(true)
                .send()
                .await
                .map(drop)
                .map_err(|e| dry_run_verdict(action.name(), e)),
            Permission::GetConsoleOutput(id) => self
                .client
                .get_console_output()
                .instance_id(id)
                .dry_run(true)
                .send()
                .await
                .map(drop)
                .map_err(|e| dry_run_verdict(action.name(), e)),
            Permission::DescribeRegions => self
                .client
                .describe_regions()
                .dry_run(true)
                .send()
                .await
                .map(drop)
                .map_err(|e| dry_run_verdict(action.name(), e)),
            Permission::DescribeInstanceAttribute(id) => self
                .client
                .describe_instance_attribute()
                .instance_id(id)
                .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
                .dry_run(true)
                .send()
                .await
                .map(drop)
                .map_err(|e| dry_run_verdict(action.name(), e)),
        };
        match result {
            Ok(()) | Err(None) => Ok(()),
            Err(Some(err)) => Err(err),
        }
    }

    /// DescribeInstances, all pages.
    pub async fn describe(&self, query: &Query) -> Result<Vec<Instance>, Error> {
        let mut request = self.client.describe_instances();
        request = match query {
            Query::Ids(ids) => request.set_instance_ids(Some(ids.clone())),
            Query::Filter { name, values } => request.filters(
                Filter::builder()
                    .name(*name)
                    .set_values(Some(values.clone()))
                    .build(),
            ),
            Query::TagKey(key) => {
                request.filters(Filter::builder().name("tag-key").values(*key).build())
            }
            Query::Filters(filters) => filters.iter().fold(request, |request, (name, values)| {
                request.filters(
                    Filter::builder()
                        .name(name)
                        .set_values(Some(values.clone()))
                        .build(),
                )
            }),
            Query::All => request,
        };
        let region = self.region();
        let mut pages = request.into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(err) if matches!(query, Query::Ids(_)) && is_not_found(&err) => {
                    return Ok(Vec::new());
                }
                Err(err) => return Err(Error::from_sdk("ec2:DescribeInstances", err)),
            };
            for reservation in page.reservations() {
                out.extend(
                    reservation
                        .instances()
                        .iter()
                        .map(|i| convert(i, &region, reservation.owner_id(), self.account())),
                );
            }
        }
        Ok(out)
    }

    /// The instance's user-data (DescribeInstanceAttribute), decoded; `None` without any.
    pub async fn user_data(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let output = self
            .client
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send()
            .await
            .map_err(|err| Error::from_sdk("ec2:DescribeInstanceAttribute", err))?;
        let Some(encoded) = output
            .user_data()
            .and_then(|v| v.value())
            .filter(|v| !v.is_empty())
        else {
            return Ok(None);
        };
        let cleaned: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .map(Some)
            .map_err(|e| Error::Api {
                action: "ec2:DescribeInstanceAttribute",
                code: "InvalidBase64".into(),
                message: e.to_string(),
            })
    }

    /// GetConsoleOutput, decoded; `None` while the instance has posted none.
    pub async fn console_output(&self, id: &str, latest: bool) -> Result<Option<Vec<u8>>, Error> {
        let mut request = self.client.get_console_output().instance_id(id);
        if latest {
            request = request.latest(true);
        }
        let output = request
            .send()
            .await
            .map_err(|err| Error::from_sdk("ec2:GetConsoleOutput", err))?;
        let Some(encoded) = output.output().filter(|o| !o.is_empty()) else {
            return Ok(None);
        };
        let cleaned: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .map_err(|e| Error::Api {
                action: "ec2:GetConsoleOutput",
                code: "InvalidBase64".into(),
                message: e.to_string(),
            })?;
        Ok(Some(decoded))
    }
}

fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(
        err.code(),
        Some("InvalidInstanceID.NotFound" | "InvalidInstanceID.Malformed")
    )
}

/// Whether a GetConsoleOutput error means `Latest=true` is not supported here.
pub fn latest_unsupported(err: &Error) -> bool {
    matches!(err, Error::Api { code, .. } if code == "UnsupportedOperation" || code == "InvalidParameterCombination" || code == "InvalidParameterValue")
}

/// An IAM action `doctor` checks.
#[derive(Debug, Clone, Copy)]
pub enum Permission<'a> {
    DescribeInstances,
    /// Asked about one instance id (any id will do for a dry run).
    GetConsoleOutput(&'a str),
    DescribeRegions,
    /// Reading user-data, which proves a seed's binding (asked about one instance id).
    DescribeInstanceAttribute(&'a str),
}

impl Permission<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Permission::DescribeInstances => "ec2:DescribeInstances",
            Permission::GetConsoleOutput(_) => "ec2:GetConsoleOutput",
            Permission::DescribeRegions => "ec2:DescribeRegions",
            Permission::DescribeInstanceAttribute(_) => "ec2:DescribeInstanceAttribute",
        }
    }
}

/// A dry run answers DryRunOperation when the call would have been allowed:
/// that is `None` (no error); anything else is the real error.
fn dry_run_verdict<E, R>(action: &'static str, err: SdkError<E, R>) -> Option<Error>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if err.code() == Some("DryRunOperation") {
        None
    } else {
        Some(Error::from_sdk(action, err))
    }
}

fn convert(
    i: &SdkInstance,
    region: &str,
    owner: Option<&str>,
    account_name: Option<&str>,
) -> Instance {
    let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
    let tag = |key: &str| {
        i.tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    Instance {
        id: i.instance_id().unwrap_or_default().to_string(),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_else(|| "unknown".into()),
        name: tag("Name"),
        public_ip: non_empty(i.public_ip_address()),
        public_dns: non_empty(i.public_dns_name()),
        private_ip: non_empty(i.private_ip_address()),
        private_dns: non_empty(i.private_dns_name()),
        seed: tag(SEED_TAG),
        region: region.to_string(),
        side: if i.public_ip_address().is_some_and(|a| !a.is_empty()) {
            Side::Public
        } else {
            Side::Private
        },
        launched_at: i.launch_time().map(|t| t.secs()),
        account: non_empty(owner),
        account_name: account_name.map(str::to_string),
        vpc: non_empty(i.vpc_id()),
        subnet: non_empty(i.subnet_id()),
    }
}
