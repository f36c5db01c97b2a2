//! The user's home as real machines have it: many first runs at once on an
//! empty one (Ansible's forks, `xargs -P`, a fresh CI runner), and a `HOME`
//! that is not the passwd entry's home, which is where ssh reads `~`.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::*;

/// ssh as a user runs it: its own `~/.ssh/known_hosts`, strict checking,
/// ec2-hostkey as the ProxyCommand with no flags.
fn plain_ssh(sim: &Sim, host: &str) -> Command {
    let mut cmd = sim.ssh_command(Path::new("/dev/null"));
    cmd.args(["-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("ProxyCommand={BIN} proxy %h %p"))
        .arg(host)
        .args(["echo", "ok"]);
    cmd
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn many_first_runs_at_once_on_an_empty_home_all_succeed() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let home = sim.home();
    let known_hosts = home.join(".ssh/known_hosts");
    for round in 0..20 {
        // Nothing yet: no ~/.ssh, no cache, no data directory.
        fs::remove_dir_all(&home).unwrap();
        fs::create_dir(&home).unwrap();
        let mut children = Vec::new();
        for i in 0..2 {
            children.push(("ssh", spawn(plain_ssh(&sim, &web.id))));
            let mut fetch = sim.bin();
            fetch.args(["fetch", "--write", "web"]);
            children.push(("fetch --write", spawn(fetch)));
            let mut sync = sim.bin();
            sync.args(["sync"]);
            children.push(("sync", spawn(sync)));
            let mut seed = sim.bin();
            let user_data = sim.path(&format!("user-data-{round}-{i}"));
            seed.args(["seed", "--output", user_data.to_str().unwrap()]);
            children.push(("seed", spawn(seed)));
        }
        for (what, child) in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {what} failed: {}",
                stderr(&out)
            );
        }
        assert_eq!(
            keygen_find(&known_hosts, &sim.name(&web.ip)),
            sim.keyscan(&web.ip),
            "round {round}"
        );
        assert_eq!(
            keygen_find(&known_hosts, &sim.name(&web.id)),
            sim.keyscan(&web.ip),
            "round {round}"
        );
    }
}

#[test]
fn keys_go_where_ssh_reads_them_when_home_is_not_the_passwd_home() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    // As `sudo -E` or a CI container leaves it: HOME elsewhere, the passwd
    // entry (what ssh expands `~` with) at sim.home().
    let elsewhere = sim.path("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let mut ssh = plain_ssh(&sim, &web.id);
    ssh.env("HOME", &elsewhere);
    let out = run(ssh, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert_eq!(
        keygen_find(&sim.home().join(".ssh/known_hosts"), &sim.name(&web.id)),
        sim.keyscan(&web.ip)
    );
    assert!(
        !elsewhere.join(".ssh").exists(),
        "known_hosts written under $HOME, where ssh never reads it"
    );

    let mut doctor = sim.bin();
    doctor.env("HOME", &elsewhere).arg("doctor");
    let out = run(doctor, None);
    let said = format!(
        "HOME is {} but ssh reads ~ as {} (your passwd entry)",
        elsewhere.display(),
        sim.home().display()
    );
    assert!(stdout(&out).contains(&said), "{}", stdout(&out));
}
