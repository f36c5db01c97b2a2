//! EC2 Instance Connect Endpoints at the AWS edge: which endpoint serves an
//! instance (DescribeInstanceConnectEndpoints, chosen as the AWS CLI does)
//! and the SigV4-presigned URL that opens a tunnel through it. The tunnel
//! itself (TLS, websocket) is `net::tunnel`'s.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_ec2::types::Filter;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;

use super::ec2::{Ec2, Error};

/// The signing name of the tunnel API, and the action IAM must allow.
const SERVICE: &str = "ec2-instance-connect";
pub const OPEN_TUNNEL: &str = "ec2-instance-connect:OpenTunnel";
/// How long a presigned URL is good for: it is used at once (the AWS CLI
/// signs for 60 s too).
const PRESIGNED_FOR: Duration = Duration::from_secs(60);
/// The states in which an endpoint carries tunnels (the AWS CLI's list).
const USABLE_STATES: [&str; 4] = [
    "create-complete",
    "update-in-progress",
    "update-failed",
    "update-complete",
];
/// The only ports an EIC Endpoint carries: ssh and RDP.
pub const PORTS: [u16; 2] = [22, 3389];

/// An endpoint that can carry tunnels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub vpc: String,
    pub subnet: String,
    pub dns_name: String,
    pub fips_dns_name: Option<String>,
}

impl Endpoint {
    /// The name to open tunnels to: the FIPS one when FIPS endpoints are asked for.
    ///
    /// # Errors
    /// FIPS is asked for and the endpoint has no FIPS name.
    pub fn host(&self, fips: bool) -> Result<&str, crate::error::TunnelError> {
        match (&self.fips_dns_name, fips) {
            (_, false) => Ok(&self.dns_name),
            (Some(name), true) => Ok(name),
            (None, true) => Err(crate::error::TunnelError::NoFipsName {
                id: self.id.clone(),
            }),
        }
    }
}

/// What a tunnel is opened to.
#[derive(Debug, Clone)]
pub struct TunnelTo<'a> {
    pub endpoint: &'a str,
    /// The endpoint's DNS name the URL is signed for and the websocket opened to.
    pub host: &'a str,
    pub private_ip: &'a str,
    pub port: u16,
    /// Seconds; the endpoint closes the tunnel after this long.
    pub max_duration: u32,
}

impl Ec2 {
    /// The usable endpoints in `vpc`, or the one named `id`.
    ///
    /// # Errors
    /// The API call failed.
    pub async fn instance_connect_endpoints(
        &self,
        vpc: Option<&str>,
        id: Option<&str>,
    ) -> Result<Vec<Endpoint>, Error> {
        const ACTION: &str = "ec2:DescribeInstanceConnectEndpoints";
        let mut request = self.client().describe_instance_connect_endpoints().filters(
            Filter::builder()
                .name("state")
                .set_values(Some(USABLE_STATES.map(String::from).to_vec()))
                .build(),
        );
        if let Some(vpc) = vpc {
            request = request.filters(Filter::builder().name("vpc-id").values(vpc).build());
        }
        if let Some(id) = id {
            request = request.instance_connect_endpoint_ids(id);
        }
        let mut pages = request.into_paginator().send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::from_sdk(ACTION, e))?;
            found.extend(page.instance_connect_endpoints().iter().filter_map(|e| {
                Some(Endpoint {
                    id: e.instance_connect_endpoint_id()?.to_string(),
                    vpc: e.vpc_id().unwrap_or_default().to_string(),
                    subnet: e.subnet_id().unwrap_or_default().to_string(),
                    dns_name: e.dns_name().filter(|n| !n.is_empty())?.to_string(),
                    fips_dns_name: e
                        .fips_dns_name()
                        .filter(|n| !n.is_empty())
                        .map(str::to_string),
                })
            }));
        }
        Ok(found)
    }

    /// Whether FIPS endpoints are asked for (AWS_USE_FIPS_ENDPOINT, the profile's use_fips_endpoint).
    pub fn use_fips(&self) -> bool {
        self.sdk_config().use_fips().unwrap_or(false)
    }

    /// The URL that opens `tunnel`, presigned with the caller's credentials.
    ///
    /// # Errors
    /// No credentials, or they could not be used to sign.
    pub async fn presign_tunnel(&self, tunnel: &TunnelTo<'_>) -> Result<String, Error> {
        let config = self.sdk_config();
        let provider = config
            .credentials_provider()
            .ok_or_else(|| Error::NoCredentials {
                detail: "no credentials provider is configured".into(),
            })?;
        let credentials =
            provider
                .provide_credentials()
                .await
                .map_err(|e| Error::NoCredentials {
                    detail: e.to_string(),
                })?;
        let identity = credentials.into();
        let region = self.region();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(PRESIGNED_FOR);
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name(SERVICE)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| signing_failed(&e))?
            .into();
        let mut url = format!(
            "wss://{}/openTunnel?{}",
            tunnel.host,
            query(&[
                ("instanceConnectEndpointId", tunnel.endpoint),
                ("remotePort", &tunnel.port.to_string()),
                ("privateIpAddress", tunnel.private_ip),
                ("maxTunnelDuration", &tunnel.max_duration.to_string()),
            ])
        );
        let signable = SignableRequest::new(
            "GET",
            url.as_str(),
            std::iter::once(("host", tunnel.host)),
            // The hash of the empty body, as the AWS CLI signs a wss:// URL
            // (botocore writes UNSIGNED-PAYLOAD only for https).
            SignableBody::Bytes(&[]),
        )
        .map_err(|e| signing_failed(&e))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| signing_failed(&e))?
            .into_parts();
        let signed: Vec<(&str, &str)> = instructions
            .params()
            .iter()
            .map(|(k, v)| (*k, v.as_ref()))
            .collect();
        url.push('&');
        url.push_str(&query(&signed));
        Ok(url)
    }
}

/// The endpoint to use for an instance in `vpc`: same subnet first, else the
/// first in its VPC (never one elsewhere, whatever the API answered).
pub fn choose(endpoints: Vec<Endpoint>, vpc: &str, subnet: Option<&str>) -> Option<Endpoint> {
    let mut in_vpc: Vec<Endpoint> = endpoints.into_iter().filter(|e| e.vpc == vpc).collect();
    let same_subnet = in_vpc
        .iter()
        .position(|e| Some(e.subnet.as_str()) == subnet)
        .unwrap_or(0);
    (!in_vpc.is_empty()).then(|| in_vpc.swap_remove(same_subnet))
}

fn signing_failed(err: &dyn std::error::Error) -> Error {
    Error::Api {
        action: OPEN_TUNNEL,
        code: "SigningFailed".into(),
        message: err.to_string(),
    }
}

/// `k=v&…`, each part encoded as SigV4 canonicalises it (all but unreserved characters).
fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(id: &str, subnet: &str) -> Endpoint {
        Endpoint {
            id: id.into(),
            vpc: "vpc-1".into(),
            subnet: subnet.into(),
            dns_name: format!("{id}.example"),
            fips_dns_name: None,
        }
    }

    #[test]
    fn the_instances_subnet_wins_else_the_first() {
        let both = vec![
            endpoint("eice-a", "subnet-1"),
            endpoint("eice-b", "subnet-2"),
        ];
        assert_eq!(
            choose(both.clone(), "vpc-1", Some("subnet-2")).unwrap().id,
            "eice-b"
        );
        assert_eq!(
            choose(both.clone(), "vpc-1", Some("subnet-9")).unwrap().id,
            "eice-a"
        );
        assert_eq!(
            choose(both, "vpc-2", Some("subnet-1")),
            None,
            "never another VPC's"
        );
        assert_eq!(choose(Vec::new(), "vpc-1", Some("subnet-1")), None);
    }

    #[test]
    fn fips_asks_for_the_fips_name_and_never_falls_back() {
        let mut e = endpoint("eice-a", "subnet-1");
        assert_eq!(e.host(false).unwrap(), "eice-a.example");
        assert!(
            e.host(true).is_err(),
            "no FIPS name: refused, not the plain one"
        );
        e.fips_dns_name = Some("eice-a.fips.example".into());
        assert_eq!(e.host(true).unwrap(), "eice-a.fips.example");
        assert_eq!(e.host(false).unwrap(), "eice-a.example");
    }

    #[test]
    fn query_values_are_encoded_as_sigv4_wants() {
        assert_eq!(
            query(&[(
                "X-Amz-Credential",
                "AKID/20261127/us-east-1/ec2-instance-connect/aws4_request"
            )]),
            "X-Amz-Credential=AKID%2F20261127%2Fus-east-1%2Fec2-instance-connect%2Faws4_request"
        );
        assert_eq!(
            query(&[("a", "1.2.3.4"), ("b", "x y+z")]),
            "a=1.2.3.4&b=x%20y%2Bz"
        );
    }
}
