//! The server's side of the key exchange is attacker-controlled: reading the
//! host key out of it must never panic, and only bytes before the key packet
//! are forwarded.
#![no_main]

use ec2_hostkey::net::kex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut forwarded = Vec::new();
    if let Ok(found) = kex::intercept_host_key(&mut &data[..], &mut forwarded) {
        assert_eq!(forwarded.len() + found.held.len(), data.len());
    }
});
