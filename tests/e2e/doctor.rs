//! `ec2-hostkey doctor`: each check one line, with the fix.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::*;

#[test]
fn doctor_reports_a_missing_permission_and_an_open_known_hosts_with_their_fixes() {
    let sim = Sim::start();
    let kh = sim.path("known_hosts");
    fs::write(&kh, "").unwrap();
    fs::set_permissions(&kh, fs::Permissions::from_mode(0o666)).unwrap();
    let config = sim.path("ssh_config");
    let out = sim.run_bin(&["ssh-config", "--known-hosts", kh.to_str().unwrap()]);
    fs::write(&config, &out.stdout).unwrap();
    sim.fault("GetConsoleOutput", "unauthorized", None);

    let args = [
        "doctor",
        "--known-hosts",
        kh.to_str().unwrap(),
        "--ssh-config",
        config.to_str().unwrap(),
    ];
    let out = sim.run_bin(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report = stdout(&out);
    let line = |prefix: &str| {
        report
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{report}"))
            .to_string()
    };
    assert!(
        line("FAIL  ec2:GetConsoleOutput")
            .contains("fix: allow ec2:GetConsoleOutput in the IAM policy")
    );
    let kh_line = line("FAIL  known_hosts");
    assert!(kh_line.contains("mode 666"), "{kh_line}");
    assert!(
        kh_line.contains(&format!("fix: chmod go-w {}", kh.display())),
        "{kh_line}"
    );
    line("ok    ec2:DescribeInstances");
    line("ok    credentials");
    line("ok    ssh: OpenSSH_");
    assert!(line("ok    ssh_config for i-").contains("routed through ec2-hostkey"));
    assert!(
        stderr(&out).contains("2 check(s) failed"),
        "{}",
        stderr(&out)
    );

    // Applying the fixes makes it pass; the JSON says so too. (The
    // read-only Systems Manager document is one of the fixes doctor lists.)
    fs::set_permissions(&kh, fs::Permissions::from_mode(0o644)).unwrap();
    sim.clear_faults();
    let document = sim.run_bin(&["ssm-document"]);
    sim.create_ssm_document("ec2-hostkey-ReadHostKeys", &stdout(&document));
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = sim.run_bin(&json_args);
    assert!(out.status.success(), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "ok"),
        "{report:#}"
    );
}

#[test]
fn doctor_names_credentials_and_unrouted_hosts() {
    let sim = Sim::start();
    sim.fault("DescribeInstances", "expired", None);
    let out = sim.run_bin(&["doctor", "--ssh-config", "/dev/null"]);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("FAIL  credentials") && l.contains("aws sso login")),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("FAIL  ssh_config for i-")
                && l.contains("ec2-hostkey ssh-config")),
        "{report}"
    );
}
