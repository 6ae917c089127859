//! Value types shared by modules, built by parsing ("parse, don't validate").

pub mod email;
pub mod text;

pub use email::Email;
