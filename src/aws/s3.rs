//! S3 at the edge, for seeding (`seed --s3`): upload the key script as a
//! private object, presign a GET that expires, delete the object after use.

use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;

use super::Config;

async fn client(config: &Config) -> aws_sdk_s3::Client {
    let config = config.loader(config.first_region()).load().await;
    // S3-compatible endpoints (and local emulators) rarely serve
    // bucket-named hosts; path-style addressing works everywhere.
    let custom_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
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
