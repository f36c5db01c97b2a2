//! A snapshot of the region's instances for the commands that look at many
//! names at once (`repair`, `forget`): which instance holds each name now,
//! and the verified keys of the instances that matter.

use std::collections::HashMap;
use std::sync::Arc;

use ssh_key::PublicKey;

use crate::cache::{Cache, InstanceRecord};
use crate::ec2::{Ec2, Instance, Query};
use crate::sources::console;

/// Console fetches in flight at once: well inside EC2's API rate limits.
const CONSOLE_CONCURRENCY: usize = 8;

pub struct Fleet {
    pub instances: Vec<Instance>,
    /// Lowercased id / Name tag / DNS names / IPs → index into `instances`.
    by_name: HashMap<String, usize>,
}

impl Fleet {
    pub async fn load(ec2: &Ec2) -> Result<Fleet, crate::ec2::Error> {
        let mut instances = ec2.describe(&Query::All).await?;
        // Running instances win a name over stopped or terminated ones.
        instances.sort_by_key(|i| i.state != "running");
        let mut by_name = HashMap::new();
        for (index, instance) in instances.iter().enumerate() {
            for name in names_of(instance) {
                by_name.entry(name).or_insert(index);
            }
        }
        Ok(Fleet { instances, by_name })
    }

    /// The instance that holds `name` (any state).
    pub fn holder(&self, name: &str) -> Option<&Instance> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.instances[i])
    }

    /// Every name any instance holds: the candidates for hashed entries.
    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// Verified keys for each of `ids`: from the cache, else the console's KEYS block.
    /// Instances whose keys cannot be had are absent from the result.
    pub async fn verified_keys(
        ec2: &Ec2,
        cache: Option<&Cache>,
        ids: Vec<String>,
    ) -> HashMap<String, Vec<PublicKey>> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        for id in ids {
            match cache
                .and_then(|c| c.instance(&id))
                .and_then(|r| r.public_keys())
            {
                Some(keys) => {
                    out.insert(id, keys);
                }
                None => missing.push(id),
            }
        }
        let permits = Arc::new(tokio::sync::Semaphore::new(CONSOLE_CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for id in missing {
            let ec2 = ec2.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire().await;
                let keys = match ec2.console_output(&id, false).await {
                    Ok(Some(bytes)) => console::parse(&bytes).map(|c| c.keys).unwrap_or_default(),
                    _ => Vec::new(),
                };
                (id, keys)
            });
        }
        while let Some(Ok((id, keys))) = tasks.join_next().await {
            if !keys.is_empty() {
                if let Some(cache) = cache {
                    cache.put_instance(&InstanceRecord::new(&id, &keys, "console"));
                }
                out.insert(id, keys);
            }
        }
        out
    }
}

/// The names an instance can be reached by, lowercased.
pub fn names_of(instance: &Instance) -> Vec<String> {
    [
        Some(&instance.id),
        instance.name.as_ref(),
        instance.public_dns.as_ref(),
        instance.public_ip.as_ref(),
        instance.private_dns.as_ref(),
        instance.private_ip.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|n| n.to_ascii_lowercase())
    .collect()
}

/// Whether a name is shaped like one only EC2 hands out (so an entry for it
/// that no instance holds any more is an orphan, not someone else's host).
pub fn is_ec2_shaped(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    (name.starts_with("ec2-") && name.ends_with(".amazonaws.com"))
        || name.ends_with(".compute.internal")
        || name.ends_with(".ec2.internal")
        || matches!(
            crate::resolve::Target::classify(&name),
            crate::resolve::Target::InstanceId(_)
        )
}
