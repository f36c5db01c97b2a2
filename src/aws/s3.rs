//! S3 at the edge: for seeding (`seed --s3`), upload the key script as a
//! private object, presign a GET that expires, delete the object after use;
//! for the team store (`--store s3://…`), create-only writes, listing and
//! reading small objects, and the bucket's settings for `doctor`.

use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;

use aws_sdk_s3::error::ProvideErrorMetadata;

use super::Config;
use crate::error::AwsError as Error;

async fn client(config: &Config) -> aws_sdk_s3::Client {
    client_from(&config.loader(config.first_region()).load().await)
}

fn client_from(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    // S3-compatible endpoints (and local emulators) rarely serve
    // bucket-named hosts; path-style addressing works everywhere.
    let custom_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(custom_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

/// Uploads `body` to `s3://bucket/key` (private) and returns a GET URL valid for `expires`.
///
/// `body` holds private keys. The SDK needs an owned body, so this makes the
/// one copy of it outside a zeroized buffer; see below.
pub async fn upload_and_presign(
    config: &Config,
    bucket: &str,
    key: &str,
    body: &[u8],
    expires: Duration,
) -> Result<String> {
    let s3 = client(config).await;
    // The one unzeroized copy of the private keys: the request must own its
    // body, and the owning `bytes::Bytes` cannot be made to zeroize (that
    // would take `Bytes::from_owner(Zeroizing<Vec<u8>>)`, and `bytes` is not a
    // direct dependency). The `Vec` is moved into the `Bytes` without a
    // further copy and freed with the request, before this function returns.
    let owned: Vec<u8> = body.to_vec();
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(owned))
        .content_type("text/x-shellscript")
        .send()
        .await
        .map_err(aws_sdk_s3::Error::from)
        .with_context(|| {
            format!(
                "cannot upload to s3://{bucket}/{key}; the caller needs s3:PutObject on that bucket"
            )
        })?;
    let presigned = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(
            PresigningConfig::expires_in(expires)
                .context("--expires must be between 1s and 7 days")?,
        )
        .await
        .context("cannot presign the download URL")?;
    Ok(presigned.uri().to_string())
}

pub async fn delete(config: &Config, bucket: &str, key: &str) -> Result<()> {
    client(config)
        .await
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(aws_sdk_s3::Error::from)
        .with_context(|| format!("cannot delete s3://{bucket}/{key}; the caller needs s3:DeleteObject (retry with `ec2-hostkey seed cleanup`)"))?;
    Ok(())
}

/// The region S3 says `bucket` lives in (the `x-amz-bucket-region` of a
/// HeadBucket, which a redirect and a denial carry too); `None` when S3
/// does not say (an emulator, a network error).
async fn bucket_region(client: &aws_sdk_s3::Client, bucket: &str) -> Option<String> {
    let region = match client.head_bucket().bucket(bucket).send().await {
        Ok(head) => head.bucket_region().map(str::to_string),
        Err(err) => err
            .raw_response()
            .and_then(|r| r.headers().get("x-amz-bucket-region"))
            .map(str::to_string),
    };
    tracing::debug!(bucket, ?region, "the bucket's region, as S3 says");
    region.filter(|r| !r.is_empty() && r.len() < 64)
}

/// The largest object the store reads: a record is a few kilobytes; anything
/// bigger is not one of ours.
const MAX_OBJECT: i64 = 64 * 1024;

/// One bucket, for the team store: created from the same settings (region,
/// credentials) as the EC2 client, so the credentials are resolved once.
#[derive(Clone, Debug)]
pub struct Bucket {
    client: aws_sdk_s3::Client,
    pub name: String,
}

/// Whether a create-only write created the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    /// The key exists already (or another writer is creating it right now).
    Exists,
}

impl Bucket {
    /// The bucket, asked through its own region: S3 answers a request made
    /// in another region with a redirect, not the data. The region is asked
    /// once (HeadBucket tells it even when it refuses or redirects) and
    /// remembered in `known` (read, and written when asked).
    pub async fn in_its_region(
        config: &aws_config::SdkConfig,
        name: &str,
        known: &mut Option<String>,
    ) -> Bucket {
        let mut client = client_from(config);
        if known.is_none() {
            *known = bucket_region(&client, name).await;
        }
        if let Some(region) = known.as_deref()
            && config.region().map(|r| r.as_ref()) != Some(region)
        {
            let moved = config
                .to_builder()
                .region(aws_config::Region::new(region.to_string()))
                .build();
            client = client_from(&moved);
        }
        Bucket {
            client,
            name: name.to_string(),
        }
    }

    /// From the standard settings chain alone (`doctor`).
    pub async fn from_settings(config: &Config, name: &str) -> Bucket {
        let sdk = config.loader(config.first_region()).load().await;
        Bucket::in_its_region(&sdk, name, &mut None).await
    }

    /// Writes `body` at `key` only if no object is there (`If-None-Match: *`):
    /// nobody overwrites what someone else wrote.
    ///
    /// # Errors
    /// Access denied, or the API failed.
    pub async fn put_new(&self, key: &str, body: Vec<u8>) -> Result<Created, Error> {
        let sent = self
            .client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .if_none_match("*")
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Created::New),
            Err(err) => match err.code() {
                // 412: it exists; 409: a concurrent conditional write is in flight.
                Some("PreconditionFailed" | "ConditionalRequestConflict") => Ok(Created::Exists),
                _ => Err(Error::from_sdk("s3:PutObject", err)),
            },
        }
    }

    /// The keys under `prefix`, in S3's order.
    ///
    /// # Errors
    /// Access denied, no such bucket, or the API failed.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| Error::from_sdk("s3:ListBucket", err))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
        }
        Ok(keys)
    }

    /// The object at `key`, if it exists and is small.
    ///
    /// # Errors
    /// Access denied, too big, or the API failed.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) if err.code() == Some("NoSuchKey") => return Ok(None),
            Err(err) => return Err(Error::from_sdk("s3:GetObject", err)),
        };
        // No length said: not read at all (the body could be anything).
        if output
            .content_length()
            .is_none_or(|n| !(0..=MAX_OBJECT).contains(&n))
        {
            return Err(Error::Api {
                action: "s3:GetObject",
                code: "TooLarge".into(),
                message: format!("s3://{}/{key} is larger than a record can be", self.name),
            });
        }
        let body = output.body.collect().await.map_err(|e| Error::Api {
            action: "s3:GetObject",
            code: "Read".into(),
            message: e.to_string(),
        })?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    /// The bucket's settings that decide who can change a record: is it
    /// reachable, public, versioned, encrypted by default.
    pub async fn report(&self) -> BucketReport {
        let name = &self.name;
        let c = &self.client;
        let reachable = c
            .head_bucket()
            .bucket(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Error::from_sdk("s3:ListBucket", e));
        let public = c
            .get_bucket_policy_status()
            .bucket(name)
            .send()
            .await
            .map(|o| {
                o.policy_status()
                    .and_then(|s| s.is_public())
                    .unwrap_or(false)
            })
            .or_else(|e| match e.code() {
                // No bucket policy: nothing in one makes it public.
                Some("NoSuchBucketPolicy") => Ok(false),
                _ => Err(Error::from_sdk("s3:GetBucketPolicyStatus", e)),
            });
        let blocked = c
            .get_public_access_block()
            .bucket(name)
            .send()
            .await
            .map(|o| {
                o.public_access_block_configuration().is_some_and(|b| {
                    b.block_public_acls() == Some(true)
                        && b.ignore_public_acls() == Some(true)
                        && b.block_public_policy() == Some(true)
                        && b.restrict_public_buckets() == Some(true)
                })
            })
            .or_else(|e| match e.code() {
                Some("NoSuchPublicAccessBlockConfiguration") => Ok(false),
                _ => Err(Error::from_sdk("s3:GetBucketPublicAccessBlock", e)),
            });
        let versioning = c
            .get_bucket_versioning()
            .bucket(name)
            .send()
            .await
            .map(|o| {
                o.status()
                    .is_some_and(|s| *s == aws_sdk_s3::types::BucketVersioningStatus::Enabled)
            })
            .map_err(|e| Error::from_sdk("s3:GetBucketVersioning", e));
        let encryption = c
            .get_bucket_encryption()
            .bucket(name)
            .send()
            .await
            .map(|o| {
                o.server_side_encryption_configuration()
                    .is_some_and(|c| !c.rules().is_empty())
            })
            .or_else(|e| match e.code() {
                Some("ServerSideEncryptionConfigurationNotFoundError") => Ok(false),
                _ => Err(Error::from_sdk("s3:GetEncryptionConfiguration", e)),
            });
        BucketReport {
            reachable,
            public,
            blocked,
            versioning,
            encryption,
        }
    }
}

/// What `doctor` reports about the store's bucket.
#[derive(Debug)]
pub struct BucketReport {
    pub reachable: Result<(), Error>,
    /// Whether its policy makes it public.
    pub public: Result<bool, Error>,
    /// Whether all four public-access blocks are on.
    pub blocked: Result<bool, Error>,
    pub versioning: Result<bool, Error>,
    pub encryption: Result<bool, Error>,
}
