//! `seed`: generate an instance's host keys before it exists, so the first
//! connection needs no console output (SECURITY.md: seed records).
//!
//! The private keys go into the instance's user-data — as cloud-config
//! `ssh_keys:` or a shell script — or, with `--s3`, into a private S3 object
//! that the user-data fetches once through a presigned URL that expires in
//! minutes (anyone on the instance can read user-data later; by then the URL
//! is dead and the object deleted), and runs only if its SHA-256 is the one
//! pinned in the user-data. The public keys stay in the local seed store.
//!
//! A tag alone never binds a seed to an instance: anyone allowed to tag can
//! write `ec2-hostkey:seed=ID` on any instance. The binding is proven by the
//! instance's own user-data — every form `seed` prints carries the line
//! `# ec2-hostkey-seed: ID DIGEST` (DIGEST: [`keys_digest`] of the record's
//! public keys), read with ec2:DescribeInstanceAttribute — or made explicit
//! with `seed bind`. A record bound to one instance never vouches for another.
//!
//! The public keys stay in the seed store (`store::seeds`).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use ssh_key::{Algorithm, EcdsaCurve, LineEnding, PrivateKey};
use zeroize::Zeroizing;

use crate::aws;
use crate::store::known_hosts::KeyText;
use crate::store::seeds::{S3Object, SeedRecord, SeedStore, is_keys_digest, keys_digest};

pub use crate::aws::ec2::SEED_TAG;

/// A host key type `seed` generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Ed25519,
    Ecdsa,
    Rsa,
}

/// How the user-data installs the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CloudConfig,
    Script,
}

/// Where the private keys travel.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// In the user-data itself.
    UserData(Format),
    /// In a private S3 object (`s3://bucket/prefix`) the user-data fetches
    /// once through a presigned URL valid for `expires`.
    S3 { url: String, expires: Duration },
}

/// `seed --ca`: host certificates for the new keys, signed at seed time for
/// names the user chooses before launch (the instance's own are not known
/// yet), which cloud-init (`<type>_certificate`) or the script installs.
pub struct SeedCertificates<'a> {
    pub ca: &'a crate::store::ca::Authority,
    pub principals: &'a [String],
    pub validity: Duration,
}

/// A new seed of `types`: its record for the seed store (not yet bound to
/// any instance), the user-data that installs its keys (and with `certify`
/// their certificates), which names the seed and carries the proof of the
/// binding, and the certificates signed.
///
/// # Errors
/// A key cannot be generated or signed, the S3 URL is malformed, or the upload failed.
pub fn generate(
    aws: &aws::Config,
    types: &[KeyType],
    delivery: &Delivery,
    certify: Option<&SeedCertificates<'_>>,
) -> Result<(SeedRecord, Zeroizing<String>, Vec<ssh_key::Certificate>)> {
    let id = new_id();
    let keys: Vec<PrivateKey> = types
        .iter()
        .map(|t| generate_key(*t, &id))
        .collect::<Result<_>>()?;
    let certificates: Vec<ssh_key::Certificate> = match certify {
        Some(how) => keys
            .iter()
            .map(|key| {
                crate::trust::certify::sign_for(
                    how.ca,
                    key.public_key(),
                    &format!("ec2-hostkey-seed:{id}"),
                    how.principals,
                    how.validity,
                )
            })
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    let cert_lines: Vec<String> = certificates
        .iter()
        .map(|c| -> Result<String> {
            let line = c.to_openssh().context("cannot encode a certificate")?;
            Ok(line
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" "))
        })
        .collect::<Result<_>>()?;
    let mut s3 = None;
    let user_data = match delivery {
        Delivery::S3 { url, expires } => {
            let (bucket, key) = parse_s3_url(url, &id)?;
            let bundle = render_script(&keys, &id, &cert_lines)?;
            // Pinned in the user-data: computed over exactly the bytes uploaded.
            let pinned = sha256_hex(bundle.as_bytes());
            let (presigned, owner) = aws::block_on(aws::s3::upload_and_presign(
                aws,
                &bucket,
                &key,
                bundle.as_bytes(),
                *expires,
            ))?;
            s3 = Some(S3Object {
                bucket,
                key,
                deleted: false,
                owner: Some(owner),
            });
            let digest = keys_digest(&public_key_texts(&keys));
            Zeroizing::new(render_fetch_script(&presigned, &id, &pinned, &digest))
        }
        Delivery::UserData(Format::CloudConfig) => render_cloud_config(&keys, &id, &cert_lines)?,
        Delivery::UserData(Format::Script) => render_script(&keys, &id, &cert_lines)?,
    };
    let record = SeedRecord {
        id,
        keys: public_key_texts(&keys),
        created_at: crate::store::cache::now(),
        instance: None,
        s3,
    };
    Ok((record, user_data, certificates))
}

/// Deletes a seed's private-key object and records that it is gone.
///
/// # Errors
/// S3 refused the delete, or the record cannot be written.
pub fn delete_s3_object(
    aws: &aws::Config,
    quiet: bool,
    store: &SeedStore,
    record: &mut SeedRecord,
) -> Result<()> {
    let Some(object) = record.s3.as_mut().filter(|o| !o.deleted) else {
        return Ok(());
    };
    let owner = object.owner.as_deref();
    aws::block_on(aws::s3::delete(aws, &object.bucket, &object.key, owner))?;
    object.deleted = true;
    crate::text::note(
        quiet,
        &format!(
            "deleted s3://{}/{} (seed {}'s private keys)",
            object.bucket, object.key, record.id
        ),
    );
    store.put(record)
}

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    ssh_key::rand_core::RngCore::fill_bytes(&mut ssh_key::rand_core::OsRng, &mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("s-{hex}")
}

fn generate_key(key_type: KeyType, id: &str) -> Result<PrivateKey> {
    let algorithm = match key_type {
        KeyType::Ed25519 => Algorithm::Ed25519,
        KeyType::Ecdsa => Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256,
        },
        KeyType::Rsa => Algorithm::Rsa { hash: None },
    };
    let mut key = match key_type {
        KeyType::Rsa => {
            let keypair =
                ssh_key::private::RsaKeypair::random(&mut ssh_key::rand_core::OsRng, 3072)?;
            PrivateKey::from(keypair)
        }
        _ => PrivateKey::random(&mut ssh_key::rand_core::OsRng, algorithm)?,
    };
    key.set_comment(format!("ec2-hostkey-seed-{id}"));
    Ok(key)
}

/// cloud-init's name for a key type in `ssh_keys:`.
fn cloud_init_name(key: &PrivateKey) -> &'static str {
    match key.algorithm() {
        Algorithm::Ed25519 => "ed25519",
        Algorithm::Ecdsa { .. } => "ecdsa",
        _ => "rsa",
    }
}

/// The prefix of the line that binds a seed to the user-data it is in.
const BINDING_PREFIX: &str = "# ec2-hostkey-seed: ";

/// The `algorithm base64` public keys of `keys`, as the seed record keeps them.
fn public_key_texts(keys: &[PrivateKey]) -> Vec<String> {
    keys.iter()
        .map(|k| KeyText::of(k.public_key()).to_string())
        .collect()
}

/// The seed and keys digest named by `user_data`'s binding line, the first
/// line beginning `# ec2-hostkey-seed:` (a trailing `\r` ignored). That first
/// such line decides: it must be exactly `# ec2-hostkey-seed: ID DIGEST`, with
/// ID a seed id (`s-` + 16 hex) and DIGEST a [`keys_digest`], or there is no
/// binding; any later such lines are ignored.
pub fn binding_in_user_data(user_data: &[u8]) -> Option<(String, String)> {
    let marker = BINDING_PREFIX.trim_end().as_bytes();
    let line = user_data
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .find(|line| line.starts_with(marker))?;
    let rest = std::str::from_utf8(line)
        .ok()?
        .strip_prefix(BINDING_PREFIX)?;
    let (id, digest) = rest.split_once(' ')?;
    (is_seed_id(id) && is_keys_digest(digest)).then(|| (id.to_string(), digest.to_string()))
}

/// `s-` followed by 16 lowercase hex digits, as `seed` makes them.
pub fn is_seed_id(id: &str) -> bool {
    id.strip_prefix("s-").is_some_and(|hex| {
        hex.len() == 16
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn binding_line(id: &str, digest: &str) -> String {
    format!("{BINDING_PREFIX}{id} {digest}\n")
}

/// Lowercase hex SHA-256, as `sha256sum` prints it.
fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// Each key's private OpenSSH PEM (zeroized on drop) with its public key text.
fn pems_and_publics(keys: &[PrivateKey]) -> Result<Vec<(Zeroizing<String>, String)>> {
    keys.iter()
        .map(|key| -> Result<(Zeroizing<String>, String)> {
            Ok((
                key.to_openssh(LineEnding::LF)?,
                KeyText::of(key.public_key()).to_string(),
            ))
        })
        .collect()
}

/// A zeroized buffer big enough that rendering never reallocates it (a
/// reallocation would free a copy of the private keys without zeroizing it).
fn secret_buffer(
    parts: &[(Zeroizing<String>, String)],
    certificates: &[String],
) -> Zeroizing<String> {
    let capacity = 1024
        + parts
            .iter()
            .map(|(pem, public)| 2 * pem.len() + public.len() + 256)
            .sum::<usize>()
        + certificates.iter().map(|c| c.len() + 256).sum::<usize>();
    Zeroizing::new(String::with_capacity(capacity))
}

fn render_cloud_config(
    keys: &[PrivateKey],
    id: &str,
    certificates: &[String],
) -> Result<Zeroizing<String>> {
    let parts = pems_and_publics(keys)?;
    let digest = keys_digest(&public_key_texts(keys));
    let mut out = secret_buffer(&parts, certificates);
    let capacity = out.capacity();
    out.push_str("#cloud-config\n");
    out.push_str(&binding_line(id, &digest));
    out.push_str(&format!(
        "# ec2-hostkey seed {id}: host keys, verified by `ec2-hostkey` before the first connection.\nssh_deletekeys: true\nssh_keys:\n"
    ));
    for (key, (pem, public)) in keys.iter().zip(&parts) {
        let name = cloud_init_name(key);
        out.push_str(&format!("  {name}_private: |\n"));
        for line in pem.lines() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!("  {name}_public: {public}\n"));
    }
    // cloud-init writes /etc/ssh/ssh_host_<type>_key-cert.pub and the
    // HostCertificate line for each.
    for (key, certificate) in keys.iter().zip(certificates) {
        out.push_str(&format!(
            "  {}_certificate: {certificate}\n",
            cloud_init_name(key)
        ));
    }
    debug_assert_eq!(
        out.capacity(),
        capacity,
        "the secret buffer was reallocated"
    );
    Ok(out)
}

/// A shell script that installs the keys and restarts sshd.
fn render_script(
    keys: &[PrivateKey],
    id: &str,
    certificates: &[String],
) -> Result<Zeroizing<String>> {
    let parts = pems_and_publics(keys)?;
    let digest = keys_digest(&public_key_texts(keys));
    let mut out = secret_buffer(&parts, certificates);
    let capacity = out.capacity();
    out.push_str("#!/bin/sh\n");
    out.push_str(&binding_line(id, &digest));
    out.push_str(&format!(
        "# ec2-hostkey seed {id}: install host keys, verified by `ec2-hostkey` before the first connection.\nset -eu\numask 077\nrm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub\n"
    ));
    for (key, (pem, public)) in keys.iter().zip(&parts) {
        let name = cloud_init_name(key);
        out.push_str(&format!("cat > /etc/ssh/ssh_host_{name}_key <<'EOF_KEY'\n"));
        out.push_str(pem);
        if !pem.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("EOF_KEY\n");
        out.push_str(&format!(
            "echo '{public}' > /etc/ssh/ssh_host_{name}_key.pub\n"
        ));
    }
    if !certificates.is_empty() {
        out.push_str("mkdir -p /etc/ssh/sshd_config.d\n: > /etc/ssh/sshd_config.d/60-ec2-hostkey-certificates.conf\n");
    }
    for (key, certificate) in keys.iter().zip(certificates) {
        let name = cloud_init_name(key);
        out.push_str(&format!(
            "echo '{certificate}' > /etc/ssh/ssh_host_{name}_key-cert.pub\nchmod 644 /etc/ssh/ssh_host_{name}_key-cert.pub\necho 'HostCertificate /etc/ssh/ssh_host_{name}_key-cert.pub' >> /etc/ssh/sshd_config.d/60-ec2-hostkey-certificates.conf\n"
        ));
    }
    out.push_str("systemctl restart ssh 2>/dev/null || systemctl restart sshd 2>/dev/null || service ssh restart 2>/dev/null || true\n");
    debug_assert_eq!(
        out.capacity(),
        capacity,
        "the secret buffer was reallocated"
    );
    Ok(out)
}

/// The `--s3` user-data: download the key script once through the presigned
/// URL, and run it only if its SHA-256 is the pinned one (else exit 1, having
/// run nothing). POSIX sh; `sha256sum`, or `openssl dgst` without it.
const FETCH_SCRIPT: &str = r#"# ec2-hostkey seed @ID@: fetch the host key script once (the URL expires within minutes; the object is deleted after first use) and run it only if its SHA-256 is the one pinned here.
set -eu
umask 077
url=@URL@
want=@SHA256@
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
if ! { curl -fsS --retry 5 -o "$tmp" "$url" || wget -qO "$tmp" "$url"; }; then
  echo "ec2-hostkey seed @ID@: cannot download the host key script; not running anything" >&2
  exit 1
fi
if command -v sha256sum >/dev/null 2>&1; then
  got=$(sha256sum < "$tmp" | cut -d ' ' -f 1)
elif command -v openssl >/dev/null 2>&1; then
  got=$(openssl dgst -sha256 < "$tmp" | sed 's/^.*= *//')
else
  echo "ec2-hostkey seed @ID@: neither sha256sum nor openssl is installed to check the host key script; not running it" >&2
  exit 1
fi
if [ "$got" != "$want" ]; then
  echo "ec2-hostkey seed @ID@: the downloaded host key script does not match its pinned SHA-256 (got ${got:-nothing}, want $want); not running it" >&2
  exit 1
fi
sh "$tmp"
"#;

/// User-data that fetches the key script once through a presigned URL and
/// runs it only if its SHA-256 is `pinned_sha256` (lowercase hex of exactly
/// the uploaded bytes). `binding_digest` is the [`keys_digest`] of the seed's keys.
fn render_fetch_script(url: &str, id: &str, pinned_sha256: &str, binding_digest: &str) -> String {
    let mut out = String::from("#!/bin/sh\n");
    out.push_str(&binding_line(id, binding_digest));
    // The URL last, so nothing in it is ever taken for a placeholder.
    out.push_str(
        &FETCH_SCRIPT
            .replace("@ID@", id)
            .replace("@SHA256@", &sh_quote(pinned_sha256))
            .replace("@URL@", &sh_quote(url)),
    );
    out
}

/// `s` as one single-quoted shell word.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn parse_s3_url(url: &str, id: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .with_context(|| format!("--s3 takes s3://bucket/prefix, not {url:?}"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("--s3 takes s3://bucket/prefix, not {url:?}");
    }
    let prefix = prefix.trim_matches('/');
    let key = if prefix.is_empty() {
        format!("{id}.sh")
    } else {
        format!("{prefix}/{id}.sh")
    };
    Ok((bucket.to_string(), key))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use base64::Engine as _;
    use sha2::Digest as _;

    use super::*;

    #[test]
    fn cloud_config_carries_every_key_as_cloud_init_expects() {
        let keys = vec![
            generate_key(KeyType::Ed25519, "s-1").unwrap(),
            generate_key(KeyType::Ecdsa, "s-1").unwrap(),
        ];
        let text = render_cloud_config(&keys, "s-1", &[]).unwrap();
        assert!(text.starts_with("#cloud-config\n"));
        assert!(text.contains("  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n"));
        assert!(text.contains(&format!(
            "  ecdsa_public: {}\n",
            KeyText::of(keys[1].public_key())
        )));
    }

    fn two_keys(id: &str) -> Vec<PrivateKey> {
        vec![
            generate_key(KeyType::Ed25519, id).unwrap(),
            generate_key(KeyType::Ecdsa, id).unwrap(),
        ]
    }

    #[test]
    fn keys_digest_is_order_and_comment_independent() {
        let keys = public_key_texts(&two_keys("s-1"));
        let digest = keys_digest(&keys);
        assert!(is_keys_digest(&digest), "{digest}");
        let reversed: Vec<String> = keys.iter().rev().cloned().collect();
        assert_eq!(keys_digest(&reversed), digest);
        let commented: Vec<String> = keys.iter().map(|k| format!("{k} root@host")).collect();
        assert_eq!(keys_digest(&commented), digest);
        assert_ne!(keys_digest(&keys[..1]), digest);
        // SHA-256 of the sorted lines joined by "\n", unpadded base64.
        let mut sorted = keys.clone();
        sorted.sort();
        let expected = base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(Sha256::digest(sorted.join("\n").as_bytes()));
        assert_eq!(digest, format!("sha256:{expected}"));
    }

    #[test]
    fn every_user_data_form_carries_the_binding_to_its_keys() {
        let id = new_id();
        assert!(is_seed_id(&id), "{id}");
        let keys = two_keys(&id);
        let record_keys = public_key_texts(&keys);
        let digest = keys_digest(&record_keys);
        let cloud_config = render_cloud_config(&keys, &id, &[]).unwrap();
        let script = render_script(&keys, &id, &[]).unwrap();
        let fetch = render_fetch_script(
            "https://b.s3.amazonaws.com/s.sh?X-Amz-Signature=1&a=b",
            &id,
            &sha256_hex(script.as_bytes()),
            &digest,
        );
        let line = format!("# ec2-hostkey-seed: {id} {digest}\n");
        assert!(cloud_config.starts_with(&format!("#cloud-config\n{line}")));
        assert!(script.starts_with(&format!("#!/bin/sh\n{line}")));
        assert!(fetch.starts_with(&format!("#!/bin/sh\n{line}")));
        for user_data in [cloud_config.as_str(), script.as_str(), fetch.as_str()] {
            let (found_id, found_digest) = binding_in_user_data(user_data.as_bytes()).unwrap();
            assert_eq!(found_id, id);
            assert_eq!(found_digest, keys_digest(&record_keys));
        }
    }

    #[test]
    fn only_the_first_binding_line_counts_and_it_must_be_well_formed() {
        let a = keys_digest(&["ssh-ed25519 AAAA".to_string()]);
        let b = keys_digest(&["ssh-ed25519 BBBB".to_string()]);
        let id = "s-0123456789abcdef";
        let other = "s-fedcba9876543210";
        let text = format!(
            "#!/bin/sh\r\n# ec2-hostkey-seed: {id} {a}\r\n# ec2-hostkey-seed: {other} {b}\n"
        );
        assert_eq!(
            binding_in_user_data(text.as_bytes()),
            Some((id.to_string(), a.clone()))
        );
        // A malformed first binding line is no binding, whatever follows it.
        for bad in [
            format!("# ec2-hostkey-seed: {id}"),
            format!("# ec2-hostkey-seed: {id}  {a}"),
            format!("# ec2-hostkey-seed: {id} {a} extra"),
            format!("# ec2-hostkey-seed: {id} {a}="),
            format!("# ec2-hostkey-seed: s-0123 {a}"),
            format!("# ec2-hostkey-seed: S-0123456789ABCDEF {a}"),
            format!("# ec2-hostkey-seed: {id} md5:{}", &a["sha256:".len()..]),
            format!("# ec2-hostkey-seed: {id} sha256:AAAA"),
            format!("# ec2-hostkey-seed:{id} {a}"),
        ] {
            let text = format!("{bad}\n# ec2-hostkey-seed: {other} {b}\n");
            assert_eq!(binding_in_user_data(text.as_bytes()), None, "{bad}");
        }
        // Not at the start of a line: not a binding line.
        let text = format!("echo '# ec2-hostkey-seed: {id} {a}'\n");
        assert_eq!(binding_in_user_data(text.as_bytes()), None);
        assert_eq!(binding_in_user_data(b"\xff\xfe#cloud-config\n"), None);
    }

    #[test]
    fn private_keys_are_rendered_without_reallocating_the_zeroized_buffer() {
        // A debug_assert in each renderer checks the capacity (sized in
        // proportion to the keys, so RSA, slow to generate here, fits as well).
        let keys = two_keys("s-1");
        let script = render_script(&keys, "s-1", &[]).unwrap();
        assert!(script.contains(
            "cat > /etc/ssh/ssh_host_ecdsa_key <<'EOF_KEY'\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
        ));
        assert!(script.contains("-----END OPENSSH PRIVATE KEY-----\nEOF_KEY\n"));
        let cloud_config = render_cloud_config(&keys, "s-1", &[]).unwrap();
        assert!(
            cloud_config.contains("  ecdsa_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n")
        );
    }

    #[test]
    fn fetch_script_pins_the_digest_and_quotes_the_url() {
        let hex = sha256_hex(b"body");
        let script = render_fetch_script(
            "https://h/k?a=b&c='d'",
            "s-0123456789abcdef",
            &hex,
            "sha256:x",
        );
        assert!(script.contains(&format!("\nwant='{hex}'\n")), "{script}");
        assert!(
            script.contains(
                r#"
url='https://h/k?a=b&c='\''d'\'''
"#
            ),
            "{script}"
        );
        assert!(script.contains("\numask 077\n"));
        assert!(script.contains(r#"got=$(sha256sum < "$tmp" | cut -d ' ' -f 1)"#));
        assert!(script.contains(r#"got=$(openssl dgst -sha256 < "$tmp" | sed 's/^.*= *//')"#));
        assert!(script.contains(r#"trap 'rm -f "$tmp"' EXIT"#));
        // The download runs last, only after the comparison.
        let check = script.find(r#"if [ "$got" != "$want" ]; then"#).unwrap();
        let run = script.find(r#"sh "$tmp""#).unwrap();
        assert!(run > check);
        assert!(script.ends_with("fi\nsh \"$tmp\"\n"), "{script}");
        assert!(!script.contains('@'), "{script}");
    }

    fn have(command: &str) -> Option<PathBuf> {
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {command}")])
            .output()
            .ok()?;
        let path = String::from_utf8(out.stdout).ok()?;
        let path = path.trim();
        (out.status.success() && path.starts_with('/')).then(|| PathBuf::from(path))
    }

    /// Runs the fetch user-data with `sh` for a `file://` object (tampered
    /// with after the digest was pinned, or not), `PATH` holding only `tools`:
    /// whether the object ran, the exit status and stderr. None if a tool is missing.
    fn run_fetch(tools: &[&str], tamper: bool) -> Option<(bool, std::process::ExitStatus, String)> {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let tmp = dir.path().join("tmp");
        fs::create_dir(&bin).unwrap();
        fs::create_dir(&tmp).unwrap();
        for tool in tools {
            std::os::unix::fs::symlink(have(tool)?, bin.join(tool)).unwrap();
        }
        let marker = dir.path().join("ran");
        let body = format!("#!/bin/sh\necho ran > '{}'\n", marker.display());
        let object = dir.path().join("object.sh");
        fs::write(&object, &body).unwrap();
        let url = format!("file://{}", object.display());
        let script = render_fetch_script(
            &url,
            "s-0123456789abcdef",
            &sha256_hex(body.as_bytes()),
            "sha256:x",
        );
        if tamper {
            fs::write(&object, format!("{body}echo tampered\n")).unwrap();
        }
        let user_data = dir.path().join("user-data");
        fs::write(&user_data, script).unwrap();
        let out = std::process::Command::new(have("sh")?)
            .arg(&user_data)
            .env("PATH", &bin)
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        // The downloaded script never outlives the run.
        assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
        Some((
            marker.exists(),
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    #[test]
    fn fetch_script_runs_the_pinned_object_and_never_a_tampered_one() {
        runs_the_pinned_object_only(&["sh", "mktemp", "rm", "curl", "sha256sum", "cut"]);
    }

    #[test]
    fn fetch_script_checks_with_openssl_when_sha256sum_is_missing() {
        runs_the_pinned_object_only(&["sh", "mktemp", "rm", "curl", "openssl", "sed"]);
    }

    /// With only `tools` on PATH: the pinned object runs, a tampered one
    /// does not (exit 1, with the reason).
    fn runs_the_pinned_object_only(tools: &[&str]) {
        let Some((ran, status, stderr)) = run_fetch(tools, false) else {
            eprintln!("skipped: needs {tools:?}");
            return;
        };
        assert!(ran && status.success(), "{status}: {stderr}");
        let (ran, status, stderr) = run_fetch(tools, true).unwrap();
        assert!(!ran, "a tampered object ran");
        assert_eq!(status.code(), Some(1));
        assert!(
            stderr.contains("does not match its pinned SHA-256"),
            "{stderr}"
        );
    }

    #[test]
    fn fetch_script_refuses_to_run_what_it_cannot_check() {
        let tools = ["sh", "mktemp", "rm", "curl"];
        let Some((ran, status, stderr)) = run_fetch(&tools, false) else {
            eprintln!("skipped: needs {tools:?}");
            return;
        };
        assert!(!ran);
        assert_eq!(status.code(), Some(1));
        assert!(stderr.contains("neither sha256sum nor openssl"), "{stderr}");
    }

    #[test]
    fn s3_urls_name_bucket_and_key() {
        assert_eq!(
            parse_s3_url("s3://b/p/q/", "s-1").unwrap(),
            ("b".into(), "p/q/s-1.sh".into())
        );
        assert_eq!(
            parse_s3_url("s3://b", "s-1").unwrap(),
            ("b".into(), "s-1.sh".into())
        );
        assert!(parse_s3_url("https://b", "s-1").is_err());
    }

    #[test]
    fn certificates_ride_along_without_reallocating_the_secret_buffer() {
        let keys = vec![
            generate_key(KeyType::Ed25519, "s-1").unwrap(),
            generate_key(KeyType::Rsa, "s-1").unwrap(),
        ];
        // As long as an RSA host certificate with a few principals.
        let certificates = vec![
            format!("ssh-ed25519-cert-v01@openssh.com {}", "A".repeat(600)),
            format!("rsa-sha2-512-cert-v01@openssh.com {}", "B".repeat(2400)),
        ];
        let cloud_config = render_cloud_config(&keys, "s-1", &certificates).unwrap();
        assert!(cloud_config.contains(&format!("  ed25519_certificate: {}\n", certificates[0])));
        assert!(cloud_config.contains(&format!("  rsa_certificate: {}\n", certificates[1])));
        let script = render_script(&keys, "s-1", &certificates).unwrap();
        assert!(script.contains(&format!(
            "echo '{}' > /etc/ssh/ssh_host_rsa_key-cert.pub\n",
            certificates[1]
        )));
        assert!(script.contains(
            "echo 'HostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub' >> /etc/ssh/sshd_config.d/60-ec2-hostkey-certificates.conf\n"
        ));
    }
}
