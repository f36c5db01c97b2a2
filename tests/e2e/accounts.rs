//! Many accounts (`[[accounts]]` in the config file): instances in three
//! accounts, each reached through a role the testbed's STS hands out
//! (moto keeps each account's instances apart), looked up in all at once.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::*;

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const D: &str = "444444444444";
const E: &str = "555555555555";

/// Three accounts, each a role assumed with the test's base credentials.
fn configure(sim: &Sim) {
    let dir = sim.home().join(".config/ec2-hostkey");
    fs::create_dir_all(&dir).unwrap();
    let mut text = String::from("regions = [\"us-east-1\"]\n");
    for (name, id) in [("alpha", A), ("beta", B), ("gamma", C)] {
        text.push_str(&format!(
            "\n[[accounts]]\nname = \"{name}\"\nrole_arn = \"{}\"\n",
            Sim::role_in(id)
        ));
    }
    fs::write(dir.join("config.toml"), text).unwrap();
}

/// The keys `id`'s sshd holds now.
fn keys_of(sim: &Sim, id: &str) -> Vec<String> {
    sim.host_keys()[id].clone()
}

fn count(calls: &[String], action: &str) -> usize {
    calls.iter().filter(|c| *c == action).count()
}

#[test]
fn ssh_reaches_instances_in_every_account_by_id_and_name_and_a_shared_name_is_ambiguous() {
    let sim = Sim::start();
    configure(&sim);
    let web = sim.launch(Launch::named("web").in_account(A));
    let db = sim.launch(Launch::named("db").in_account(B));
    let cache = sim.launch(Launch::named("cache").in_account(C));
    let api_a = sim.launch(Launch::named("api").in_account(A));
    let api_a2 = sim.launch(Launch::named("API").in_account(A));
    let api_c = sim.launch(Launch::named("api").in_account(C));
    let keys = sim.host_keys();
    let kh = sim.path("known_hosts");

    // By id and by Name tag, in each account: strict OpenSSH, nothing to accept.
    for (host, instance) in [
        (web.id.as_str(), &web),
        ("db", &db),
        (cache.id.as_str(), &cache),
        ("web", &web),
    ] {
        let out = sim.ssh(host, &kh, "", &["true"]);
        assert!(out.status.success(), "ssh {host}: {}", stderr(&out));
        assert_eq!(
            keygen_find(&kh, &instance.ip),
            keys[&instance.id],
            "{host}: the keys its sshd holds, recorded for its address"
        );
    }

    // Warm: the same connections again ask AWS nothing, roles included.
    sim.reset_calls();
    for host in [web.id.as_str(), "db"] {
        let out = sim.ssh(host, &kh, "", &["true"]);
        assert!(out.status.success(), "ssh {host}: {}", stderr(&out));
    }
    assert_eq!(
        sim.calls(),
        Vec::<String>::new(),
        "the warm path makes no API call"
    );

    // KnownHostsCommand (no file written) for gamma's instance by its address.
    let empty = sim.path("empty_known_hosts");
    fs::write(&empty, "").unwrap();
    let options = [format!("KnownHostsCommand={BIN} known-hosts %H %t %K")];
    let out = sim.ssh_opts(&cache.ip, &empty, &options, &[], &["echo", "ok"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(fs::read(&empty).unwrap().is_empty());

    // `api` is a Name tag in two accounts (twice in alpha, in any case):
    // which one is meant cannot be told.
    let out = sim.run_bin(&["fetch", "api"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("matches 3 running instances"), "{err}");
    for (id, account) in [
        (&api_a.id, "alpha (111111111111)"),
        (&api_a2.id, "alpha (111111111111)"),
        (&api_c.id, "gamma (333333333333)"),
    ] {
        assert!(
            err.contains(&format!("{id} in us-east-1 of {account}")),
            "the error lists each holder with its account: {err}"
        );
    }
    assert!(
        err.contains("--account"),
        "the remedy names --account: {err}"
    );
    assert!(keygen_find(&kh, &api_a.ip).is_empty() && keygen_find(&kh, &api_c.ip).is_empty());

    // Narrowed by name or id, it is one instance; ssh reaches it.
    for narrow in ["--account gamma", &format!("--account {C}")] {
        let out = sim.ssh("api", &kh, narrow, &["true"]);
        assert!(out.status.success(), "{narrow}: {}", stderr(&out));
    }
    assert_eq!(keygen_find(&kh, &api_c.ip), keys[&api_c.id]);
    assert!(
        keygen_find(&kh, &api_a.ip).is_empty(),
        "alpha's api untouched"
    );

    // --account narrows the search: an instance of another account is not found there.
    let out = sim.run_bin(&["fetch", "--account", "alpha", &db.id]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // A name that is no account is a usage error listing the accounts.
    let out = sim.run_bin(&["fetch", "--account", "omega", &db.id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("alpha (111111111111), beta (222222222222), gamma (333333333333)"),
        "{}",
        stderr(&out)
    );

    // The instance meant is stopped; another account's running one of that
    // name does not win meanwhile.
    let queue_b = sim.launch(Launch::named("queue").in_account(B));
    let queue_c = sim.launch(Launch::named("queue").in_account(C));
    sim.stop_in(B, &queue_b.id);
    let out = sim.run_bin(&["fetch", "queue"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{} (stopped) in us-east-1 of beta", queue_b.id))
            && stderr(&out).contains(&queue_c.id),
        "{}",
        stderr(&out)
    );

    // An account kept out of every search (search = false: its CloudTrail
    // would see each name looked up) is asked only when named.
    let config = sim.home().join(".config/ec2-hostkey/config.toml");
    let mut text = fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[[accounts]]\nname = \"delta\"\nrole_arn = \"{}\"\nsearch = false\n",
        Sim::role_in(D)
    ));
    fs::write(&config, text).unwrap();
    let web_d = sim.launch(Launch::named("web").in_account(D));
    sim.reset_calls();
    let out = sim.run_bin(&["fetch", "--no-cache", "web"]);
    assert!(
        out.status.success(),
        "delta is not searched: {}",
        stderr(&out)
    );
    assert!(stdout(&out).contains(&web.ip) && !stdout(&out).contains(&web_d.ip));
    assert_eq!(
        count(&sim.calls(), "DescribeInstances"),
        3,
        "three accounts asked"
    );
    let out = sim.run_bin(&["fetch", "--json", "--account", "delta", "web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report[0]["instance"], web_d.id.as_str(), "{report:#}");
    assert_eq!(report[0]["account"], D);
    assert_eq!(report[0]["account_name"], "delta (444444444444)");
    assert_eq!(report[0]["region"], "us-east-1");
}

#[test]
fn a_role_that_cannot_be_assumed_is_named_once_and_the_other_accounts_still_work() {
    let sim = Sim::start();
    configure(&sim);
    let web = sim.launch(Launch::named("web").in_account(A));
    let db = sim.launch(Launch::named("db").in_account(B));
    sim.deny_role(&Sim::role_in(B), true);
    let kh = sim.path("known_hosts");
    let keys = sim.host_keys();

    // By id, alpha's instance is reached: an id is unique, beta cannot hold it too.
    let out = sim.ssh(&web.id, &kh, "", &["true"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &web.ip), keys[&web.id]);

    // By name, it is refused: beta could hold `web` too, and whoever breaks
    // an account's lookup must not get to choose the instance.
    let out = sim.run_bin(&[
        "fetch",
        "--known-hosts",
        kh.to_str().unwrap(),
        "--write",
        "web",
    ]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for said in [
        &format!("{} in us-east-1 of alpha (111111111111)", web.id),
        "cannot assume arn:aws:iam::222222222222:role/ec2-hostkey for account beta (222222222222)",
        "trust policy",
        "--account",
    ] {
        assert!(err.contains(said), "names {said:?}: {err}");
    }
    assert!(
        keygen_find(&kh, "web").is_empty(),
        "nothing recorded under the name"
    );
    // Narrowed to the accounts that answer, the name is one instance again.
    let out = sim.ssh("web", &kh, "--account alpha", &["true"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // beta's own instance cannot be looked up: that account's failure is the error.
    let out = sim.run_bin(&[
        "fetch",
        "--known-hosts",
        kh.to_str().unwrap(),
        "--write",
        &db.id,
    ]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("account beta (222222222222)") && err.contains("sts:AssumeRole"),
        "{err}"
    );
    assert!(
        keygen_find(&kh, &db.ip).is_empty(),
        "nothing written for it"
    );

    // doctor: one line per account.
    let out = sim.run_bin(&["doctor"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed check: {}",
        stdout(&out)
    );
    let report = stdout(&out);
    let line = |name: &str| {
        report
            .lines()
            .find(|l| l.contains(&format!("account {name}")))
            .unwrap_or_else(|| panic!("no line for {name}: {report}"))
            .to_string()
    };
    assert!(
        line("alpha").starts_with("ok")
            && line("alpha")
                .contains("role assumed as arn:aws:sts::111111111111:assumed-role/ec2-hostkey/"),
        "{}",
        line("alpha")
    );
    assert!(line("gamma").starts_with("ok"), "{}", line("gamma"));
    assert!(
        line("beta").starts_with("FAIL") && line("beta").contains("fix:"),
        "{}",
        line("beta")
    );

    // Allowed again: beta's instance is reached.
    sim.deny_role(&Sim::role_in(B), false);
    let out = sim.ssh("db", &kh, "", &["true"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn sync_covers_every_account_and_repair_never_prunes_lines_of_an_account_it_could_not_ask() {
    let sim = Sim::start();
    configure(&sim);
    let web = sim.launch(Launch::named("web").in_account(A));
    let db = sim.launch(Launch::named("db").in_account(B));
    let cache = sim.launch(Launch::named("cache").in_account(C));
    let old = sim.launch(Launch::named("old").in_account(A));
    let keys = sim.host_keys();
    let kh = sim.path("known_hosts");
    let file = kh.to_str().unwrap();

    // The team store is the base account's bucket; records are keyed by each instance's account.
    sim.create_bucket("team-keys");
    let store = "s3://team-keys/fleet";
    let out = sim.run_bin(&[
        "sync",
        "--json",
        "--aliases",
        "--known-hosts",
        file,
        "--store",
        store,
        "--publish",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    for (instance, account) in [(&web, A), (&db, B), (&cache, C)] {
        let prefix = format!("fleet/{account}/us-east-1/{}/", instance.id);
        assert_eq!(sim.objects("team-keys", &prefix).len(), 1, "{prefix}");
    }
    // Read back for beta's instance, from the console-less store source.
    let out = sim.run_bin(&["fetch", "--source", "store", "--store", store, &db.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut fetched: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    fetched.sort();
    fetched.dedup();
    assert_eq!(fetched, keys[&db.id], "{}", stdout(&out));
    assert_eq!(report["added"], 4, "{report:#}");
    for (instance, account) in [
        (&web, "alpha (111111111111)"),
        (&db, "beta (222222222222)"),
        (&cache, "gamma (333333333333)"),
    ] {
        assert_eq!(keygen_find(&kh, &instance.ip), keys[&instance.id]);
        let entry = report["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["instance"] == instance.id.as_str())
            .unwrap();
        assert_eq!(entry["account"], account, "{entry}");
    }

    // An instance of the profile's own account, recorded without the
    // accounts (another config): no configured account holds it.
    let own = sim.launch(Launch::named("own"));
    let mut fetch = sim.bin();
    fetch.env("XDG_CONFIG_HOME", sim.path("no-config")).args([
        "fetch",
        "--write",
        "--known-hosts",
        file,
        &own.id,
    ]);
    let out = run(fetch, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &own.ip), keys_of(&sim, &own.id));

    // beta's role breaks (its cached session gone too: a fresh machine, or an
    // hour later); alpha's web and beta's db are terminated.
    sim.deny_role(&Sim::role_in(B), true);
    fs::remove_dir_all(sim.home().join(".cache/ec2-hostkey/roles")).unwrap();
    sim.terminate_in(A, &web.id);
    sim.terminate_in(B, &db.id);
    // alpha's `old` was terminated long ago: EC2 no longer knows it.
    sim.terminate_in(A, &old.id);
    sim.vanish(&old.id);
    let before = fs::read_to_string(&kh).unwrap();

    // sync: beta is said once, the others synced, the exit says an account
    // was skipped. A Name tag is not recorded meanwhile: beta could hold it too.
    let out = sim.run_bin(&["sync", "--json", "--aliases", "--known-hosts", file]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).matches("account beta (222222222222)").count(),
        1,
        "{}",
        stderr(&out)
    );
    let report = json(&out);
    let gamma = report["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["instance"] == cache.id.as_str())
        .unwrap();
    assert_eq!(gamma["status"], "unchanged", "{gamma}");
    assert_eq!(
        gamma["not_recorded"],
        serde_json::json!(["cache"]),
        "{gamma}"
    );
    assert!(
        gamma["reason"]
            .as_str()
            .unwrap()
            .contains("could hold that name too"),
        "{gamma}"
    );

    // repair --prune removes the lines of alpha's terminated instance, none of beta's.
    let out = sim.run_bin(&["repair", "--prune", "--known-hosts", file]);
    assert!(
        stderr(&out).contains("beta (222222222222)"),
        "the unreachable account is said: {}",
        stderr(&out)
    );
    assert!(
        keygen_find(&kh, &web.ip).is_empty(),
        "alpha's gone instance pruned: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(keygen_find(&kh, "web").is_empty());
    assert!(
        keygen_find(&kh, &old.ip).is_empty(),
        "alpha was asked and knows its instance no more: gone"
    );
    assert_eq!(
        keygen_find(&kh, &db.ip),
        keys[&db.id],
        "beta could not be asked: its lines stay (before: {before})"
    );
    assert_eq!(keygen_find(&kh, "db"), keys[&db.id]);
    assert_eq!(
        keygen_find(&kh, &cache.ip),
        keys[&cache.id],
        "gamma's live instance stays"
    );

    // Narrowed to alpha, nothing is concluded about the accounts left out:
    // gamma's live instance keeps its lines.
    let out = sim.run_bin(&[
        "repair",
        "--prune",
        "--account",
        "alpha",
        "--known-hosts",
        file,
    ]);
    assert!(
        stderr(&out).contains("account gamma (333333333333) was not asked"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        keygen_find(&kh, &cache.ip),
        keys[&cache.id],
        "{}",
        stdout(&out)
    );
    assert_eq!(keygen_find(&kh, "cache"), keys[&cache.id]);

    // With beta back, its terminated instance's lines go; the own
    // account's instance, in no configured account, keeps its lines.
    sim.deny_role(&Sim::role_in(B), false);
    let out = sim.run_bin(&["repair", "--prune", "--known-hosts", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("in none of the accounts configured, and may be in one that is not"),
        "{}",
        stdout(&out)
    );
    assert_eq!(keygen_find(&kh, &own.ip), keys_of(&sim, &own.id));
    assert!(
        keygen_find(&kh, &db.ip).is_empty(),
        "{}",
        fs::read_to_string(&kh).unwrap()
    );
}

#[test]
fn assumed_role_credentials_are_cached_privately_expire_and_are_never_printed() {
    let sim = Sim::start();
    configure(&sim);
    let web = sim.launch(Launch::named("web").in_account(A));
    let kh = sim.path("known_hosts");
    let file = kh.to_str().unwrap();

    sim.reset_calls();
    let first = sim.run_bin(&["-vv", "fetch", "--known-hosts", file, "--write", &web.id]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        count(&sim.calls(), "AssumeRole"),
        3,
        "each account's role, once"
    );

    let roles = sim.home().join(".cache/ec2-hostkey/roles");
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&roles), 0o700);
    let files: Vec<_> = fs::read_dir(&roles)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 3, "one file per role");
    let mut secrets = Vec::new();
    for path in &files {
        assert_eq!(mode(path), 0o600, "{}", path.display());
        let held: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        for field in ["secret_access_key", "session_token", "access_key_id"] {
            secrets.push(held[field].as_str().unwrap().to_string());
        }
    }

    // A second process asks STS nothing: the credentials are reused.
    sim.reset_calls();
    let second = sim.run_bin(&["-vv", "fetch", "--no-cache", "--known-hosts", file, &web.id]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(count(&sim.calls(), "AssumeRole"), 0, "{:?}", sim.calls());
    let doctor = sim.run_bin(&["doctor", "--json"]);

    // Never printed: not on stdout or stderr, verbose or not, nor in known_hosts.
    let printed = [
        stdout(&first),
        stderr(&first),
        stdout(&second),
        stderr(&second),
        stdout(&doctor),
        stderr(&doctor),
        fs::read_to_string(&kh).unwrap(),
    ]
    .join("\n");
    for secret in &secrets {
        assert!(
            !printed.contains(secret.as_str()),
            "a credential was printed"
        );
    }

    // Expired (or about to): assumed again, and the file renewed.
    let path = &files[0];
    let mut held: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    held["expires_at"] = serde_json::json!(1);
    fs::write(path, serde_json::to_vec(&held).unwrap()).unwrap();
    // Another file loosened to 0644: not trusted, replaced.
    fs::set_permissions(&files[1], fs::Permissions::from_mode(0o644)).unwrap();
    sim.reset_calls();
    let out = sim.run_bin(&["fetch", "--no-cache", &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        count(&sim.calls(), "AssumeRole"),
        2,
        "the expired and the loose one"
    );
    let renewed: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    assert!(renewed["expires_at"].as_u64().unwrap() > 1_000_000_000);
    assert_eq!(mode(&files[1]), 0o600, "replaced by a private file");
}

#[test]
fn a_profile_entry_reaches_its_own_account_even_with_keys_in_the_environment() {
    let sim = Sim::start();
    // The environment holds the base account's keys (AWS_ACCESS_KEY_ID): a
    // profile named in the config file still decides, as the AWS CLI's --profile.
    let env = sim.profile_in("echo", E);
    let dir = sim.home().join(".config/ec2-hostkey");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("config.toml"),
        format!(
            "regions = [\"us-east-1\"]\n\n[[accounts]]\nname = \"echo\"\nprofile = \"echo\"\nid = \"{E}\"\n\n[[accounts]]\nname = \"alpha\"\nrole_arn = \"{}\"\n",
            Sim::role_in(A)
        ),
    )
    .unwrap();
    let svc = sim.launch(Launch::named("svc").in_account(E));
    let kh = sim.path("known_hosts");
    let run_with = |args: &[&str]| {
        let mut cmd = sim.bin();
        cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(args);
        run(cmd, None)
    };
    for target in [svc.id.as_str(), "svc"] {
        let out = run_with(&[
            "fetch",
            "--write",
            "--known-hosts",
            kh.to_str().unwrap(),
            target,
        ]);
        assert!(out.status.success(), "{target}: {}", stderr(&out));
    }
    assert_eq!(keygen_find(&kh, &svc.ip), keys_of(&sim, &svc.id));
    let out = run_with(&["doctor"]);
    let report = stdout(&out);
    let line = report
        .lines()
        .find(|l| l.contains("account echo"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        line.starts_with("ok") && line.contains("reached as arn:aws:sts::555555555555:"),
        "{line}"
    );

    // A profile that does not exist: one line naming the account and the profile.
    let text = fs::read_to_string(dir.join("config.toml")).unwrap();
    fs::write(
        dir.join("config.toml"),
        text.replace("profile = \"echo\"", "profile = \"nope\""),
    )
    .unwrap();
    let out = run_with(&["fetch", &svc.id]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("account echo (555555555555)") && err.contains("`nope`"),
        "{err}"
    );
}
