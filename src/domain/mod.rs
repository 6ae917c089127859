//! Value types shared by modules, built by parsing ("parse, don't validate"): money, typed
//! ids, the calendar, e-mail addresses, tax ids and text rules.

pub mod calendar;
pub mod email;
pub mod ids;
pub mod money;
pub mod tax_id;
pub mod text;

pub use email::Email;
pub use ids::*;
pub use money::{Cents, Overflow};
pub use tax_id::TaxId;
