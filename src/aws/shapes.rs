//! The shapes of the names EC2 hands out: instance ids and the public and
//! private DNS names in AWS's zones. A shape says what kind of name the user
//! typed; it proves nothing about who holds it (only a fresh
//! DescribeInstances says that).

/// `i-` and 8 or 17 hex digits.
pub fn is_instance_id(name: &str) -> bool {
    name.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// A public DNS name EC2 assigns (`ec2-3-4-5-6.compute-1.amazonaws.com`):
/// only AWS answers for names in that zone.
pub fn is_ec2_public_dns(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("ec2-") && name.ends_with(".amazonaws.com")
}

/// A private DNS name EC2 assigns (`ip-10-0-0-1.ec2.internal`, `….compute.internal`).
pub fn is_ec2_private_dns(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with(".compute.internal") || name.ends_with(".ec2.internal")
}

/// Whether a name has a shape only EC2 hands out (id, public or private DNS name).
pub fn is_ec2_shaped(name: &str) -> bool {
    is_instance_id(&name.to_ascii_lowercase())
        || is_ec2_public_dns(name)
        || is_ec2_private_dns(name)
}
