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
        const ACTION: &str = "ssm:SendCommand";
        let mut request = self
            .client
            .send_command()
            .document_name(document)
            .instance_ids(id)
            .timeout_seconds(COMMAND_TIMEOUT_SECONDS)
            .comment("ec2-hostkey: read the public SSH host keys");
        if document == RUN_SHELL_SCRIPT {
            request = request.parameters("commands", vec![READ_COMMAND.to_string()]);
        }
        if let Some(version) = version {
            request = request.document_version(version);
        }
        let output = request.send().await.map_err(|err| {
            // Named here, not folded into a generic failure: the caller falls
            // back to another document, or tells the user what to create.
            if matches!(err.code(), Some("InvalidDocument" | "InvalidInstanceId")) {
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
}
