//! Accounts reached through a role (`[[accounts]]` with `role_arn`): the
//! role assumed with the base credentials (the account's `profile`, else
//! the standard chain), and its temporary credentials reused until shortly
//! before they expire — within the process, and across processes through a
//! [`RoleMemo`] the layer above provides (a private file per role).
//!
//! The credentials never appear in a message: [`Held`]'s `Debug` hides
//! them, and errors name the role and the account only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AwsError as Error;

/// One configured account: its name, its id when known, and how it is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The `name` of its `[[accounts]]` entry.
    pub name: String,
    /// Its 12-digit id: the entry's `id`, else the role ARN's.
    pub id: Option<String>,
    /// The role to assume, if the account is not the profile's own.
    pub role: Option<Role>,
}

impl Account {
    /// `name (id)`, or the name alone: for messages.
    pub fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("{} ({id})", self.name),
            None => self.name.clone(),
        }
    }

    /// Whether `--account WANTED` names this account (by name or id).
    pub fn is(&self, wanted: &str) -> bool {
        self.name == wanted || self.id.as_deref() == Some(wanted)
    }
}

/// A role to assume (sts:AssumeRole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub arn: String,
    pub external_id: Option<String>,
    pub session_name: String,
}

/// The session name when the entry gives none: says who asked, in CloudTrail.
pub const DEFAULT_SESSION_NAME: &str = "ec2-hostkey";

/// How long assumed credentials are asked for (the default maximum of a role).
const ASKED_FOR: Duration = Duration::from_secs(3600);

/// Credentials are renewed this long before they expire: a lookup, a
/// console read and a Systems Manager wait fit in it.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// Assumed credentials as kept between processes.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Held {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Seconds since the epoch.
    pub expires_at: u64,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Held {
    /// Still good for at least [`RENEW_BEFORE`].
    pub fn fresh(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.expires_at > now + RENEW_BEFORE.as_secs()
    }

    fn credentials(&self) -> Credentials {
        Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            Some(self.session_token.clone()),
            Some(UNIX_EPOCH + Duration::from_secs(self.expires_at)),
            "ec2-hostkey assumed role",
        )
    }
}

/// Where assumed credentials are kept between processes, by a key that
/// names the role and the base credentials it was assumed with.
pub trait RoleMemo: Send + Sync + std::fmt::Debug {
    fn get(&self, key: &str) -> Option<Held>;
    fn put(&self, key: &str, held: &Held);
}

/// This process's assumed credentials, by memo key.
fn in_process() -> &'static Mutex<HashMap<String, Held>> {
    static HELD: OnceLock<Mutex<HashMap<String, Held>>> = OnceLock::new();
    HELD.get_or_init(Mutex::default)
}

/// An account's role as a credentials provider: the SDK asks it again when
/// the credentials it gave near their expiry (a long `sync` outlives them),
/// and each time it answers from this process's memo, else the [`RoleMemo`],
/// else a new `sts:AssumeRole` with the base credentials.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    /// The base settings: whose credentials assume the role.
    pub base: aws_config::SdkConfig,
    pub account: Account,
    pub role: Role,
    pub memo: Option<Arc<dyn RoleMemo>>,
    /// Whose credentials these are (see [`memo_key`]).
    pub base_scope: String,
}

impl AssumedRole {
    /// Fresh credentials of the role.
    ///
    /// # Errors
    /// [`Error::RoleRefused`]: STS refused, or could not be asked.
    pub async fn credentials(&self) -> Result<Credentials, Error> {
        let key = memo_key(&self.role, &self.base_scope);
        let held = in_process()
            .lock()
            .ok()
            .and_then(|held| held.get(&key).cloned())
            .filter(Held::fresh);
        if let Some(held) = held {
            return Ok(held.credentials());
        }
        if let Some(held) = self
            .memo
            .as_ref()
            .and_then(|m| m.get(&key))
            .filter(Held::fresh)
        {
            tracing::debug!(account = %self.account.label(), "assumed-role credentials from the cache");
            remember(&key, &held);
            return Ok(held.credentials());
        }
        let held = assume(&self.base, &self.account, &self.role).await?;
        remember(&key, &held);
        if let Some(memo) = &self.memo {
            memo.put(&key, &held);
        }
        Ok(held.credentials())
    }
}

impl aws_credential_types::provider::ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            self.credentials()
                .await
                .map_err(aws_credential_types::provider::error::CredentialsError::provider_error)
        })
    }
}

fn remember(key: &str, held: &Held) {
    if let Ok(mut map) = in_process().lock() {
        map.insert(key.to_string(), held.clone());
    }
}

async fn assume(
    base: &aws_config::SdkConfig,
    account: &Account,
    role: &Role,
) -> Result<Held, Error> {
    tracing::debug!(account = %account.label(), role = %role.arn, "assuming the role");
    let refused = |cause: Error| Error::RoleRefused {
        account: account.label(),
        role: role.arn.clone(),
        transient: cause.exit_code() == crate::error::FAILURE,
        cause: Box::new(cause),
    };
    let output = aws_sdk_sts::Client::new(base)
        .assume_role()
        .role_arn(&role.arn)
        .role_session_name(&role.session_name)
        .set_external_id(role.external_id.clone())
        .duration_seconds(i32::try_from(ASKED_FOR.as_secs()).unwrap_or(3600))
        .send()
        .await
        .map_err(|err| refused(Error::from_sdk("sts:AssumeRole", err)))?;
    let given = output.credentials().ok_or_else(|| {
        refused(Error::Api {
            action: "sts:AssumeRole",
            code: "NoCredentials".into(),
            message: "the answer held no credentials".into(),
        })
    })?;
    let expires_at = SystemTime::try_from(*given.expiration())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Ok(Held {
        access_key_id: given.access_key_id().to_string(),
        secret_access_key: given.secret_access_key().to_string(),
        session_token: given.session_token().to_string(),
        expires_at,
    })
}

/// The memo key: the role, the external id, the session name and the base
/// credentials' scope (profile, access key id, endpoint), hashed — the
/// file names it in a directory others cannot list anyway.
fn memo_key(role: &Role, base_scope: &str) -> String {
    let mut digest = Sha256::new();
    for part in [
        role.arn.as_str(),
        role.external_id.as_deref().unwrap_or_default(),
        role.session_name.as_str(),
        base_scope,
    ] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The account id in a role ARN (`arn:PARTITION:iam::ID:role/NAME`).
pub fn account_of_role(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    let (Some("arn"), Some(_), Some("iam"), Some(""), Some(id), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let is_id = id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit());
    (is_id && resource.starts_with("role/") && resource.len() > 5).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_their_account() {
        assert_eq!(
            account_of_role("arn:aws:iam::111111111111:role/ec2-hostkey"),
            Some("111111111111")
        );
        assert_eq!(
            account_of_role("arn:aws-cn:iam::222222222222:role/path/to/r"),
            Some("222222222222")
        );
        for bad in [
            "arn:aws:iam::1111:role/x",
            "arn:aws:iam::111111111111:user/x",
            "arn:aws:sts::111111111111:role/x",
            "arn:aws:iam::111111111111:role/",
            "111111111111",
        ] {
            assert_eq!(account_of_role(bad), None, "{bad}");
        }
    }

    #[test]
    fn held_credentials_never_show_in_debug_output() {
        let held = Held {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "very-secret".into(),
            session_token: "token-secret".into(),
            expires_at: 1,
        };
        let shown = format!("{held:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("ASIA"),
            "{shown}"
        );
        assert!(!held.fresh());
    }

    #[test]
    fn the_memo_key_changes_with_every_part() {
        let role = Role {
            arn: "arn:aws:iam::111111111111:role/r".into(),
            external_id: None,
            session_name: DEFAULT_SESSION_NAME.into(),
        };
        let key = memo_key(&role, "profile=a");
        assert_ne!(key, memo_key(&role, "profile=b"));
        let other = Role {
            external_id: Some("x".into()),
            ..role.clone()
        };
        assert_ne!(key, memo_key(&other, "profile=a"));
    }
}
