//! The config file (`$XDG_CONFIG_HOME/ec2-hostkey/config.toml`, here under
//! the test's HOME): defaults for the flags, flags win, doctor says where
//! each setting came from, and a bad file is one line naming the key and line.

use std::fs;

use crate::support::*;

fn write_config(sim: &Sim, text: &str) {
    let dir = sim.home().join(".config/ec2-hostkey");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("config.toml"), text).unwrap();
}

#[test]
fn the_config_file_sets_defaults_and_flags_win() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let from_file = sim.path("known_hosts-from-config");
    write_config(
        &sim,
        &format!(
            "# defaults for every command\nregions = [\"us-east-1\"]\naddress = \"private\"\nknown_hosts = \"{}\"\nsource = \"console\"\nwait = \"5s\"\n",
            from_file.display()
        ),
    );
    let keys = sim.host_keys()[&web.id].clone();

    // No region in the environment, no flags: the file's region, side and file.
    let out = sim
        .bin()
        .env_remove("AWS_REGION")
        .args(["fetch", "--write", "web"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&from_file, &web.private_ip), keys);
    assert!(
        keygen_find(&from_file, &web.ip).is_empty(),
        "private side only"
    );

    // Flags win over the file.
    let from_flag = sim.path("known_hosts-from-flag");
    let before = fs::read(&from_file).unwrap();
    let out = sim.run_bin(&[
        "--address",
        "public",
        "fetch",
        "--write",
        "--known-hosts",
        from_flag.to_str().unwrap(),
        "web",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&from_flag, &web.ip), keys);
    assert_eq!(fs::read(&from_file).unwrap(), before);

    // doctor shows each setting and where it came from.
    let out = sim.run_bin(&["--address", "public", "doctor"]);
    let report = stdout(&out);
    assert!(report.contains("config file: "), "{report}");
    assert!(
        report.contains("setting address: public (flag or environment)"),
        "{report}"
    );
    assert!(
        report.contains("setting source: console (config file "),
        "{report}"
    );
    assert!(
        report.contains("setting wait: 5s (config file "),
        "{report}"
    );
    assert!(
        report.contains("setting cache_ttl: 1h (default)"),
        "{report}"
    );
}

#[test]
fn a_bad_config_file_is_one_line_naming_the_key_and_the_line() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    for (text, says) in [
        (
            "profile = \"p\"\naddress = \"sideways\"\n",
            "line 2: address must be auto, public or private",
        ),
        ("wait = 90s\n", "line 1: "),
        (
            "regions = [\"us-east-1\"]\nregion = \"eu-west-1\"\n",
            "line 2: unknown field `region`",
        ),
    ] {
        write_config(&sim, text);
        let out = sim.fetch_write(&kh, &web.id);
        assert_eq!(out.status.code(), Some(2), "{text}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("config file "), "{err}");
        assert!(err.contains(says), "{text}: {err}");
        assert!(!kh.exists(), "nothing written");
    }

    // A file others may write could redirect known_hosts or the sources: refused.
    write_config(&sim, "address = \"private\"\n");
    let file = sim.home().join(".config/ec2-hostkey/config.toml");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
    let out = sim.fetch_write(&kh, &web.id);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("cannot be trusted: it is group- or world-writable (mode 666); chmod 600 it"),
        "{}",
        stderr(&out)
    );
    assert!(!kh.exists(), "nothing written");
}
