//! Systems Manager at the edge: whether an instance's agent is online
//! (DescribeInstanceInformation), running the host-key read on it
//! (SendCommand) and collecting what it printed (GetCommandInvocation).

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{CommandInvocationStatus, InstanceInformationStringFilter};

use super::ec2::Ec2;
use crate::error::AwsError;

/// The one command the read runs: the public host keys, nothing else.
pub const READ_COMMAND: &str = "cat /etc/ssh/ssh_host_*_key.pub";
/// The AWS-owned document that runs any shell command (a root shell: the fallback).
pub const RUN_SHELL_SCRIPT: &str = "AWS-RunShellScript";
/// How long the agent may take to run the read (SendCommand's timeout).
const COMMAND_TIMEOUT_SECONDS: i32 = 30;

#[derive(Clone)]
pub struct Ssm {
    client: aws_sdk_ssm::Client,
}

/// Where a command stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Not registered yet, pending, in progress or delayed.
    Running,
    /// Finished; what it printed on stdout.
    Succeeded(String),
    /// Ran out of time on the agent's side, or was never delivered.
    TimedOut,
    /// Ended otherwise (failed, cancelled): the status and what it printed on stderr.
    Ended { status: String, stderr: String },
}

impl Ssm {
    /// A client with the same settings (region, credentials, endpoint) as `ec2`.
    pub fn new(ec2: &Ec2) -> Ssm {
        Ssm {
            client: aws_sdk_ssm::Client::new(ec2.sdk_config()),
        }
    }

    /// The ping status of the instance's agent (`Online`, `ConnectionLost`,
    /// `Inactive`), or `None` when Systems Manager does not manage it.
    ///
    /// # Errors
    /// The API failed or denied the call.
    pub async fn ping_status(&self, id: &str) -> Result<Option<String>, AwsError> {
        const ACTION: &str = "ssm:DescribeInstanceInformation";
        let filter = InstanceInformationStringFilter::builder()
            .key("InstanceIds")
            .values(id)
            .build()
            .map_err(|e| AwsError::Api {
                action: ACTION,
                code: "Build".into(),
                message: e.to_string(),
            })?;
        let output = self
            .client
            .describe_instance_information()
            .filters(filter)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(output
            .instance_information_list()
            .iter()
            .find(|i| i.instance_id() == Some(id))
            .map(|i| {
                i.ping_status()
                    .map_or_else(|| "Unknown".to_string(), |s| s.as_str().to_string())
            }))
    }

    /// A document's default version and content, `None` when there is no
    /// such document (or it is not a Command document).
    ///
    /// # Errors
    /// The API failed or denied the call.
    pub async fn document(&self, name: &str) -> Result<Option<(String, String)>, AwsError> {
        match self.client.get_document().name(name).send().await {
            Ok(doc) if doc.document_type() == Some(&aws_sdk_ssm::types::DocumentType::Command) => {
                Ok(Some((
                    doc.document_version().unwrap_or_default().to_string(),
                    doc.content().unwrap_or_default().to_string(),
                )))
            }
            Ok(_) => Ok(None),
            Err(err) if err.code() == Some("InvalidDocument") => Ok(None),
            Err(err) => Err(AwsError::from_sdk("ssm:GetDocument", err)),
        }
    }

    /// Starts the host-key read on `id` with `document` at `version` (the
    /// tool's own document, which takes no parameters, or AWS-RunShellScript
    /// given exactly [`READ_COMMAND`]); returns the command id.
    ///
    /// # Errors
    /// Denied (`AccessDenied`), no such document (`Api` with code
    /// `InvalidDocument`), the instance cannot take commands
    /// (`InvalidInstanceId`), or the API failed.
    pub async fn send_read(
        &self,
        id: &str,
        document: &str,
        version: Option<&str>,
    ) -> Result<String, AwsError> {
        let parameters = if document == RUN_SHELL_SCRIPT {
            vec![("commands", vec![READ_COMMAND.to_string()])]
        } else {
            Vec::new()
        };
        self.send(
            id,
            document,
            version,
            &parameters,
            "ec2-hostkey: read the public SSH host keys",
        )
        .await
    }

    /// Starts `document` (at `version`) on `id` with `parameters`; returns
    /// the command id.
    ///
    /// # Errors
    /// As [`Ssm::send_read`].
    pub async fn send(
        &self,
        id: &str,
        document: &str,
        version: Option<&str>,
        parameters: &[(&str, Vec<String>)],
        comment: &str,
    ) -> Result<String, AwsError> {
        const ACTION: &str = "ssm:SendCommand";
        let mut request = self
            .client
            .send_command()
            .document_name(document)
            .instance_ids(id)
            .timeout_seconds(COMMAND_TIMEOUT_SECONDS)
            .comment(comment);
        for (name, values) in parameters {
            request = request.parameters(*name, values.clone());
        }
        if let Some(version) = version {
            request = request.document_version(version);
        }
        let output = request.send().await.map_err(|err| {
            // Named here, not folded into a generic failure: the caller falls
            // back to another document, or tells the user what to create.
            if matches!(
                err.code(),
                Some("InvalidDocument" | "InvalidInstanceId" | "InvalidParameters")
            ) {
                AwsError::Api {
                    action: ACTION,
                    code: err.code().unwrap_or_default().to_string(),
                    message: err.message().unwrap_or_default().to_string(),
                }
            } else {
                AwsError::from_sdk(ACTION, err)
            }
        })?;
        output
            .command()
            .and_then(|c| c.command_id())
            .map(str::to_string)
            .ok_or_else(|| AwsError::Api {
                action: ACTION,
                code: "NoCommandId".into(),
                message: "SendCommand answered without a command id".into(),
            })
    }

    /// Where command `command_id` stands on `id`.
    ///
    /// # Errors
    /// The API failed or denied the call.
    pub async fn invocation(&self, command_id: &str, id: &str) -> Result<Invocation, AwsError> {
        const ACTION: &str = "ssm:GetCommandInvocation";
        let output = match self
            .client
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(id)
            .send()
            .await
        {
            Ok(output) => output,
            // Right after SendCommand the invocation may not be registered yet.
            Err(err) if err.code() == Some("InvocationDoesNotExist") => {
                return Ok(Invocation::Running);
            }
            Err(err) => return Err(AwsError::from_sdk(ACTION, err)),
        };
        let stdout = output.standard_output_content().unwrap_or_default();
        Ok(match output.status() {
            Some(CommandInvocationStatus::Success) => Invocation::Succeeded(stdout.to_string()),
            Some(CommandInvocationStatus::TimedOut) => Invocation::TimedOut,
            Some(
                CommandInvocationStatus::Pending
                | CommandInvocationStatus::InProgress
                | CommandInvocationStatus::Delayed,
            )
            | None => Invocation::Running,
            Some(other) => Invocation::Ended {
                status: other.as_str().to_string(),
                stderr: output
                    .standard_error_content()
                    .unwrap_or_default()
                    .to_string(),
            },
        })
    }
}

/// Whether `content` is the tool's own document (compared as JSON, so
/// whitespace and key order do not matter).
pub fn is_our_document(content: &str) -> bool {
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    parse(content).is_some_and(|theirs| Some(theirs) == parse(&document_json()))
}

/// The tool's own Systems Manager document (`ec2-hostkey ssm-document`): it
/// runs [`READ_COMMAND`] and takes no parameters, so a policy that allows
/// `ssm:SendCommand` on it alone grants no shell.
pub fn document_json() -> String {
    format!(
        r#"{{
  "schemaVersion": "2.2",
  "description": "ec2-hostkey: print this instance's public SSH host keys. Read-only, no parameters.",
  "mainSteps": [
    {{
      "action": "aws:runShellScript",
      "name": "readHostKeys",
      "precondition": {{ "StringEquals": ["platformType", "Linux"] }},
      "inputs": {{
        "runCommand": ["{READ_COMMAND}"],
        "timeoutSeconds": "{COMMAND_TIMEOUT_SECONDS}"
      }}
    }}
  ]
}}
"#
    )
}

/// The file the install document writes its `HostCertificate` lines to.
pub const CERTIFICATE_DROP_IN: &str = "/etc/ssh/sshd_config.d/60-ec2-hostkey-certificates.conf";

/// The host-key types the install document takes a certificate for, and
/// the certificate types each accepts (its `allowedPattern`).
pub const CERTIFICATE_PARAMETERS: [(&str, &str); 3] = [
    ("ed25519", r"ssh-ed25519-cert-v01@openssh\.com"),
    (
        "ecdsa",
        r"ecdsa-sha2-nistp(256|384|521)-cert-v01@openssh\.com",
    ),
    (
        "rsa",
        r"(rsa-sha2-256|rsa-sha2-512|ssh-rsa)-cert-v01@openssh\.com",
    ),
];

/// The install document's script. Each certificate given must be for the
/// host key of its type that exists here (same fingerprint); all are
/// staged before any is put in place; the previous files are kept until
/// `sshd -t` accepts the new ones, and put back if it refuses.
const INSTALL_SCRIPT: [&str; 29] = [
    "set -eu",
    "conf=/etc/ssh/sshd_config.d/60-ec2-hostkey-certificates.conf",
    "lines=''; staged=''",
    "stage() {",
    r#"  kind=$1; cert=$2; [ -n "$cert" ] || return 0"#,
    r#"  key=/etc/ssh/ssh_host_${kind}_key"#,
    r#"  [ -f "$key.pub" ] || { echo "no $key.pub here" >&2; exit 1; }"#,
    r#"  printf '%s\n' "$cert" > "$key-cert.pub.new""#,
    r#"  if [ "$(ssh-keygen -lf "$key-cert.pub.new" | cut -d' ' -f2)" != "$(ssh-keygen -lf "$key.pub" | cut -d' ' -f2)" ]; then"#,
    r#"    rm -f "$key-cert.pub.new"; echo "the $kind certificate is not for $key" >&2; exit 1"#,
    "  fi",
    r#"  staged="$staged $key-cert.pub"; lines="${lines}HostCertificate $key-cert.pub\n""#,
    "}",
    "stage ed25519 '{{ ed25519 }}'",
    "stage ecdsa '{{ ecdsa }}'",
    "stage rsa '{{ rsa }}'",
    r#"[ -n "$staged" ] || { echo 'no certificate given' >&2; exit 1; }"#,
    r#"for f in $staged "$conf"; do [ ! -e "$f" ] || cp -p "$f" "$f.bak"; done"#,
    r#"for f in $staged; do chmod 644 "$f.new"; mv "$f.new" "$f"; done"#,
    r#"printf "$lines" > "$conf.new" && chmod 644 "$conf.new" && mv "$conf.new" "$conf""#,
    "if ! sshd -t; then",
    r#"  for f in $staged "$conf"; do if [ -e "$f.bak" ]; then mv "$f.bak" "$f"; else rm -f "$f"; fi; done"#,
    "  echo 'sshd -t refused the configuration; the previous files are back' >&2",
    "  exit 1",
    "fi",
    r#"for f in $staged "$conf"; do rm -f "$f.bak"; done"#,
    "systemctl reload ssh 2> /dev/null || systemctl reload sshd",
    "echo installed",
    "",
];

/// The tool's document that installs host certificates
/// (`ec2-hostkey ssm-document --certify`). Each parameter is one
/// certificate, `TYPE BASE64` and nothing else (SSM checks the pattern
/// before the agent sees it, so no quote or shell word gets through); the
/// script writes exactly `/etc/ssh/ssh_host_<type>_key-cert.pub` for host
/// keys that exist and the drop-in [`CERTIFICATE_DROP_IN`], checks the
/// configuration with `sshd -t` (removing the drop-in if it fails) and
/// reloads sshd.
pub fn certify_document_json() -> String {
    let parameters: serde_json::Map<String, serde_json::Value> = CERTIFICATE_PARAMETERS
        .iter()
        .map(|(kind, types)| {
            (
                (*kind).to_string(),
                serde_json::json!({
                    "type": "String",
                    "default": "",
                    "description": format!("The certificate of /etc/ssh/ssh_host_{kind}_key, as TYPE BASE64, or empty"),
                    "allowedPattern": format!("^({types} [A-Za-z0-9+/]+={{0,2}})?$"),
                }),
            )
        })
        .collect();
    let document = serde_json::json!({
        "schemaVersion": "2.2",
        "description": format!("ec2-hostkey: install SSH host certificates for this instance's own host keys and reload sshd. Writes only /etc/ssh/ssh_host_TYPE_key-cert.pub and {CERTIFICATE_DROP_IN}."),
        "parameters": parameters,
        "mainSteps": [{
            "action": "aws:runShellScript",
            "name": "installHostCertificates",
            "precondition": { "StringEquals": ["platformType", "Linux"] },
            "inputs": {
                "runCommand": INSTALL_SCRIPT,
                "timeoutSeconds": COMMAND_TIMEOUT_SECONDS.to_string(),
            },
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_json_that_runs_only_the_read() {
        let doc: serde_json::Value = serde_json::from_str(&document_json()).unwrap();
        assert_eq!(doc["schemaVersion"], "2.2");
        assert!(doc.get("parameters").is_none());
        let steps = doc["mainSteps"].as_array().unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0]["inputs"]["runCommand"][0], READ_COMMAND);
    }

    #[test]
    fn the_install_document_takes_certificates_and_nothing_a_shell_would_read() {
        let doc: serde_json::Value = serde_json::from_str(&certify_document_json()).unwrap();
        let parameters = doc["parameters"].as_object().unwrap();
        assert_eq!(parameters.len(), 3);
        let pattern = |kind: &str| regex_lite(parameters[kind]["allowedPattern"].as_str().unwrap());
        let ed = pattern("ed25519");
        assert!(ed(
            "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQ="
        ));
        assert!(ed(""));
        for bad in [
            "ssh-ed25519-cert-v01@openssh.com AAAA' ; rm -rf / ; '",
            "ssh-ed25519-cert-v01@openssh.com AAAA comment",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
            "ssh-ed25519-cert-v01@openssh.com AAAA\nHostCertificate /tmp/x",
        ] {
            assert!(!ed(bad), "{bad:?}");
        }
        assert!(pattern("ecdsa")(
            "ecdsa-sha2-nistp256-cert-v01@openssh.com AAAA"
        ));
        assert!(pattern("rsa")("rsa-sha2-512-cert-v01@openssh.com AAAA"));
        let script = doc["mainSteps"][0]["inputs"]["runCommand"]
            .as_array()
            .unwrap();
        let text: Vec<&str> = script.iter().map(|l| l.as_str().unwrap()).collect();
        assert!(text.contains(&"stage ed25519 '{{ ed25519 }}'"), "{text:?}");
        let conf = format!("conf={CERTIFICATE_DROP_IN}");
        assert!(text.contains(&conf.as_str()), "{text:?}");
        assert!(text.contains(&"if ! sshd -t; then"), "{text:?}");
    }

    /// The patterns' dialect here: ^(PREFIX [A-Za-z0-9+/]+={0,2})?$, as SSM applies it.
    fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool {
        let inner = pattern
            .strip_prefix("^(")
            .and_then(|p| p.strip_suffix(" [A-Za-z0-9+/]+={0,2})?$"))
            .unwrap()
            .replace(r"\.", ".");
        let prefixes: Vec<String> = expand(&inner);
        move |text: &str| {
            if text.is_empty() {
                return true;
            }
            let Some((kind, data)) = text.split_once(' ') else {
                return false;
            };
            let body = data.trim_end_matches('=');
            prefixes.iter().any(|p| p == kind)
                && data.len() - body.len() <= 2
                && !body.is_empty()
                && body
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
        }
    }

    /// The alternatives of a pattern with (a|b) groups.
    fn expand(pattern: &str) -> Vec<String> {
        let Some(open) = pattern.find('(') else {
            return vec![pattern.to_string()];
        };
        let close = open + pattern[open..].find(')').unwrap();
        pattern[open + 1..close]
            .split('|')
            .flat_map(|choice| {
                expand(&format!(
                    "{}{choice}{}",
                    &pattern[..open],
                    &pattern[close + 1..]
                ))
            })
            .collect()
    }
}
