//! Reference data of the register, as data (not enums): member categories with their fees
//! and votes, and the segments of the value chain. Everyone signed in reads it; admins
//! change it.

pub mod categories;
pub mod model;
pub mod repo;
pub mod segments;

use crate::error::ApiError;

/// Registers the reference data endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(categories::list_member_categories)
        .service(categories::create_member_category)
        .service(categories::get_member_category)
        .service(categories::update_member_category)
        .service(categories::delete_member_category)
        .service(segments::list_segments)
        .service(segments::create_segment)
        .service(segments::get_segment)
        .service(segments::update_segment)
        .service(segments::delete_segment);
}

/// A deletion refused because members still use the row: 409 `<what>_in_use`.
fn in_use(err: diesel::result::Error, what: &str) -> ApiError {
    match err {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        ) => ApiError::conflict(
            format!("{what}_in_use"),
            format!("Members still use this {what}; change them first."),
        ),
        other => other.into(),
    }
}
