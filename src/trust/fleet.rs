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

/// Every configured account's clients, one per region searched, and the
/// accounts that could not be asked.
pub struct Reach {
    pub clients: Vec<Ec2>,
    pub unreachable: Vec<Unreachable>,
}

/// A configured account that could not be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    /// `name (id)`.
    pub account: String,
    /// Why, naming the account, with the remedy.
    pub why: String,
}

impl Reach {
    /// Clients for every account's regions (with fleet-wide retries), the
    /// roles assumed all at once.
    ///
    /// # Errors
    /// The credentials' own account (no accounts configured) cannot be asked.
    pub async fn of(accounts: &[crate::aws::Config]) -> Result<Reach, crate::aws::ec2::Error> {
        let built = futures_util::future::join_all(accounts.iter().map(Ec2::for_fleet)).await;
        let mut reach = Reach {
            clients: Vec::new(),
            unreachable: Vec::new(),
        };
        for (config, ec2) in accounts.iter().zip(built) {
            match (ec2, config.account_label()) {
                (Ok(ec2), _) => reach.clients.extend(ec2.with_regions(&config.regions)),
                (Err(err), None) => return Err(err),
                (Err(err), Some(label)) => reach.unreachable.push(unreachable(&label, &err)),
            }
        }
        Ok(reach)
    }

    /// The answer of `ask` from every client, all at once; a configured
    /// account whose client fails is added to the unreachable ones (the
    /// credentials' own account failing is the error).
    ///
    /// # Errors
    /// As [`Reach::of`].
    pub async fn ask<'a, T, F>(
        &'a mut self,
        ask: impl Fn(&'a Ec2) -> F,
    ) -> Result<Vec<(Ec2, T)>, crate::aws::ec2::Error>
    where
        F: std::future::Future<Output = Result<T, crate::aws::ec2::Error>>,
    {
        let answers = futures_util::future::join_all(self.clients.iter().map(ask)).await;
        let mut out = Vec::new();
        let mut failed: Vec<Unreachable> = Vec::new();
        for (ec2, answer) in self.clients.iter().zip(answers) {
            match (answer, ec2.account()) {
                (Ok(answer), _) => out.push((ec2.clone(), answer)),
                (Err(err), None) => return Err(err),
                // One account, said once, whichever of its regions failed.
                (Err(_), Some(label)) if failed.iter().any(|u| u.account == label) => {}
                (Err(err), Some(label)) => failed.push(unreachable(label, &err)),
            }
        }
        self.unreachable.extend(failed);
        Ok(out)
    }
}

/// Warns once about each account that could not be asked, saying what was
/// done without it.
pub fn warn_unreachable(accounts: &[Unreachable], without: &str) {
    for account in accounts {
        crate::text::warn(false, &format!("{}; {without}", account.why));
    }
}

/// Why an account could not be asked, naming it.
fn unreachable(label: &str, err: &crate::aws::ec2::Error) -> Unreachable {
    Unreachable {
        account: label.to_string(),
        why: match err {
            crate::aws::ec2::Error::RoleRefused { .. } => err.to_string(),
            _ => format!("account {label}: {err}"),
        },
    }
}

pub struct Fleet {
    pub instances: Vec<Instance>,
    /// The clients the instances were found with (one per account and region).
    pub clients: Vec<Ec2>,
    /// The accounts that could not be asked: names their instances hold
    /// are unknown, never free.
    pub unreachable: Vec<Unreachable>,
    /// Instances EC2 reports terminated (or terminating) where it was asked:
    /// gone for certain, whichever account could not be asked.
    pub gone: std::collections::BTreeSet<String>,
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
    /// The instances of every account and region of `reach`, asked at once.
    ///
    /// # Errors
    /// A region of the credentials' own account could not be asked: a
    /// fleet with a region missing would call that region's names free. (A
    /// configured account that cannot be asked is listed in
    /// [`Fleet::unreachable`] instead.)
    pub async fn load(mut reach: Reach) -> Result<Fleet, crate::aws::ec2::Error> {
        let answers = reach.ask(|ec2| ec2.describe(&Query::All)).await?;
        let mut instances: Vec<Instance> =
            answers.into_iter().flat_map(|(_, found)| found).collect();
        let gone = instances
            .iter()
            .filter(|i| i.state == "terminated" || i.state == "shutting-down")
            .map(|i| i.id.clone())
            .collect();
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
            clients: reach.clients,
            unreachable: reach.unreachable,
            gone,
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

    /// The accounts that could not be asked, for a sentence.
    pub fn unreachable_accounts(&self) -> String {
        let names: Vec<&str> = self
            .unreachable
            .iter()
            .map(|u| u.account.as_str())
            .collect();
        names.join(", ")
    }

    /// Each account's first client, with the regions it was asked in.
    pub fn accounts(&self) -> Vec<(&Ec2, Vec<String>)> {
        let mut out: Vec<(&Ec2, Vec<String>)> = Vec::new();
        for ec2 in &self.clients {
            match out
                .iter_mut()
                .find(|(first, _)| first.account() == ec2.account())
            {
                Some((_, regions)) => regions.push(ec2.region()),
                None => out.push((ec2, vec![ec2.region()])),
            }
        }
        out
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

    /// The client of `instance`'s account, in its region: its console is read there.
    pub fn client_for(&self, instance: &Instance) -> Option<Ec2> {
        let mut mine = self
            .clients
            .iter()
            .filter(|c| c.account() == instance.account_name.as_deref());
        match mine.clone().find(|c| c.region() == instance.region) {
            Some(ec2) => Some(ec2.clone()),
            None => Some(mine.next()?.in_region(&instance.region)),
        }
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
            let Some(ec2) = self.client_for(&instance) else {
                continue;
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
