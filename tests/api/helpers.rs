//! The former home of the test helpers, now [`crate::support`]: its names stay reachable
//! here so that tests written against `crate::helpers` keep compiling.

pub use crate::support::*;
