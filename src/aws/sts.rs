//! STS at the edge: who the caller is, for the team store's records
//! ("verified by").

use crate::error::AwsError as Error;

/// The caller's account and ARN (GetCallerIdentity, which needs no permission).
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    pub arn: String,
}

/// # Errors
/// The credentials are rejected, or the API failed.
pub async fn caller(config: &aws_config::SdkConfig) -> Result<Caller, Error> {
    let output = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|err| Error::from_sdk("sts:GetCallerIdentity", err))?;
    Ok(Caller {
        account: output.account().unwrap_or_default().to_string(),
        arn: output.arn().unwrap_or_default().to_string(),
    })
}
