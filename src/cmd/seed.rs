//! `seed`: generate an instance's host keys before it exists, so the first
//! connection needs no console output (SECURITY.md, trust rule 1b); `seed
//! bind` links a seed to an instance by hand; `seed cleanup` deletes S3
//! objects of seeds never used. The keys and user-data come from
//! `trust::seed`; the public keys are kept in `store::seeds`.

use std::io::{IsTerminal, Write};

use anyhow::{Result, bail};

use super::settings::Settings;
use crate::cli::{SeedAction, SeedArgs, SeedFormat, SeedGenArgs, SeedKeyType};
use crate::store::files::write_private;
use crate::store::seeds::{SeedRecord, SeedStore};
use crate::text::note;
use crate::trust::seed::{self, Delivery, Format, KeyType, SEED_TAG};

pub fn run(settings: &Settings, args: &SeedArgs) -> Result<()> {
    match &args.action {
        Some(SeedAction::Bind { id, instance }) => bind(settings, id, instance),
        Some(SeedAction::Cleanup) => cleanup(settings),
        None => generate(settings, &args.generate),
    }
}

fn generate(settings: &Settings, args: &SeedGenArgs) -> Result<()> {
    // A configured seed bucket makes S3 delivery the default; --inline opts out.
    let s3 = match (&args.s3, args.inline) {
        (Some(url), _) => Some(url.clone()),
        (None, false) => settings.file.seed_bucket.clone(),
        (None, true) => None,
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    if to_terminal && s3.is_none() {
        bail!(
            "refusing to print private host keys to a terminal; write them to a file with --output user-data.txt (created 0600), or use --s3 to keep them out of the user-data"
        );
    }
    // Refuse an untrustworthy store before any key exists or leaves the machine.
    let store = SeedStore::open()?;
    let types: Vec<KeyType> = if args.key_type.is_empty() {
        vec![KeyType::Ed25519]
    } else {
        args.key_type
            .iter()
            .map(|t| match t {
                SeedKeyType::Ed25519 => KeyType::Ed25519,
                SeedKeyType::Ecdsa => KeyType::Ecdsa,
                SeedKeyType::Rsa => KeyType::Rsa,
            })
            .collect()
    };
    let delivery = match (&s3, args.format) {
        (Some(url), _) => Delivery::S3 {
            url: url.clone(),
            expires: args.expires,
        },
        (None, SeedFormat::CloudConfig) => Delivery::UserData(Format::CloudConfig),
        (None, SeedFormat::Script) => Delivery::UserData(Format::Script),
    };
    let authority = match &args.ca {
        Some(path) => {
            let path = Settings::ca_path(&crate::cli::CaFileArgs { path: path.clone() })?;
            Some((crate::store::ca::load(&path)?, path))
        }
        None => None,
    };
    for principal in &args.principal {
        let odd = |c: char| c.is_whitespace() || c.is_control() || "*?,![]".contains(c);
        if principal.is_empty() || principal.chars().any(odd) {
            bail!("--principal {principal:?}: one name, with no spaces, commas or wildcards");
        }
    }
    let certify = authority.as_ref().map(|(ca, _)| seed::SeedCertificates {
        ca,
        principals: &args.principal,
        validity: args.cert_validity,
    });
    let (record, user_data, certificates) =
        seed::generate(&settings.aws, &types, &delivery, certify.as_ref())?;
    if let Some((_, ca_path)) = &authority {
        let label = format!("seed:{}", record.id);
        let issued: Vec<crate::store::ca::Issued> = certificates
            .iter()
            .map(|cert| crate::store::ca::Issued::of(&label, cert))
            .collect();
        crate::store::ca::record_issued(ca_path, &issued)?;
    }
    store.put(&record)?;
    match &args.output {
        Some(path) => write_private(path, user_data.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(user_data.as_bytes())?;
            out.flush()?;
        }
    }
    let id = &record.id;
    let quiet = settings.quiet;
    if s3.is_none() {
        // Said even with --quiet: the user-data now holds private keys.
        crate::text::warn(
            false,
            "the user-data holds the private host keys: anything on the instance can read them from its metadata for its whole life, and so can anyone with ec2:DescribeInstanceAttribute (AWS's ReadOnlyAccess grants it); for production use --s3 s3://BUCKET/PREFIX, which puts only a presigned URL that expires in the user-data",
        );
    }
    note(
        quiet,
        &format!(
            "seed {id}: {} host key(s) generated; public keys kept in the seed store",
            record.keys.len()
        ),
    );
    note(
        quiet,
        "launch with --user-data file://… : the user-data names the seed and proves which instance it belongs to",
    );
    if !quiet {
        eprintln!(
            "  (optional, for people reading the console: --tag-specifications 'ResourceType=instance,Tags=[{{Key={SEED_TAG},Value={id}}}]')"
        );
    }
    note(
        quiet,
        &format!(
            "or, if the user-data cannot carry it, link it yourself: ec2-hostkey seed bind {id} INSTANCE-ID"
        ),
    );
    Ok(())
}

fn bind(settings: &Settings, id: &str, instance: &str) -> Result<()> {
    let store = SeedStore::open()?;
    store.bind(id, instance)?;
    note(settings.quiet, &format!("seed {id} bound to {instance}"));
    Ok(())
}

fn cleanup(settings: &Settings) -> Result<()> {
    let store = SeedStore::open()?;
    let pending: Vec<SeedRecord> = store
        .all()
        .into_iter()
        .filter(|r| r.s3.as_ref().is_some_and(|o| !o.deleted))
        .collect();
    for mut record in pending {
        seed::delete_s3_object(&settings.aws, settings.quiet, &store, &mut record)?;
    }
    // What is left, every version and delete marker counted: on a
    // versioned bucket a plain delete would have left the keys readable.
    let mut left = Vec::new();
    for record in store.all() {
        let Some(object) = &record.s3 else { continue };
        let owner = object.owner.as_deref();
        let count = crate::aws::block_on(crate::aws::s3::versions_left(
            &settings.aws,
            &object.bucket,
            &object.key,
            owner,
        ))?;
        if count > 0 {
            left.push(format!(
                "s3://{}/{} (seed {}): {count} version(s) left",
                object.bucket, object.key, record.id
            ));
        }
    }
    if !left.is_empty() {
        bail!(
            "seed objects are still in S3: {}; delete them (every version) or allow s3:DeleteObjectVersion and run `ec2-hostkey seed cleanup` again",
            left.join("; ")
        );
    }
    note(
        settings.quiet,
        "no seed object is left in S3 (every version checked)",
    );
    Ok(())
}
