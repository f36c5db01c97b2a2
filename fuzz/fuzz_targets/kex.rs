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

/// An unencrypted packet around `payload`.
fn packet(payload: &[u8]) -> Vec<u8> {
    let padding = 8 - (payload.len() + 5) % 8 + 8;
    let mut out = ((payload.len() + padding + 1) as u32).to_be_bytes().to_vec();
    out.push(padding as u8);
    out.extend(payload);
    out.extend(std::iter::repeat_n(0u8, padding));
    out
}

/// A server KEXINIT offering curve25519 and group exchange.
fn kexinit() -> Vec<u8> {
    let mut payload = vec![20];
    payload.extend([0u8; 16]);
    payload.extend(string(b"curve25519-sha256,diffie-hellman-group-exchange-sha256"));
    for _ in 0..9 {
        payload.extend(string(b"none"));
    }
    payload.extend([0, 0, 0, 0, 0]);
    packet(&payload)
}

/// `SSH-2.0-x`, a KEXINIT, then a whole KEX_ECDH_REPLY with `blob` as K_S.
fn reply_with(blob: &[u8]) -> Vec<u8> {
    let mut payload = vec![31];
    payload.extend(string(blob));
    payload.extend(string(b"ephemeral"));
    let mut signature = string(b"ssh-ed25519");
    signature.extend(string(&[7; 64]));
    payload.extend(string(&signature));
    let mut stream = b"SSH-2.0-x\r\n".to_vec();
    stream.extend(kexinit());
    stream.extend(packet(&payload));
    stream
}

fuzz_target!(|data: &[u8]| {
    // The client's first byte picks which method it prefers.
    let offer = |first: bool| -> Vec<String> {
        let names = ["curve25519-sha256", "diffie-hellman-group-exchange-sha256"];
        let order = if first { [0, 1] } else { [1, 0] };
        order.iter().map(|&i| names[i].to_string()).collect()
    };
    let prefers_curve = data.first().is_some_and(|b| b & 1 == 0);
    let mut forwarded = Vec::new();
    let mut client = || Ok(offer(prefers_curve));
    if let Ok(found) = kex::intercept_host_key(&mut &data[..], &mut forwarded, &mut client) {
        assert_eq!(forwarded.len() + found.held.len(), data.len());
    }
    let mut server = Vec::new();
    let _ = kex::read_client_offer(&mut &data[..], &mut server);
    assert!(server.len() <= data.len());
    let stream = reply_with(data);
    let mut curve = || Ok(offer(true));
    if let Ok(found) = kex::intercept_host_key(&mut &stream[..], &mut Vec::new(), &mut curve) {
        // A certificate is judged by the key inside it, and only that.
        if let Some(cert) = &found.presented.certificate {
            assert_eq!(found.presented.key.key_data(), cert.public_key());
        }
        let _ = found.presented.describe();
    }
});
