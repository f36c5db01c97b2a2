//! Fitting into ssh_config and the AWS CLI's world: the generated ssh_config
//! block used verbatim, private addresses, DNS aliases, several regions.

use std::fs;
use std::path::Path;

use crate::support::*;

/// `ec2-hostkey [GLOBAL…] ssh-config ARGS…`, written to a file.
fn generate_config(sim: &Sim, global: &[&str], args: &[&str], file: &Path) {
    let mut all: Vec<&str> = global.to_vec();
    all.push("ssh-config");
    all.extend(args);
    let out = sim.run_bin(&all);
    assert!(out.status.success(), "ssh-config: {}", stderr(&out));
    fs::write(file, &out.stdout).unwrap();
}

#[test]
fn generated_ssh_config_connects_by_id_dns_private_address_and_dns_alias() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let db = sim.launch(Launch::named("db").tag("sim:public", "none"));
    assert!(db.ip.is_empty() && !db.private_ip.is_empty());
    // A zone the user runs: a CNAME to the instance's public name, and an A record for a private address.
    sim.dns("www.example.test", &web.dns);
    sim.dns(&web.dns, &web.ip);
    sim.dns("db.example.test", &db.private_ip);

    let kh = sim.path("known hosts"); // a space, to prove the quoting
    let config = sim.path("ssh_config");
    let private_net = db.private_ip.rsplit_once('.').unwrap().0;
    generate_config(
        &sim,
        &["--nameserver", &sim.nameserver()],
        &[
            "--known-hosts",
            kh.to_str().unwrap(),
            "--pattern",
            "*.example.test",
            "--pattern",
            &format!("{private_net}.*"),
        ],
        &config,
    );
    let text = fs::read_to_string(&config).unwrap();
    assert!(text.contains("StrictHostKeyChecking yes"), "{text}");

    let web_keys = sim.keyscan(&web.ip);
    let db_keys = sim.keyscan(&db.private_ip);
    for (host, keys) in [
        (web.id.as_str(), &web_keys),
        (web.dns.as_str(), &web_keys),
        ("www.example.test", &web_keys),
        (db.private_ip.as_str(), &db_keys),
        ("db.example.test", &db_keys),
        (db.id.as_str(), &db_keys),
    ] {
        let out = sim.ssh_config(&config, host, &["echo", "ok"]);
        assert!(out.status.success(), "ssh {host}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "ok");
        assert_eq!(&keygen_find(&kh, host), keys, "entries for {host}");
    }
    // The alias led to the instance's own names, recorded with it.
    assert_eq!(keygen_find(&kh, &web.ip), web_keys);
    assert_eq!(keygen_find(&kh, &db.private_dns), db_keys);

    // The same block with ProxyUseFdpass: ssh gets the socket itself.
    let fdpass_kh = sim.path("known_hosts-fdpass");
    let fdpass_config = sim.path("ssh_config-fdpass");
    generate_config(
        &sim,
        &[],
        &["--fdpass", "--known-hosts", fdpass_kh.to_str().unwrap()],
        &fdpass_config,
    );
    assert!(
        fs::read_to_string(&fdpass_config)
            .unwrap()
            .contains("ProxyUseFdpass yes")
    );
    let out = sim.ssh_config(&fdpass_config, &web.id, &["echo", "ok"]);
    assert!(out.status.success(), "fdpass: {}", stderr(&out));
    assert_eq!(keygen_find(&fdpass_kh, &web.id), web_keys);
}

/// ssh runs ProxyCommand with the user's login shell; the generated quoting
/// must survive each of them, with spaces and `%` in the paths.
#[test]
fn generated_proxy_command_works_under_every_login_shell() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let keys = sim.keyscan(&web.ip);
    let tools = sim.path("my tools");
    fs::create_dir(&tools).unwrap();
    let bin = tools.join("ec2-hostkey");
    std::os::unix::fs::symlink(BIN, &bin).unwrap();

    for shell in ["/bin/sh", "/bin/bash", "zsh", "fish", "csh"] {
        let path = which(shell)
            .unwrap_or_else(|| panic!("login shell {shell} is not installed: run tests/sim/setup"));
        let dir = sim.path(&format!("{} 100%", shell.trim_start_matches("/bin/")));
        fs::create_dir(&dir).unwrap();
        let kh = dir.join("known hosts");
        let config = dir.join("ssh_config");
        generate_config(
            &sim,
            &[],
            &[
                "--bin",
                bin.to_str().unwrap(),
                "--known-hosts",
                kh.to_str().unwrap(),
            ],
            &config,
        );
        let text = fs::read_to_string(&config).unwrap();
        assert!(text.contains("100%%"), "{text}");
        let out = sim.ssh_config_env(&config, &web.id, &["echo", "ok"], &[("SHELL", &path)]);
        assert!(
            out.status.success(),
            "SHELL={path}: {}\n{text}",
            stderr(&out)
        );
        assert_eq!(stdout(&out).trim(), "ok");
        assert_eq!(keygen_find(&kh, &web.id), keys, "SHELL={path}");
    }
}

fn which(program: &str) -> Option<String> {
    if program.starts_with('/') {
        return Path::new(program).exists().then(|| program.to_string());
    }
    std::env::var("PATH")
        .ok()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.exists())
        .map(|p| p.display().to_string())
}

#[test]
fn known_hosts_mode_block_verifies_a_direct_connection() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    let config = sim.path("ssh_config");
    generate_config(
        &sim,
        &[],
        &[
            "--mode",
            "known-hosts",
            "--no-default-patterns",
            "--pattern",
            &web.ip,
            "--known-hosts",
            kh.to_str().unwrap(),
        ],
        &config,
    );
    let out = sim.ssh_config(&config, &web.ip, &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(
        !kh.exists() || fs::read(&kh).unwrap().is_empty(),
        "KnownHostsCommand mode writes no file"
    );
}

#[test]
fn ssh_config_refuses_paths_no_shell_quoting_carries() {
    let sim = Sim::start();
    let out = sim.run_bin(&["ssh-config", "--known-hosts", "/tmp/it's"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot be written safely"),
        "{}",
        stderr(&out)
    );
    let out = sim.run_bin(&["ssh-config", "--bin", "/opt/100%/ec2-hostkey"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("/opt/100%%/ec2-hostkey"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn address_flag_picks_the_side_and_records_its_names() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let db = sim.launch(Launch::named("db").tag("sim:public", "none"));
    let keys = sim.keyscan(&web.ip);

    let kh = sim.path("known_hosts");
    let out = sim.ssh(&web.id, &kh, "--address private", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &web.private_ip), keys);
    assert_eq!(keygen_find(&kh, &web.private_dns), keys);
    assert!(
        keygen_find(&kh, &web.ip).is_empty(),
        "public address not used, not recorded"
    );
    assert!(keygen_find(&kh, &web.dns).is_empty());
    // The cached (private) verification does not stand in for an explicit public connection.
    let out = sim.ssh(&web.id, &kh, "--address public", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &web.ip), keys);

    // No public address: auto falls back to private, public is refused with the remedy.
    let out = sim.run_bin(&["fetch", "--", &db.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&db.private_ip));
    let out = sim.run_bin(&["--address", "public", "fetch", "--", &db.id]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no public address"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("--address private"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn dns_aliases_that_lead_nowhere_fail_clearly() {
    let sim = Sim::start();
    sim.launch(Launch::named("web"));
    sim.dns("stray.example.test", "192.0.2.77");
    let ns = sim.nameserver();

    let out = sim.run_bin(&["--nameserver", &ns, "fetch", "nosuch.example.test"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no instance found"),
        "{}",
        stderr(&out)
    );

    let out = sim.run_bin(&["--nameserver", &ns, "fetch", "stray.example.test"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "an address no instance holds: {}",
        stderr(&out)
    );

    // A resolver that does not answer: one line naming DNS and the remedy.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead = format!("127.0.0.1:{}", silent.local_addr().unwrap().port());
    let out = sim.run_bin(&["--nameserver", &dead, "fetch", "www.example.test"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("DNS lookup of www.example.test failed") && err.contains("--nameserver"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn finds_an_instance_id_in_another_region_and_searches_listed_regions_in_order() {
    let sim = Sim::start();
    let far = sim.launch_in("eu-west-1", Launch::named("far"));
    let kh = sim.path("known_hosts");

    // Default region us-east-1: an id is looked for in every enabled region.
    sim.ssh_ok(&far.id, &kh);
    assert_eq!(keygen_find(&kh, &far.id), sim.keyscan(&far.ip));

    // A Name tag is not searched for everywhere: the error says where it looked.
    let out = sim.run_bin(&["fetch", "far"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("in us-east-1"), "{}", stderr(&out));
    let out = sim.run_bin(&[
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        "fetch",
        "far",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&far.ip));
}
