//! Deciding whether a presented host key is the instance's, shared by every
//! command: from the cache when the name was verified recently (no AWS client
//! is built), otherwise by resolving the target and reading its console output.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use ssh_key::PublicKey;

use crate::cache::{Cache, InstanceRecord, NameRecord};
use crate::cli::{AddressMode, Global};
use crate::ec2::{Instance, Side};
use crate::resolve::{self, Target};
use crate::seed::{self, SeedRecord, SeedStore};
use crate::sources::{self, console::ConsoleKeys};

/// What the cache remembers about a name: where it led, and the keys verified there.
pub struct Warm {
    pub name: NameRecord,
    pub keys: InstanceRecord,
}

impl Warm {
    /// The cached verification of `lookup_name`, if fresh and on the side `--address` asks for.
    pub fn load(cache: &Cache, lookup_name: &str, mode: AddressMode) -> Option<Warm> {
        let name = cache.name(lookup_name)?;
        let wanted = match mode {
            AddressMode::Auto => None,
            AddressMode::Public => Some(Side::Public),
            AddressMode::Private => Some(Side::Private),
        };
        if wanted.is_some() && name.side != wanted {
            return None;
        }
        let keys = cache.instance(&name.instance)?;
        keys.public_keys()?;
        Some(Warm { name, keys })
    }
}

/// The instance a target names, and the keys a trusted source vouches for.
pub struct Cold {
    pub instance: Instance,
    pub console: ConsoleKeys,
    pub source: Source,
}

/// Where trusted keys came from (DESIGN.md, trust rule 1).
pub enum Source {
    Console,
    Seed(SeedRecord),
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Console => "the instance's console output".into(),
            Source::Seed(record) => format!("seed {}", record.id),
        }
    }

    /// A seed's S3 object has done its job once a connection verified: delete it.
    pub fn after_verified_connection(&self, global: &Global) {
        let Source::Seed(record) = self else { return };
        if record.s3.as_ref().is_none_or(|o| o.deleted) {
            return;
        }
        let mut record = record.clone();
        let result =
            SeedStore::open().and_then(|store| seed::delete_s3_object(global, &store, &mut record));
        if let Err(err) = result {
            eprintln!("ec2-hostkey: warning: {err:#}");
        }
    }
}

/// Resolves `target` and fetches its console keys through the EC2 API.
///
/// # Errors
/// Any resolve, AWS or console failure, typed for the exit code.
pub fn cold_lookup(global: &Global, target: &Target, wait: Duration) -> Result<Cold> {
    block_on(async {
        let started = Instant::now();
        let (ec2, instance) = locate_running(global, target, wait).await?;
        let wait = wait.saturating_sub(started.elapsed());
        tracing::debug!(?instance, "resolved");
        if let Some(record) = seeded(&instance) {
            let console = ConsoleKeys {
                keys: record.public_keys().unwrap_or_default(),
                fingerprints: Vec::new(),
            };
            return Ok(Cold {
                instance,
                console,
                source: Source::Seed(record),
            });
        }
        let console = sources::console_keys(&ec2, &instance.id, wait).await?;
        Ok(Cold {
            instance,
            console,
            source: Source::Console,
        })
    })
}

/// Locates the instance, waiting up to `wait` while it is still pending
/// (ssh run right after run-instances).
async fn locate_running(
    global: &Global,
    target: &Target,
    wait: Duration,
) -> Result<(crate::ec2::Ec2, Instance), resolve::Error> {
    let deadline = Instant::now() + wait;
    loop {
        let found = resolve::locate(
            &global.region,
            global.profile.as_deref(),
            target,
            resolve::Options::from_global(global),
        )
        .await;
        match found {
            Err(resolve::Error::NotRunning { id, state, .. })
                if state == "pending" && Instant::now() + PENDING_POLL < deadline =>
            {
                if !global.quiet {
                    let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                    eprintln!(
                        "ec2-hostkey: waiting for {id} to start (pending; up to {left}s more)"
                    );
                }
                tokio::time::sleep(PENDING_POLL).await;
            }
            other => return other,
        }
    }
}

/// How often a pending instance is asked about again.
const PENDING_POLL: Duration = Duration::from_secs(2);

/// The seed record for this instance — named by its seed tag, or bound to it
/// with `seed bind` — if the local store has one.
pub fn seeded(instance: &Instance) -> Option<SeedRecord> {
    let store = SeedStore::open().ok()?;
    let Some(seed_id) = instance.seed.as_deref() else {
        return store.bound_to(&instance.id);
    };
    let record = store.trusted_for(&instance.id, seed_id);
    if record.is_none() {
        tracing::debug!(
            "seed {seed_id} not usable for {}; using the console",
            instance.id
        );
    }
    record
}

/// Runs the AWS part of a command to completion.
pub fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    runtime()?.block_on(future)
}

/// A single-threaded runtime: the SDK's futures need one, nothing else does.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Records a console verification in the cache.
pub fn remember(
    cache: Option<&Cache>,
    instance: &Instance,
    keys: &[PublicKey],
    lookup_name: &str,
    address: &str,
    names: &[String],
) {
    let Some(cache) = cache else { return };
    cache.put_instance(&InstanceRecord::new(&instance.id, keys, "console"));
    cache.put_name(&NameRecord {
        name: lookup_name.to_string(),
        instance: instance.id.clone(),
        address: address.to_string(),
        names: names.to_vec(),
        resolved_at: crate::cache::now(),
        side: Some(instance.side),
    });
}
