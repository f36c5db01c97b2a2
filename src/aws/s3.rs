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
) -> Result<(String, String)> {
    let sdk = config.loader(config.first_region()).load().await;
    let owner = expected_owner(config, &sdk).await?;
    let s3 = Bucket::in_its_region(&sdk, bucket, &mut None, Some(owner.clone()))
        .await
        .client;
    // The one unzeroized copy of the private keys: the request must own its
    // body, and the owning `bytes::Bytes` cannot be made to zeroize (that
    // would take `Bytes::from_owner(Zeroizing<Vec<u8>>)`, and `bytes` is not a
    // direct dependency). The `Vec` is moved into the `Bytes` without a
    // further copy and freed with the request, before this function returns.
    let owned: Vec<u8> = body.to_vec();
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .expected_bucket_owner(&owner)
        .body(ByteStream::from(owned))
        .content_type("text/x-shellscript")
        .send()
        .await
        .map_err(aws_sdk_s3::Error::from)
        .with_context(|| {
            format!(
                "cannot upload to s3://{bucket}/{key}; the bucket must belong to account {owner} (--store-owner) and the caller needs s3:PutObject on it"
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
    Ok((presigned.uri().to_string(), owner))
}

/// The account a bucket must belong to: `--store-owner`, else the caller's
/// own (GetCallerIdentity).
///
/// # Errors
/// Who the caller is cannot be told.
pub async fn expected_owner(config: &Config, sdk: &aws_config::SdkConfig) -> Result<String> {
    if let Some(owner) = &config.bucket_owner {
        return Ok(owner.clone());
    }
    Ok(super::sts::caller(sdk).await?.account)
}

/// Deletes `s3://bucket/key`, every version of it (on a versioned bucket a
/// plain delete only hides the private keys behind a delete marker), from
/// a bucket `owner` (else the caller's account) must own. Returns how many
/// versions were deleted.
///
/// # Errors
/// S3 refused a listing or a delete.
pub async fn delete(
    config: &Config,
    bucket: &str,
    key: &str,
    owner: Option<&str>,
) -> Result<usize> {
    let remedy = || {
        format!(
            "cannot delete s3://{bucket}/{key}; the caller needs s3:ListBucketVersions and s3:DeleteObjectVersion (retry with `ec2-hostkey seed cleanup`)"
        )
    };
    let (s3, owner, versions) = key_versions(config, bucket, key, owner)
        .await
        .with_context(remedy)?;
    // An unversioned bucket may list nothing for a plain object: delete it by name.
    let versions = if versions.is_empty() {
        vec![None]
    } else {
        versions
    };
    for version in &versions {
        s3.delete_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version.clone())
            .expected_bucket_owner(&owner)
            .send()
            .await
            .map_err(aws_sdk_s3::Error::from)
            .with_context(remedy)?;
    }
    Ok(versions.len())
}

/// What is left of `s3://bucket/key`, counting every version and delete
/// marker (`seed cleanup` reports it).
///
/// # Errors
/// S3 refused the listing.
pub async fn versions_left(
    config: &Config,
    bucket: &str,
    key: &str,
    owner: Option<&str>,
) -> Result<usize> {
    let (_, _, versions) = key_versions(config, bucket, key, owner)
        .await
        .with_context(|| format!("cannot list the versions of s3://{bucket}/{key}"))?;
    Ok(versions.len())
}

/// A client for `bucket` (in its region, owned by `owner` or else the
/// caller's account), that owner, and every version and delete marker of `key`.
async fn key_versions(
    config: &Config,
    bucket: &str,
    key: &str,
    owner: Option<&str>,
) -> Result<(aws_sdk_s3::Client, String, Vec<Option<String>>)> {
    let sdk = config.loader(config.first_region()).load().await;
    let owner = match owner {
        Some(owner) => owner.to_string(),
        None => expected_owner(config, &sdk).await?,
    };
    let s3 = Bucket::in_its_region(&sdk, bucket, &mut None, Some(owner.clone()))
        .await
        .client;
    let listed = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(key)
        .expected_bucket_owner(&owner)
        .send()
        .await
        .map_err(aws_sdk_s3::Error::from)?;
    let versions = listed
        .versions()
        .iter()
        .filter(|v| v.key() == Some(key))
        .map(|v| v.version_id().map(str::to_string))
        .chain(
            listed
                .delete_markers()
                .iter()
                .filter(|m| m.key() == Some(key))
                .map(|m| m.version_id().map(str::to_string)),
        )
        .collect();
    Ok((s3, owner, versions))
}

/// The region S3 says `bucket` lives in (the `x-amz-bucket-region` of a
/// HeadBucket, which a redirect and a denial carry too); `None` when S3
/// does not say (an emulator, a network error).
async fn bucket_region(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    owner: Option<&str>,
) -> Option<String> {
    let head = client
        .head_bucket()
        .bucket(bucket)
        .set_expected_bucket_owner(owner.map(str::to_string));
    let region = match head.send().await {
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
    /// The account that must own it, sent with every request
    /// (ExpectedBucketOwner): a bucket of anyone else is refused by S3
    /// before anything is read or written.
    pub owner: Option<String>,
}

/// One object of a listing, with what S3 (not its writer) says of it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub key: String,
    /// LastModified, as S3 set it: seconds and nanoseconds since the epoch.
    pub modified: (i64, u32),
}

/// One bounded page of a listing.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub objects: Vec<Listed>,
    /// More objects lie past this page (they were not listed).
    pub truncated: bool,
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
        owner: Option<String>,
    ) -> Bucket {
        let mut client = client_from(config);
        if known.is_none() {
            *known = bucket_region(&client, name, owner.as_deref()).await;
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
            owner,
        }
    }

    /// From the standard settings chain alone (`doctor`), owned by `owner`.
    pub async fn from_settings(config: &Config, name: &str, owner: Option<String>) -> Bucket {
        let sdk = config.loader(config.first_region()).load().await;
        Bucket::in_its_region(&sdk, name, &mut None, owner).await
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
            .set_expected_bucket_owner(self.owner.clone())
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
                _ => Err(self.refused("s3:PutObject", err)),
            },
        }
    }

    /// Whether this bucket is the expected owner's and usable: a HeadBucket
    /// that names the owner (S3 refuses it for anyone else's bucket).
    ///
    /// # Errors
    /// Refused (another account's bucket, or no permission), or the API failed.
    pub async fn check_owner(&self) -> Result<(), Error> {
        self.client
            .head_bucket()
            .bucket(&self.name)
            .set_expected_bucket_owner(self.owner.clone())
            .send()
            .await
            .map(drop)
            .map_err(|e| self.refused("s3:ListBucket", e))
    }

    /// An SDK error as ours; a denial also says that every request names
    /// the owner, since S3 refuses another account's bucket the same way.
    fn refused<E>(
        &self,
        action: &'static str,
        err: aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        // A refused HEAD has no body to name its code: its status does.
        let forbidden = err
            .raw_response()
            .is_some_and(|r| r.status().as_u16() == 403);
        let err = match Error::from_sdk(action, err) {
            Error::AccessDenied { action, message } => Error::AccessDenied { action, message },
            _ if forbidden => Error::AccessDenied {
                action,
                message: "403 Forbidden".into(),
            },
            other => other,
        };
        match (err, &self.owner) {
            (Error::AccessDenied { action, message }, Some(owner)) => Error::AccessDenied {
                action,
                message: format!(
                    "{message}; or s3://{} is not a bucket of account {owner}, which every request names as its owner (--store-owner): nothing was read or written there",
                    self.name
                ),
            },
            (err, _) => err,
        }
    }

    /// One bounded page of the objects under `prefix` (at most `max`), in
    /// S3's key order, with their LastModified.
    ///
    /// # Errors
    /// Access denied (another account's bucket included), no such bucket,
    /// or the API failed.
    pub async fn list_page(&self, prefix: &str, max: i32) -> Result<Listing, Error> {
        let page = self
            .client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .max_keys(max)
            .set_expected_bucket_owner(self.owner.clone())
            .send()
            .await
            .map_err(|err| self.refused("s3:ListBucket", err))?;
        let objects = page
            .contents()
            .iter()
            .filter_map(|o| {
                let modified = o.last_modified()?;
                Some(Listed {
                    key: o.key()?.to_string(),
                    modified: (modified.secs(), modified.subsec_nanos()),
                })
            })
            .collect();
        Ok(Listing {
            objects,
            truncated: page.is_truncated().unwrap_or(false),
        })
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
            .set_expected_bucket_owner(self.owner.clone())
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) if err.code() == Some("NoSuchKey") => return Ok(None),
            Err(err) => return Err(self.refused("s3:GetObject", err)),
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
            .set_expected_bucket_owner(self.owner.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.refused("s3:ListBucket", e));
        let public = c
            .get_bucket_policy_status()
            .bucket(name)
            .set_expected_bucket_owner(self.owner.clone())
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
            .set_expected_bucket_owner(self.owner.clone())
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
            .set_expected_bucket_owner(self.owner.clone())
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
            .set_expected_bucket_owner(self.owner.clone())
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
