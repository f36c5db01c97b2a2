//! Host certificates for verified keys: what `certify` signs, for which
//! names, and for how long. Only keys the trust rules verified reach here
//! (the caller holds them from `policy`, the live server checked); a
//! certificate names only what EC2 assigned the instance — its id, DNS
//! names and addresses — never a Name tag or an alias, which anyone who may
//! tag could point at another instance. Also here: which keys the live
//! server presents (only those are signed), the install through Systems
//! Manager and its check, and when a certificate is due for renewal —
//! shared by `certify` and `sync --certify`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use ssh_key::certificate::{Builder, CertType};
use ssh_key::{Certificate, HashAlg, PublicKey};

use crate::aws::ec2::Instance;
use crate::net::kex;
use crate::store::ca::Authority;

/// A certificate is valid from this long before it is signed (clocks differ).
const BACKDATE: Duration = Duration::from_secs(300);

/// The key id certificates carry: how sshd's log and `ssh -v` name them.
pub fn key_id(instance: &Instance) -> String {
    format!("ec2-hostkey:{}", instance.id)
}

/// The longest validity a certificate gets: past it, revocation by
/// `@revoked` lines on every client is all that is left.
pub const MAX_VALIDITY: Duration = Duration::from_secs(90 * 24 * 3600);

/// The names ssh may be asked to connect to that EC2 gave the instance:
/// its id and public DNS name and address; with `private`, its private
/// ones too — which repeat in every VPC that uses the same range (every
/// default VPC is 172.31.0.0/16), so a certificate for them would let any
/// certified instance pass for another VPC's at that address.
pub fn principals(instance: &Instance, private: bool) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let private_names = [
        instance.private_dns.as_deref(),
        instance.private_ip.as_deref(),
    ];
    for name in [
        Some(instance.id.as_str()),
        instance.public_dns.as_deref(),
        instance.public_ip.as_deref(),
    ]
    .into_iter()
    .chain(private_names.into_iter().filter(|_| private))
    .flatten()
    .filter(|n| !n.is_empty())
    {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// Signs `key` (verified for `instance`) as a host certificate valid for
/// `validity` from now.
///
/// # Errors
/// The key or the CA cannot be used for signing.
pub fn sign(
    ca: &Authority,
    instance: &Instance,
    key: &PublicKey,
    validity: Duration,
    private: bool,
) -> Result<Certificate> {
    sign_for(
        ca,
        key,
        &key_id(instance),
        &principals(instance, private),
        validity,
    )
}

/// Signs `key` as a host certificate for `principals`, with `key_id`,
/// valid for `validity` (at most [`MAX_VALIDITY`]) from now.
///
/// # Errors
/// The key or the CA cannot be used for signing.
pub fn sign_for(
    ca: &Authority,
    key: &PublicKey,
    key_id: &str,
    principals: &[String],
    validity: Duration,
) -> Result<Certificate> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let valid_after = now.saturating_sub(BACKDATE).as_secs();
    let valid_before = (now + validity.min(MAX_VALIDITY)).as_secs();
    let mut rng = ssh_key::rand_core::OsRng;
    let ca = match ca {
        Authority::Key(key) => key,
        Authority::Agent(public) => {
            return crate::net::openssh::sign_with_agent(
                public,
                &crate::net::openssh::HostCertificate {
                    key,
                    key_id,
                    principals,
                    serial: ssh_key::rand_core::RngCore::next_u64(&mut rng).max(1),
                    valid_after,
                    valid_before,
                },
            );
        }
    };
    let mut builder =
        Builder::new_with_random_nonce(&mut rng, key.key_data().clone(), valid_after, valid_before)
            .context("cannot start a certificate")?;
    let serial = ssh_key::rand_core::RngCore::next_u64(&mut rng).max(1);
    builder
        .serial(serial)?
        .key_id(key_id)?
        .cert_type(CertType::Host)?
        .comment(format!("{key_id} host certificate"))?;
    for principal in principals {
        builder.valid_principal(principal.clone())?;
    }
    builder
        .sign(ca.as_ref())
        .context("cannot sign the certificate")
}

/// The file sshd reads a key's certificate from, as OpenSSH names it
/// (`ssh_host_ed25519_key-cert.pub`, `ssh_host_ecdsa_key-cert.pub`, …).
pub fn file_name(key: &PublicKey) -> String {
    let kind = match key.algorithm() {
        ssh_key::Algorithm::Ed25519 => "ed25519",
        ssh_key::Algorithm::Ecdsa { .. } => "ecdsa",
        ssh_key::Algorithm::Rsa { .. } => "rsa",
        ssh_key::Algorithm::Dsa => "dsa",
        _ => "other",
    };
    format!("ssh_host_{kind}_key-cert.pub")
}

/// Every key the instance's sshd presents (one probe per host-key type).
///
/// # Errors
/// It did not answer, or presented no key.
pub fn presented_keys(instance: &Instance, port: u16) -> Result<Vec<PublicKey>> {
    let ip = instance
        .address()
        .and_then(|a| a.parse().ok())
        .context("the instance has no address to ask")?;
    let presented = kex::probe_all(ip, port)?;
    if presented.is_empty() {
        anyhow::bail!("{ip} port {port} answered but presented no host key");
    }
    Ok(presented)
}

/// The vouched keys the server presents, and only those: a key the
/// sources list but the server does not present is not signed (a stale or
/// padded source), and a presented key the sources do not list is a
/// man-in-the-middle (exit 5, nothing signed).
///
/// # Errors
/// The server presents a key the sources do not vouch for.
pub fn only_presented(
    instance: &Instance,
    presented: &[PublicKey],
    vouched: Vec<PublicKey>,
    vouched_by: &str,
) -> Result<Vec<PublicKey>> {
    let unlisted: Vec<String> = presented
        .iter()
        .filter(|p| !vouched.iter().any(|k| k.key_data() == p.key_data()))
        .map(|k| k.fingerprint(HashAlg::Sha256).to_string())
        .collect();
    if !unlisted.is_empty() {
        return Err(crate::trust::sources::Error::Mismatch {
            id: instance.id.clone(),
            vouched_by: vouched_by.to_string(),
            address: instance.address().unwrap_or_default().to_string(),
            presented: unlisted.join(", "),
            listed: vouched
                .iter()
                .map(|k| k.fingerprint(HashAlg::Sha256).to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into());
    }
    Ok(vouched
        .into_iter()
        .filter(|k| presented.iter().any(|p| p.key_data() == k.key_data()))
        .collect())
}

/// What installing certificates through Systems Manager needs.
pub struct Installing<'a> {
    /// The accounts searched: the instance's is asked.
    pub accounts: &'a [crate::aws::Config],
    /// The install document's name (`ssm-document --certify`).
    pub document: &'a str,
    pub wait: Duration,
    pub quiet: bool,
    pub port: u16,
    /// The CA's public key: what the presented certificate must be signed by.
    pub authority: &'a PublicKey,
}

/// Installs `signed` (each certificate with the key it certifies) on the
/// instance, then asks its sshd for a certificate: it must be one of these,
/// by serial, CA and key.
///
/// # Errors
/// The install failed, or sshd does not present one of them after it.
pub fn install(
    how: &Installing<'_>,
    instance: &Instance,
    signed: &[(Certificate, &PublicKey)],
) -> Result<()> {
    let certificates: Vec<(&str, String)> = signed
        .iter()
        .filter_map(|(cert, key)| {
            let kind = match key.algorithm() {
                ssh_key::Algorithm::Ed25519 => "ed25519",
                ssh_key::Algorithm::Ecdsa { .. } => "ecdsa",
                ssh_key::Algorithm::Rsa { .. } => "rsa",
                _ => return None,
            };
            // SSM takes the certificate alone: TYPE BASE64, no comment.
            let line = cert.to_openssh().ok()?;
            let words: Vec<&str> = line.split_whitespace().take(2).collect();
            Some((kind, words.join(" ")))
        })
        .collect();
    crate::aws::block_on(async {
        let aws = crate::aws::of_account(how.accounts, instance.account_name.as_deref());
        let ec2 = crate::aws::ec2::Ec2::new(aws)
            .await?
            .in_region(&instance.region);
        crate::trust::ssm::install_certificates(
            &ec2,
            &instance.id,
            how.document,
            &certificates,
            how.wait,
            how.quiet,
        )
        .await
    })?;
    let presented = instance
        .address()
        .and_then(|a| a.parse().ok())
        .and_then(|ip| kex::probe_as_ssh(ip, how.port, kex::PROBE_TIMEOUT).ok());
    let ours = presented
        .as_ref()
        .and_then(|p| p.certificate.as_ref())
        .is_some_and(|presented| {
            signed.iter().any(|(cert, key)| {
                presented.serial() == cert.serial()
                    && presented.signature_key() == how.authority.key_data()
                    && presented.verify_signature().is_ok()
                    && presented.public_key() == key.key_data()
            })
        });
    if !ours {
        return Err(crate::error::InstallError::NotPresented {
            id: instance.id.clone(),
            presented: presented
                .map_or_else(|| "nothing (it did not answer)".into(), |p| p.describe()),
        }
        .into());
    }
    crate::text::note(
        how.quiet,
        &format!(
            "installed on {} through Systems Manager ({}); its sshd presents the new certificate",
            instance.id, how.document
        ),
    );
    Ok(())
}

/// Why the instance's certificate should be (re)issued, or `None` while the
/// one its sshd presents is ours and has more than a third of its validity
/// left. An instance that cannot be asked is not due (nothing to renew from
/// here).
pub fn renewal_due(instance: &Instance, port: u16, authority: &PublicKey) -> Option<String> {
    let ip = instance.address()?.parse().ok()?;
    let presented = kex::probe_as_ssh(ip, port, kex::PROBE_TIMEOUT).ok()?;
    let Some(cert) = presented.certificate else {
        return Some("its sshd presents no certificate".into());
    };
    if cert.signature_key() != authority.key_data() || cert.verify_signature().is_err() {
        return Some("its certificate is another CA's".into());
    }
    // A seed's certificate names only what was chosen before launch, and
    // an address may have moved since: due until it names the instance.
    let named: Vec<&str> = cert.valid_principals().iter().map(String::as_str).collect();
    let missing: Vec<String> = principals(instance, false)
        .into_iter()
        .filter(|p| !named.contains(&p.as_str()))
        .collect();
    if !missing.is_empty() || cert.key_id() != key_id(instance) {
        return Some(format!(
            "its certificate (serial {}) does not name {}",
            cert.serial(),
            if missing.is_empty() {
                instance.id.clone()
            } else {
                missing.join(", ")
            }
        ));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let (after, before) = (cert.valid_after(), cert.valid_before());
    let left = before.saturating_sub(now);
    if left <= before.saturating_sub(after) / 3 {
        return Some(format!(
            "its certificate (serial {}) ends {}",
            cert.serial(),
            kex::unix_time(before)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::PrivateKey;

    fn instance() -> Instance {
        Instance {
            id: "i-0123456789abcdef0".into(),
            state: "running".into(),
            name: Some("web".into()),
            public_ip: Some("203.0.113.7".into()),
            public_dns: Some("ec2-203-0-113-7.compute-1.amazonaws.com".into()),
            private_ip: Some("10.0.0.7".into()),
            private_dns: Some("ip-10-0-0-7.ec2.internal".into()),
            seed: None,
            region: "us-east-1".into(),
            side: crate::aws::ec2::Side::Public,
            launched_at: None,
            account: None,
            account_name: None,
            vpc: None,
            subnet: None,
        }
    }

    #[test]
    fn a_certificate_names_what_ec2_assigned_and_never_the_name_tag() {
        let mut rng = ssh_key::rand_core::OsRng;
        let ca = Authority::Key(Box::new(
            PrivateKey::random(&mut rng, ssh_key::Algorithm::Ed25519).unwrap(),
        ));
        let host = PrivateKey::random(&mut rng, ssh_key::Algorithm::Ed25519).unwrap();
        let cert = sign(
            &ca,
            &instance(),
            host.public_key(),
            Duration::from_secs(3600),
            false,
        )
        .unwrap();
        assert_eq!(
            cert.valid_principals(),
            [
                "i-0123456789abcdef0",
                "ec2-203-0-113-7.compute-1.amazonaws.com",
                "203.0.113.7",
            ]
        );
        let with_private = sign(
            &ca,
            &instance(),
            host.public_key(),
            Duration::from_secs(3600),
            true,
        )
        .unwrap();
        assert_eq!(
            &with_private.valid_principals()[3..],
            ["ip-10-0-0-7.ec2.internal", "10.0.0.7"]
        );
        let forever = Duration::from_secs(u64::MAX / 4);
        let long = sign(&ca, &instance(), host.public_key(), forever, false).unwrap();
        assert!(long.valid_before() - long.valid_after() <= MAX_VALIDITY.as_secs() + 300);
        assert!(!cert.valid_principals().iter().any(|p| p == "web"));
        assert_eq!(cert.key_id(), "ec2-hostkey:i-0123456789abcdef0");
        assert_eq!(cert.cert_type(), CertType::Host);
        assert_eq!(cert.public_key(), host.public_key().key_data());
        assert!(cert.serial() > 0);
        let ca_fp = ca.public_key().fingerprint(ssh_key::HashAlg::Sha256);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        cert.validate_at(now, [&ca_fp]).unwrap();
        assert!(
            cert.validate_at(now + 3700, [&ca_fp]).is_err(),
            "expired after its validity"
        );
        assert_eq!(
            file_name(host.public_key()),
            "ssh_host_ed25519_key-cert.pub"
        );
    }
}
