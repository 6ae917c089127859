//! Value types shared by modules, built by parsing ("parse, don't validate").

pub mod email;
pub mod tax_id;
pub mod text;

pub use email::Email;
pub use tax_id::TaxId;
