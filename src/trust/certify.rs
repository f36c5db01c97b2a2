//! Host certificates for verified keys: what `certify` signs, for which
//! names, and for how long. Only keys the trust rules verified reach here
//! (the caller holds them from `policy`, the live server checked); a
//! certificate names only what EC2 assigned the instance — its id, DNS
//! names and addresses — never a Name tag or an alias, which anyone who may
//! tag could point at another instance.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use ssh_key::certificate::{Builder, CertType};
use ssh_key::{Certificate, PrivateKey, PublicKey};

use crate::aws::ec2::Instance;

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
    ca: &PrivateKey,
    instance: &Instance,
    key: &PublicKey,
    validity: Duration,
    private: bool,
) -> Result<Certificate> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let valid_after = now.saturating_sub(BACKDATE).as_secs();
    let valid_before = (now + validity.min(MAX_VALIDITY)).as_secs();
    let mut rng = ssh_key::rand_core::OsRng;
    let mut builder =
        Builder::new_with_random_nonce(&mut rng, key.key_data().clone(), valid_after, valid_before)
            .context("cannot start a certificate")?;
    let serial = ssh_key::rand_core::RngCore::next_u64(&mut rng).max(1);
    builder
        .serial(serial)?
        .key_id(key_id(instance))?
        .cert_type(CertType::Host)?
        .comment(format!("{} host certificate", instance.id))?;
    for principal in principals(instance, private) {
        builder.valid_principal(principal)?;
    }
    builder.sign(ca).context("cannot sign the certificate")
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

#[cfg(test)]
mod tests {
    use super::*;

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
            vpc: None,
            subnet: None,
        }
    }

    #[test]
    fn a_certificate_names_what_ec2_assigned_and_never_the_name_tag() {
        let mut rng = ssh_key::rand_core::OsRng;
        let ca = PrivateKey::random(&mut rng, ssh_key::Algorithm::Ed25519).unwrap();
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
