//! Exit codes, part of the interface (see `--help` and README).

use crate::{ec2, kex, known_hosts, resolve, sources};

pub const FAILURE: u8 = 1;
pub const NOT_FOUND: u8 = 3;
pub const NO_KEY: u8 = 4;
pub const MISMATCH: u8 = 5;
pub const AWS: u8 = 6;

/// The exit code for the first typed error in the chain.
pub fn code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.downcast_ref::<crate::sync::Mismatches>().is_some() {
            return MISMATCH;
        }
        if cause.downcast_ref::<crate::sync::Incomplete>().is_some() {
            return NO_KEY;
        }
        if let Some(e) = cause.downcast_ref::<sources::Error>() {
            return match e {
                sources::Error::Mismatch { .. }
                | sources::Error::Console(sources::console::ConsoleError::Contradictory {
                    ..
                }) => MISMATCH,
                sources::Error::Ec2(e) => ec2_code(e),
                _ => NO_KEY,
            };
        }
        if let Some(e) = cause.downcast_ref::<resolve::Error>() {
            return match e {
                resolve::Error::Ec2(e) => ec2_code(e),
                resolve::Error::Dns(_) => FAILURE,
                _ => NOT_FOUND,
            };
        }
        if let Some(e) = cause.downcast_ref::<ec2::Error>() {
            return ec2_code(e);
        }
        if cause.downcast_ref::<known_hosts::Error>().is_some()
            || cause.downcast_ref::<kex::Error>().is_some()
        {
            return FAILURE;
        }
    }
    FAILURE
}

fn ec2_code(err: &ec2::Error) -> u8 {
    match err {
        ec2::Error::Unreachable { .. }
        | ec2::Error::Throttled { .. }
        | ec2::Error::TimedOut { .. }
        | ec2::Error::Api { .. } => FAILURE,
        _ => AWS,
    }
}
