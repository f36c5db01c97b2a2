//! Cache files may be corrupt or tampered with: decoding never panics, and a
//! record whose keys do not all parse vouches for nothing.
#![no_main]

use ec2_hostkey::store::cache::{InstanceRecord, NameRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = serde_json::from_slice::<InstanceRecord>(data) {
        if let Some(keys) = record.public_keys() {
            for key in &keys {
                assert!(record.vouches_for(key));
            }
        }
    }
    let _ = serde_json::from_slice::<NameRecord>(data);
});
