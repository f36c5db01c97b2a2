//! A snapshot of the configured regions' instances for the commands that look at many
//! names at once (`repair`, `forget`): which instance holds each name now,
//! which names are AWS-assigned public ones, and the verified keys of the
//! instances that matter (by the one trust policy, `verify`).

use std::collections::HashMap;
use std::sync::Arc;

use ssh_key::PublicKey;

use crate::aws::ec2::{Ec2, Instance, Query};
use crate::store::cache::Cache;
use crate::trust::names::PublicNames;
use crate::trust::policy::Sources;
use crate::trust::publish::{self, Publisher};

/// Verifications in flight at once: well inside EC2's API rate limits.
const CONCURRENCY: usize = 8;

pub struct Fleet {
    pub instances: Vec<Instance>,
    /// Lowercased id / Name tag / DNS names / IPs → indexes into `instances`.
    by_name: HashMap<String, Vec<usize>>,
    pub public: PublicNames,
}

/// Who holds a name now.
#[derive(Debug)]
pub enum Holder<'a> {
    One(&'a Instance),
    /// Several running instances (a Name tag used twice): not ours to pick.
    Ambiguous(Vec<&'a str>),
    Nobody,
}

impl Fleet {
    /// The instances of every region of `regions` (one client each), asked at once.
    ///
    /// # Errors
    /// A region could not be asked: a fleet with a region missing would
    /// call that region's names free.
    pub async fn load(regions: &[Ec2]) -> Result<Fleet, crate::aws::ec2::Error> {
        let answers =
            futures_util::future::join_all(regions.iter().map(|ec2| ec2.describe(&Query::All)))
                .await;
        let mut instances = Vec::new();
        for answer in answers {
            instances.extend(answer?);
        }
        // Running instances win a name over stopped ones; terminated ones hold none.
        instances.retain(|i| i.state != "terminated" && i.state != "shutting-down");
        instances.sort_by_key(|i| i.state != "running");
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, instance) in instances.iter().enumerate() {
            for name in names_of(instance) {
                let holders = by_name.entry(name).or_default();
                if !holders.contains(&index) {
                    holders.push(index);
                }
            }
        }
        let public = PublicNames::of(&instances);
        Ok(Fleet {
            instances,
            by_name,
            public,
        })
    }

    /// The instance that holds `name` now.
    pub fn holder(&self, name: &str) -> Holder<'_> {
        let Some(indexes) = self.by_name.get(&name.to_ascii_lowercase()) else {
            return Holder::Nobody;
        };
        let running: Vec<&Instance> = indexes
            .iter()
            .map(|&i| &self.instances[i])
            .filter(|i| i.state == "running")
            .collect();
        match running.len() {
            0 => Holder::One(&self.instances[indexes[0]]),
            1 => Holder::One(running[0]),
            _ => Holder::Ambiguous(running.iter().map(|i| i.id.as_str()).collect()),
        }
    }

    /// The running instance whose public DNS name or public IP `name` is.
    pub fn public_holder(&self, name: &str) -> Option<&Instance> {
        let name = name.to_ascii_lowercase();
        self.instances.iter().find(|i| {
            i.state == "running" && i.public_names().any(|n| n.eq_ignore_ascii_case(&name))
        })
    }

    /// Instances among `ids` that live in an enabled region other than
    /// `asked` (their state as AWS reports it, terminated included).
    ///
    /// # Errors
    /// The enabled regions, or one of them, could not be asked.
    pub async fn find_elsewhere(
        ec2: &Ec2,
        asked: &[String],
        ids: Vec<String>,
    ) -> Result<Vec<Instance>, crate::aws::ec2::Error> {
        let others: Vec<Ec2> = ec2
            .regions()
            .await?
            .into_iter()
            .filter(|r| !asked.contains(r))
            .map(|r| ec2.in_region(&r))
            .collect();
        let query = Query::Filter {
            name: "instance-id",
            values: ids,
        };
        let answers =
            futures_util::future::join_all(others.iter().map(|ec2| ec2.describe(&query))).await;
        let mut found = Vec::new();
        for answer in answers {
            found.extend(answer?);
        }
        Ok(found)
    }

    pub fn by_id(&self, id: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.id == id)
    }

    /// The AWS-assigned public names of running instances: the names an
    /// unmarked hashed entry may hide that are ours to judge.
    pub fn public_names(&self) -> impl Iterator<Item = &str> {
        self.instances
            .iter()
            .filter(|i| i.state == "running")
            .flat_map(Instance::public_names)
    }

    /// Verified keys for each of `ids` by the one trust policy. Instances
    /// whose keys cannot be had now are absent from the result (with why).
    /// With a `publisher`, what a source verified goes to the team store.
    pub async fn verified_keys(
        &self,
        ec2: &Ec2,
        cache: Option<&Cache>,
        ids: Vec<String>,
        port: u16,
        sources: &Sources,
        publisher: Option<&Publisher>,
    ) -> (HashMap<String, Vec<PublicKey>>, HashMap<String, String>) {
        let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let Some(instance) = self.by_id(&id).cloned() else {
                continue;
            };
            // Each instance's console is read in its own region.
            let ec2 = if instance.region == ec2.region() {
                ec2.clone()
            } else {
                ec2.in_region(&instance.region)
            };
            let (permits, cache) = (permits.clone(), cache.cloned());
            let sources = sources.clone();
            let publisher = publisher.cloned();
            tasks.spawn(async move {
                let _permit = permits.acquire().await;
                let found = crate::trust::policy::keys_without_connection(
                    &ec2,
                    instance.clone(),
                    cache.as_ref(),
                    port,
                    true,
                    &sources,
                )
                .await;
                if let (Some(publisher), Ok(found)) = (&publisher, &found)
                    && let Some(result) = publisher.publish_found(&instance, found).await
                {
                    publish::report(publisher.url(), &instance, &result, true);
                }
                (id, found.map(|found| found.keys))
            });
        }
        let mut keys = HashMap::new();
        let mut why = HashMap::new();
        while let Some(Ok((id, found))) = tasks.join_next().await {
            match found {
                Ok(found) => {
                    keys.insert(id, found);
                }
                Err(err) => {
                    why.insert(id, format!("{err:#}"));
                }
            }
        }
        (keys, why)
    }
}

/// The names an instance can be reached by, lowercased. A Name tag spelled
/// like an id, an EC2 DNS name or an address is left out: anyone may set
/// it, and it would claim a name only AWS hands out.
pub fn names_of(instance: &Instance) -> Vec<String> {
    let tag = instance.name.as_ref().filter(|tag| {
        !crate::aws::shapes::is_ec2_shaped(&tag.to_ascii_lowercase())
            && tag.parse::<std::net::IpAddr>().is_err()
    });
    [
        Some(&instance.id),
        tag,
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
