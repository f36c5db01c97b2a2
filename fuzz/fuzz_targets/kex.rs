//! The server's side of the key exchange is attacker-controlled: reading the
//! host key out of it must never panic, and only bytes before the key packet
//! are forwarded. The same bytes are also tried as the host key blob of a
//! well-formed reply, so the key and certificate parsers see them directly
//! (contrib/fuzz seeds valid, truncated, nested and oversized certificates).
#![no_main]

use ec2_hostkey::net::kex;
use libfuzzer_sys::fuzz_target;

fn string(data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(data);
    out
}

/// `SSH-2.0-x`, then one unencrypted packet: a whole KEX_ECDH_REPLY with `blob` as K_S.
fn reply_with(blob: &[u8]) -> Vec<u8> {
    let mut payload = vec![31];
    payload.extend(string(blob));
    payload.extend(string(b"ephemeral"));
    let mut signature = string(b"ssh-ed25519");
    signature.extend(string(&[7; 64]));
    payload.extend(string(&signature));
    let padding = 8 - (payload.len() + 5) % 8 + 8;
    let mut stream = b"SSH-2.0-x\r\n".to_vec();
    stream.extend(((payload.len() + padding + 1) as u32).to_be_bytes());
    stream.push(padding as u8);
    stream.extend(&payload);
    stream.extend(std::iter::repeat_n(0u8, padding));
    stream
}

fuzz_target!(|data: &[u8]| {
    let mut forwarded = Vec::new();
    if let Ok(found) = kex::intercept_host_key(&mut &data[..], &mut forwarded) {
        assert_eq!(forwarded.len() + found.held.len(), data.len());
    }
    let stream = reply_with(data);
    if let Ok(found) = kex::intercept_host_key(&mut &stream[..], &mut Vec::new()) {
        // A certificate is judged by the key inside it, and only that.
        if let Some(cert) = &found.presented.certificate {
            assert_eq!(found.presented.key.key_data(), cert.public_key());
        }
        let _ = found.presented.describe();
    }
});
