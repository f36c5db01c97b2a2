//! The test harness: starts the testbed (moto + real sshd per instance, see
//! tests/sim/sim.py), launches instances through the real EC2 API, and runs
//! the real `ssh` client with the real binary as its ProxyCommand.

#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

pub const BIN: &str = env!("CARGO_BIN_EXE_ec2-hostkey");
const COMMAND_TIMEOUT: Duration = Duration::from_secs(90);

pub struct Sim {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    pub state_dir: PathBuf,
    pub ssh_port: u16,
    /// The testbed's DNS server (UDP and TCP on 127.0.0.1).
    pub dns_port: u16,
    /// The same API over HTTPS, its certificate from [`Sim::ca_bundle`].
    pub https_port: u16,
    pub tmp: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    ec2: aws_sdk_ec2::Client,
    s3: aws_sdk_s3::Client,
    ssm: aws_sdk_ssm::Client,
}

#[derive(Debug, Clone)]
pub struct Launched {
    pub id: String,
    /// Public address and DNS name (empty with `sim:public=none`).
    pub ip: String,
    pub dns: String,
    pub private_ip: String,
    pub private_dns: String,
}

#[derive(Default, Clone)]
pub struct Launch {
    pub name: Option<String>,
    pub tags: Vec<(String, String)>,
    pub user_data: Option<String>,
    /// Launched in this account (through a role assumed in it), not the caller's own.
    pub account: Option<String>,
}

impl Launch {
    pub fn named(name: &str) -> Self {
        Launch {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Launch it in another account.
    pub fn in_account(mut self, account: &str) -> Self {
        self.account = Some(account.into());
        self
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The testbed's Python. Without one (`tests/sim/setup` never ran), this
/// tier is skipped as a whole with one line on stderr instead of failing
/// test by test — unless `EC2_HOSTKEY_TESTBED=required` (then it fails).
pub fn sim_python() -> PathBuf {
    let python = repo().join("tests/sim/.venv/bin/python");
    if !python.exists() {
        let required = std::env::var_os("EC2_HOSTKEY_TESTBED").is_some_and(|v| v == "required");
        assert!(
            !required,
            "the testbed is not installed: run tests/sim/setup (see docs/testing.md)"
        );
        // Straight to the stream: the test harness captures eprintln!.
        let _ = writeln!(
            std::io::stderr(),
            "ec2-hostkey: skipping the testbed tier (tests/e2e): the testbed is not installed; run tests/sim/setup, then cargo nextest run (the fast tier ran: cargo test --test fast)"
        );
        std::process::exit(0);
    }
    python
}

impl Sim {
    pub fn start() -> Sim {
        Sim::start_with(22)
    }

    pub fn start_with(ssh_port: u16) -> Sim {
        let tmp = tempfile::tempdir().unwrap();
        let state_dir = tmp.path().join("sim");
        std::fs::create_dir(tmp.path().join("home")).unwrap();
        write_passwd(tmp.path());
        let mut child = Command::new(sim_python())
            .arg(repo().join("tests/sim/sim.py"))
            .args([
                "--exit-on-stdin-eof",
                "--ssh-port",
                &ssh_port.to_string(),
                "--state-dir",
            ])
            .arg(&state_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::File::create(tmp.path().join("sim.log")).unwrap(),
            ))
            .spawn()
            .expect("start the testbed");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let fields: Vec<&str> = line.split_whitespace().collect();
        let dns_port: u16 = fields.get(4).and_then(|p| p.parse().ok()).unwrap_or(0);
        let https_port: u16 = fields.get(5).and_then(|p| p.parse().ok()).unwrap_or(0);
        let port: u16 = fields
            .get(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                // The temp dir goes with the panic: show its log now.
                let _ = child.wait();
                let log = std::fs::read_to_string(tmp.path().join("sim.log")).unwrap_or_default();
                panic!("testbed did not start: {line:?}; its log:\n{log}")
            });
        let rt = tokio::runtime::Runtime::new().unwrap();
        let config = rt.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("us-east-1"))
                .endpoint_url(format!("http://127.0.0.1:{port}"))
                .http_client(aws_smithy_http_client::Builder::new().build_http())
                .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .load(),
        );
        Sim {
            child,
            _stdin: stdin,
            port,
            state_dir,
            ssh_port,
            dns_port,
            https_port,
            tmp,
            ec2: aws_sdk_ec2::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config)
                    .force_path_style(true)
                    .build(),
            ),
            rt,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The API over HTTPS, as AWS serves it (trust [`Sim::ca_bundle`]).
    pub fn endpoint_https(&self) -> String {
        format!("https://127.0.0.1:{}", self.https_port)
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The AWS settings a user would have, pointing at the testbed; the
    /// user's passwd entry (where ssh, and so ec2-hostkey, expands `~`)
    /// gives [`Sim::home`] as the home directory, as `HOME` does.
    pub fn env(&self) -> Vec<(String, String)> {
        let passwd = |name: &str| self.tmp.path().join(name).display().to_string();
        vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("LD_PRELOAD".into(), nss_wrapper()),
            ("NSS_WRAPPER_PASSWD".into(), passwd("passwd")),
            ("NSS_WRAPPER_GROUP".into(), passwd("group")),
            ("HOME".into(), self.home().display().to_string()),
            ("SHELL".into(), "/bin/sh".into()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ENDPOINT_URL".into(), self.endpoint()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("AWS_CONFIG_FILE".into(), "/nonexistent".into()),
            ("AWS_SHARED_CREDENTIALS_FILE".into(), "/nonexistent".into()),
        ]
    }

    /// `ec2-hostkey` with a scrubbed environment.
    pub fn bin(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .envs(self.env())
            .current_dir(self.tmp.path());
        cmd
    }

    pub fn launch(&self, launch: Launch) -> Launched {
        self.launch_many(launch, 1, None).remove(0)
    }

    /// Launches `launch` in another region.
    pub fn launch_in(&self, region: &str, launch: Launch) -> Launched {
        self.launch_many(launch, 1, Some(region)).remove(0)
    }

    /// `count` instances from one RunInstances call.
    pub fn launch_many(&self, launch: Launch, count: i32, region: Option<&str>) -> Vec<Launched> {
        let mut tags = Vec::new();
        if let Some(name) = &launch.name {
            tags.push(Tag::builder().key("Name").value(name).build());
        }
        for (k, v) in &launch.tags {
            tags.push(Tag::builder().key(k).value(v).build());
        }
        let client = self.ec2_client(region, launch.account.as_deref());
        let mut req = client
            .run_instances()
            .image_id("ami-12345678")
            .min_count(count)
            .max_count(count);
        if !tags.is_empty() {
            req = req.tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .set_tags(Some(tags))
                    .build(),
            );
        }
        if let Some(data) = &launch.user_data {
            use base64::Engine;
            req = req.user_data(base64::engine::general_purpose::STANDARD.encode(data));
        }
        let out = self.rt.block_on(req.send()).expect("RunInstances");
        out.instances()
            .iter()
            .map(|i| Launched {
                id: i.instance_id().unwrap().into(),
                ip: i.public_ip_address().unwrap_or_default().into(),
                dns: i.public_dns_name().unwrap_or_default().into(),
                private_ip: i.private_ip_address().unwrap_or_default().into(),
                private_dns: i.private_dns_name().unwrap_or_default().into(),
            })
            .collect()
    }

    /// Adds a record to the testbed's DNS server: `name` CNAME `target`, or A when `target` is an IPv4 address.
    pub fn dns(&self, name: &str, target: &str) {
        let kind = if target.parse::<std::net::Ipv4Addr>().is_ok() {
            "a"
        } else {
            "cname"
        };
        http_get(self.port, &format!("/_sim/dns?name={name}&{kind}={target}"));
    }

    /// Creates an EC2 Instance Connect Endpoint in the subnet of instance `id`
    /// (tests/sim/eice.py): its id and DNS name.
    pub fn create_endpoint(&self, id: &str) -> (String, String) {
        let described = self
            .rt
            .block_on(self.ec2.describe_instances().instance_ids(id).send())
            .expect("DescribeInstances");
        let subnet = described.reservations()[0].instances()[0]
            .subnet_id()
            .expect("a subnet")
            .to_string();
        let created = self
            .rt
            .block_on(
                self.ec2
                    .create_instance_connect_endpoint()
                    .subnet_id(subnet)
                    .send(),
            )
            .expect("CreateInstanceConnectEndpoint");
        let endpoint = created.instance_connect_endpoint().expect("an endpoint");
        (
            endpoint.instance_connect_endpoint_id().unwrap().to_string(),
            endpoint.dns_name().unwrap().to_string(),
        )
    }

    /// A new VPC with one subnet, and an EIC Endpoint in it: the endpoint's id.
    pub fn endpoint_in_another_vpc(&self) -> String {
        let vpc = self
            .rt
            .block_on(self.ec2.create_vpc().cidr_block("10.9.0.0/16").send())
            .expect("CreateVpc");
        let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
        let subnet = self
            .rt
            .block_on(
                self.ec2
                    .create_subnet()
                    .vpc_id(&vpc_id)
                    .cidr_block("10.9.1.0/24")
                    .send(),
            )
            .expect("CreateSubnet");
        let subnet_id = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
        let created = self
            .rt
            .block_on(
                self.ec2
                    .create_instance_connect_endpoint()
                    .subnet_id(subnet_id)
                    .send(),
            )
            .expect("CreateInstanceConnectEndpoint");
        created
            .instance_connect_endpoint()
            .unwrap()
            .instance_connect_endpoint_id()
            .unwrap()
            .to_string()
    }

    /// Controls the testbed's EIC Endpoints: `deny=1`, `skew=SECONDS`, `cut=1`,
    /// `id=ID&state=STATE` (see tests/sim/eice.py).
    pub fn eice(&self, query: &str) {
        assert_eq!(http_get(self.port, &format!("/_sim/eice?{query}")), "ok");
    }

    /// The testbed CA that signs the endpoints' certificates (for `AWS_CA_BUNDLE`).
    pub fn ca_bundle(&self) -> PathBuf {
        self.state_dir.join("eice-ca.pem")
    }

    /// `--nameserver` for the testbed's DNS server.
    pub fn nameserver(&self) -> String {
        format!("127.0.0.1:{}", self.dns_port)
    }

    /// The host keys each instance's sshd holds: id → sorted `type base64`.
    pub fn host_keys(&self) -> std::collections::HashMap<String, Vec<String>> {
        serde_json::from_str(&http_get(self.port, "/_sim/keys")).unwrap()
    }

    /// Installs host certificates on instance `id`'s sshd (HostCertificate),
    /// as an operator would, and restarts it.
    pub fn install_host_certificates(&self, id: &str, certificates: &[String]) {
        let mut query = format!("/_sim/host-cert?id={}", percent_encode(id));
        for cert in certificates {
            query.push_str(&format!("&cert={}", percent_encode(cert.trim())));
        }
        assert_eq!(http_get(self.port, &query), "ok", "certificates for {id}");
    }

    /// Appends `text`, as is, to instance `id`'s console output, after
    /// everything it shows so far (as a program on the instance would).
    pub fn append_console(&self, id: &str, text: &str) {
        let body = http_get(
            self.port,
            &format!(
                "/_sim/console?id={}&append={}",
                percent_encode(id),
                percent_encode(text)
            ),
        );
        assert_eq!(body, "ok", "append to {id}'s console");
    }

    /// Re-keys instance `id` as a legitimate re-key would: new host keys of
    /// the same types, sshd restarted, a new boot on the console. The new
    /// keys, sorted `type base64`.
    /// Every host-key block scrolls out of the instance's console.
    pub fn scroll_console(&self, id: &str) {
        http_get(self.port, &format!("/_sim/console?id={id}&scroll=1"));
    }

    /// A re-key that leaves no trace on the console (its agent sees it).
    pub fn rekey_quietly(&self, id: &str) {
        http_get(self.port, &format!("/_sim/rekey?id={id}&quiet=1"));
    }

    pub fn rekey(&self, id: &str) -> Vec<String> {
        let body = http_get(self.port, &format!("/_sim/rekey?id={}", percent_encode(id)));
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("rekey {id}: {e}: {body:?}"))
    }

    pub fn clear_faults(&self) {
        http_get(self.port, "/_sim/fault/clear");
    }

    /// Like [`Sim::fault`], sparing the first `after` calls.
    pub fn fault_after(&self, action: &str, kind: &str, count: u32, after: u32) {
        http_get(
            self.port,
            &format!("/_sim/fault?action={action}&kind={kind}&count={count}&after={after}"),
        );
    }

    /// Creates a Systems Manager command document with `content` (JSON).
    pub fn create_ssm_document(&self, name: &str, content: &str) {
        self.rt
            .block_on(
                self.ssm
                    .create_document()
                    .name(name)
                    .content(content)
                    .document_type(aws_sdk_ssm::types::DocumentType::Command)
                    .document_format(aws_sdk_ssm::types::DocumentFormat::Json)
                    .send(),
            )
            .expect("CreateDocument");
    }

    pub fn create_bucket(&self, name: &str) {
        self.rt
            .block_on(self.s3.create_bucket().bucket(name).send())
            .expect("CreateBucket");
    }

    pub fn object_exists(&self, bucket: &str, key: &str) -> bool {
        self.rt
            .block_on(self.s3.head_object().bucket(bucket).key(key).send())
            .is_ok()
    }

    /// Versioning, default encryption and all four public-access blocks on.
    pub fn secure_bucket(&self, name: &str) {
        use aws_sdk_s3::types::*;
        let versioning = VersioningConfiguration::builder()
            .status(BucketVersioningStatus::Enabled)
            .build();
        let sse = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(ServerSideEncryption::Aes256)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
            .unwrap();
        let block = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        self.rt.block_on(async {
            let s3 = &self.s3;
            s3.put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(versioning)
                .send()
                .await
                .expect("PutBucketVersioning");
            s3.put_bucket_encryption()
                .bucket(name)
                .server_side_encryption_configuration(sse)
                .send()
                .await
                .expect("PutBucketEncryption");
            s3.put_public_access_block()
                .bucket(name)
                .public_access_block_configuration(block)
                .send()
                .await
                .expect("PutPublicAccessBlock");
        });
    }

    /// The keys of the objects under `prefix`.
    /// A bucket created by another AWS account (`account`, through
    /// AssumeRole), whose policy lets anyone write: a stranger's bucket that
    /// happens to carry the name the team typed.
    /// The role ARN the tests' `[[accounts]]` entries assume in `account`.
    pub fn role_in(account: &str) -> String {
        format!("arn:aws:iam::{account}:role/ec2-hostkey")
    }

    /// Makes EC2 forget a terminated instance, as AWS does an hour later.
    pub fn vanish(&self, id: &str) {
        assert_eq!(
            http_get(
                self.port,
                &format!("/_sim/vanish?id={}", percent_encode(id))
            ),
            "ok"
        );
    }

    /// Makes AssumeRole of `role` refused (`allow`: lifts that).
    pub fn deny_role(&self, role: &str, deny: bool) {
        let verb = if deny { "deny" } else { "allow" };
        http_get(
            self.port,
            &format!("/_sim/role?{verb}={}", percent_encode(role)),
        );
    }

    /// An AWS profile `name` whose credentials act in `account`, in files of
    /// the test's own: the environment that points at them, for a command.
    pub fn profile_in(&self, name: &str, account: &str) -> Vec<(String, String)> {
        let c = self.credentials_in(account);
        let credentials = self.path("aws-credentials");
        let config = self.path("aws-config");
        let mut text = std::fs::read_to_string(&credentials).unwrap_or_default();
        text.push_str(&format!(
            "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            c.access_key_id(),
            c.secret_access_key(),
            c.session_token().unwrap_or_default()
        ));
        std::fs::write(&credentials, text).unwrap();
        std::fs::write(&config, "").unwrap();
        vec![
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                credentials.display().to_string(),
            ),
            ("AWS_CONFIG_FILE".into(), config.display().to_string()),
        ]
    }

    /// Credentials that act in `account` (moto: those AssumeRole gives for a role in it).
    fn credentials_in(&self, account: &str) -> aws_sdk_sts::config::Credentials {
        let sts_config = aws_sdk_sts::config::Builder::new()
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        let assumed = self
            .rt
            .block_on(
                aws_sdk_sts::Client::from_conf(sts_config)
                    .assume_role()
                    .role_arn(format!("arn:aws:iam::{account}:role/stranger"))
                    .role_session_name("stranger")
                    .send(),
            )
            .expect("AssumeRole");
        let c = assumed.credentials().expect("credentials");
        aws_sdk_sts::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "stranger",
        )
    }

    pub fn create_foreign_bucket(&self, account: &str, name: &str) {
        let theirs = self
            .s3
            .config()
            .to_builder()
            .credentials_provider(self.credentials_in(account))
            .build();
        self.rt
            .block_on(
                aws_sdk_s3::Client::from_conf(theirs)
                    .create_bucket()
                    .bucket(name)
                    .send(),
            )
            .expect("CreateBucket as a stranger");
    }

    pub fn enable_versioning(&self, bucket: &str) {
        let on = aws_sdk_s3::types::VersioningConfiguration::builder()
            .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
            .build();
        self.rt
            .block_on(
                self.s3
                    .put_bucket_versioning()
                    .bucket(bucket)
                    .versioning_configuration(on)
                    .send(),
            )
            .expect("PutBucketVersioning");
    }

    /// Every version and delete marker of `key` in `bucket`.
    pub fn versions(&self, bucket: &str, key: &str) -> usize {
        let out = self
            .rt
            .block_on(
                self.s3
                    .list_object_versions()
                    .bucket(bucket)
                    .prefix(key)
                    .send(),
            )
            .expect("ListObjectVersions");
        out.versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .count()
            + out
                .delete_markers()
                .iter()
                .filter(|m| m.key() == Some(key))
                .count()
    }

    /// A bucket in `region` (S3 answers requests signed for another region
    /// with a redirect, and so does the testbed).
    pub fn create_bucket_in(&self, name: &str, region: &str) {
        let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
            .build();
        self.rt
            .block_on(
                self.s3_in(region)
                    .create_bucket()
                    .bucket(name)
                    .create_bucket_configuration(location)
                    .send(),
            )
            .expect("CreateBucket");
    }

    /// The test's own S3 client, signing for `region`.
    fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        let config = self
            .s3
            .config()
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// The keys under `prefix` in a bucket of `region`.
    pub fn objects_in(&self, bucket: &str, region: &str, prefix: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(
                self.s3_in(region)
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .send(),
            )
            .expect("ListObjectsV2");
        out.contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()
    }

    pub fn objects(&self, bucket: &str, prefix: &str) -> Vec<String> {
        self.objects_in(bucket, "us-east-1", prefix)
    }

    pub fn get_object(&self, bucket: &str, key: &str) -> Vec<u8> {
        let out = self
            .rt
            .block_on(self.s3.get_object().bucket(bucket).key(key).send())
            .expect("GetObject");
        self.rt
            .block_on(out.body.collect())
            .expect("object body")
            .into_bytes()
            .to_vec()
    }

    pub fn put_object(&self, bucket: &str, key: &str, body: &[u8]) {
        self.rt
            .block_on(
                self.s3
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(body.to_vec().into())
                    .send(),
            )
            .expect("PutObject");
    }

    /// The EC2 client for `region` (else the default) of `account` (else the caller's own).
    fn ec2_client(&self, region: Option<&str>, account: Option<&str>) -> aws_sdk_ec2::Client {
        let mut config = self.ec2.config().to_builder();
        if let Some(region) = region {
            config = config.region(aws_config::Region::new(region.to_string()));
        }
        if let Some(account) = account {
            config = config.credentials_provider(self.credentials_in(account));
        }
        aws_sdk_ec2::Client::from_conf(config.build())
    }

    /// Terminates an instance of another account.
    pub fn terminate_in(&self, account: &str, id: &str) {
        let client = self.ec2_client(None, Some(account));
        self.rt
            .block_on(client.terminate_instances().instance_ids(id).send())
            .expect("TerminateInstances");
    }

    /// Stops an instance of another account.
    pub fn stop_in(&self, account: &str, id: &str) {
        let client = self.ec2_client(None, Some(account));
        self.rt
            .block_on(client.stop_instances().instance_ids(id).send())
            .expect("StopInstances");
    }

    pub fn terminate(&self, id: &str) {
        self.rt
            .block_on(self.ec2.terminate_instances().instance_ids(id).send())
            .expect("TerminateInstances");
    }

    pub fn stop(&self, id: &str) {
        self.rt
            .block_on(self.ec2.stop_instances().instance_ids(id).send())
            .expect("StopInstances");
    }

    /// API actions the testbed served, in order.
    pub fn calls(&self) -> Vec<String> {
        let body = http_get(self.port, "/_sim/calls");
        serde_json::from_str(&body).unwrap()
    }

    /// The API calls served, in order, each with when it started and ended
    /// (seconds on the testbed's clock).
    pub fn timed_calls(&self) -> Vec<(String, f64, f64)> {
        let body = http_get(self.port, "/_sim/calls?detail=1");
        let calls: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        calls
            .iter()
            .map(|c| {
                (
                    c["action"].as_str().unwrap().to_string(),
                    c["start"].as_f64().unwrap(),
                    c["end"].as_f64().unwrap_or(f64::INFINITY),
                )
            })
            .collect()
    }

    /// Makes the next `count` calls of `action` fail as `kind` (see tests/sim/sim.py).
    pub fn fault(&self, action: &str, kind: &str, count: Option<u32>) {
        let count = count.map(|c| format!("&count={c}")).unwrap_or_default();
        http_get(
            self.port,
            &format!("/_sim/fault?action={action}&kind={kind}{count}"),
        );
    }

    /// Makes the next `count` calls of `action` answer only after `seconds`.
    pub fn slow(&self, action: &str, seconds: f64, count: u32) {
        http_get(
            self.port,
            &format!("/_sim/fault?action={action}&kind=slow&seconds={seconds}&count={count}"),
        );
    }

    pub fn reset_calls(&self) {
        http_get(self.port, "/_sim/calls/reset");
    }

    pub fn client_key(&self) -> PathBuf {
        self.state_dir.join("client_key")
    }

    /// The real ssh client, host keys checked strictly against `known_hosts`,
    /// with `proxy` (plus `extra` arguments) as its ProxyCommand.
    pub fn ssh(&self, host: &str, known_hosts: &Path, proxy_args: &str, remote: &[&str]) -> Output {
        let proxy = format!(
            "{BIN} proxy --known-hosts {} {proxy_args} %h %p",
            known_hosts.display()
        );
        self.ssh_with(host, known_hosts, &proxy, remote, None)
    }

    pub fn ssh_with(
        &self,
        host: &str,
        known_hosts: &Path,
        proxy: &str,
        remote: &[&str],
        stdin: Option<&Path>,
    ) -> Output {
        self.ssh_opts(
            host,
            known_hosts,
            &[format!("ProxyCommand={proxy}")],
            &[],
            remote,
            stdin,
        )
    }

    /// The real ssh client with extra `-o` options and environment overrides.
    pub fn ssh_opts(
        &self,
        host: &str,
        known_hosts: &Path,
        options: &[String],
        env: &[(&str, &str)],
        remote: &[&str],
        stdin: Option<&Path>,
    ) -> Output {
        let mut cmd = self.ssh_command(Path::new("/dev/null"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.args(["-o", "StrictHostKeyChecking=yes"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", known_hosts.display()));
        for option in options {
            cmd.arg("-o").arg(option);
        }
        cmd.arg(host).args(remote);
        run(cmd, stdin)
    }

    /// The real ssh client reading `config` as its ssh_config: only the
    /// client key, user and port are added; host-key checking is the config's.
    pub fn ssh_config(&self, config: &Path, host: &str, remote: &[&str]) -> Output {
        self.ssh_config_env(config, host, remote, &[])
    }

    /// [`Sim::ssh_config`] with environment overrides (e.g. another login `SHELL`).
    pub fn ssh_config_env(
        &self,
        config: &Path,
        host: &str,
        remote: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        let mut cmd = self.ssh_command(config);
        cmd.envs(env.iter().copied());
        cmd.arg(host).args(remote);
        run(cmd, None)
    }

    /// The real ssh client with the test's key, user and port, reading `config`.
    pub fn ssh_command(&self, config: &Path) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.env_clear().envs(self.env());
        cmd.arg("-F")
            .arg(config)
            .arg("-i")
            .arg(self.client_key())
            .args([
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
            ])
            .arg("-p")
            .arg(self.ssh_port.to_string())
            .arg("-l")
            .arg(user());
        cmd
    }

    /// Runs `ec2-hostkey ARGS…` with the user's environment.
    pub fn run_bin(&self, args: &[&str]) -> Output {
        let mut cmd = self.bin();
        cmd.args(args);
        run(cmd, None)
    }

    /// Runs `seed --output FILE ARGS…` and returns (seed id, user-data).
    pub fn seed(&self, args: &[&str]) -> (String, String) {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let ud = self.path(&format!("user-data-{stamp}"));
        let mut all = vec!["seed", "--output", ud.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = self.run_bin(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        let id = err
            .split("ec2-hostkey:seed,Value=")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .unwrap_or_else(|| panic!("no tag fragment in: {err}"))
            .to_string();
        (id, std::fs::read_to_string(ud).unwrap())
    }

    /// `ec2-hostkey fetch --write --known-hosts FILE -- TARGET`.
    pub fn fetch_write(&self, known_hosts: &Path, target: &str) -> Output {
        self.run_bin(&[
            "fetch",
            "--write",
            "--known-hosts",
            known_hosts.to_str().unwrap(),
            "--",
            target,
        ])
    }

    pub fn ssh_ok(&self, host: &str, known_hosts: &Path) -> Output {
        let out = self.ssh(host, known_hosts, "", &["echo", "ok"]);
        assert!(out.status.success(), "ssh {host} failed: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "ok");
        out
    }

    /// The keys an address's sshd really presents, as `algorithm base64` lines (sorted).
    pub fn keyscan(&self, ip: &str) -> Vec<String> {
        let mut cmd = Command::new("ssh-keyscan");
        cmd.args(["-p", &self.ssh_port.to_string(), ip]);
        let out = run(cmd, None);
        let mut keys: Vec<String> = stdout(&out)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() >= 3).then(|| format!("{} {}", f[1], f[2]))
            })
            .collect();
        keys.sort();
        keys
    }

    /// `host`'s lookup form: bare on port 22, `[host]:port` otherwise.
    pub fn name(&self, host: &str) -> String {
        if self.ssh_port == 22 {
            host.to_string()
        } else {
            format!("[{host}]:{}", self.ssh_port)
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = rustix_kill(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rustix_kill(pid: u32) -> std::io::Result<()> {
    Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .map(|_| ())
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// `text` for a URL query value: every byte but the unreserved ones as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// nss_wrapper (Debian's libnss-wrapper, installed by tests/sim/setup):
/// it answers getpwuid from a file, so each test has a passwd entry whose
/// home is its own, and nothing is ever written under the real user's home.
fn nss_wrapper() -> String {
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|dir| dir.path().join("libnss_wrapper.so"))
        .find(|lib| lib.exists());
    match found {
        Some(lib) => lib.display().to_string(),
        None => {
            panic!("libnss_wrapper.so is missing: run tests/sim/setup (it installs libnss-wrapper)")
        }
    }
}

/// A passwd and a group file for nss_wrapper: this user, its home `tmp/home`.
fn write_passwd(tmp: &Path) {
    set_passwd_home(tmp, &tmp.join("home"));
    let group = format!("{}:x:{}:\n", id("-gn"), id("-g"));
    std::fs::write(tmp.join("group"), group).unwrap();
}

/// Points this test's passwd entry at `home` (what ssh reads `~` as).
pub fn set_passwd_home(tmp: &Path, home: &Path) {
    let name = user();
    let line = format!(
        "{name}:x:{}:{}:{name}:{}:/bin/sh\n",
        id("-u"),
        id("-g"),
        home.display()
    );
    std::fs::write(tmp.join("passwd"), line).unwrap();
}

fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub fn user() -> String {
    id("-un")
}

/// Runs a command with a deadline, so a hung test fails instead of hanging.
pub fn run(mut cmd: Command, stdin: Option<&Path>) -> Output {
    cmd.stdin(match stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
        None => Stdio::null(),
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        out.read_to_end(&mut v).ok();
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        err.read_to_end(&mut v).ok();
        v
    });
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("command timed out: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out_thread.join().unwrap(),
        stderr: err_thread.join().unwrap(),
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `ssh-keygen -F name -f file`: the keys OpenSSH finds for `name`, as sorted `algorithm base64` lines.
pub fn keygen_find(file: &Path, name: &str) -> Vec<String> {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-F", name, "-f"]).arg(file);
    let out = run(cmd, None);
    let mut keys: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (alg, key) = if f.first().is_some_and(|w| w.starts_with('@')) {
                (f.get(2)?, f.get(3)?)
            } else {
                (f.get(1)?, f.get(2)?)
            };
            Some(format!("{alg} {key}"))
        })
        .collect();
    keys.sort();
    keys
}

/// A refused connection or command: it failed, stderr says `says`, and the
/// known_hosts file is exactly as it was (`before`; `None`: still absent).
/// Nothing the server sent may have reached stdout either.
pub fn assert_refused_unwritten(
    out: &Output,
    says: &str,
    known_hosts: &Path,
    before: Option<&[u8]>,
) {
    assert!(!out.status.success(), "not refused: {}", stderr(out));
    assert!(stderr(out).contains(says), "{}", stderr(out));
    assert!(!stdout(out).contains("ok"), "{}", stdout(out));
    match before {
        Some(before) => assert_eq!(
            fs::read(known_hosts).unwrap(),
            before,
            "known_hosts must be byte-identical"
        ),
        None => assert!(!known_hosts.exists(), "known_hosts was created"),
    }
}

/// The command's stdout as JSON (the test fails, showing both streams, if it is not).
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}
