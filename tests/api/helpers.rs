//! The former home of the test helpers, now [`crate::support`]: its names stay reachable
//! here so that tests written against `crate::helpers` keep compiling.

// Unused while every test file names `crate::support`.
#[allow(unused_imports)]
pub use crate::support::*;
