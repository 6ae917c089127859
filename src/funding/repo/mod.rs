//! Queries of funding: every query on funding's tables, and nothing else (budgets and
//! plans are read through their repos), one file per sub-resource; callers use
//! `funding::repo::…` as before.

mod agreements;
mod applications;
mod calls;
mod deadlines;
mod documents;
mod funders;
mod grants;
mod income;

pub use agreements::*;
pub use applications::*;
pub use calls::*;
pub use deadlines::*;
pub use documents::*;
pub use funders::*;
pub use grants::*;
pub use income::*;
