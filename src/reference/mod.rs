//! Reference data of the register, as data (not enums): member categories with their fees
//! and votes, and the segments of the value chain. Everyone signed in reads it; admins
//! change it.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;

/// Registers the reference data endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    use handlers::*;
    cfg.service(list_categories)
        .service(create_category)
        .service(get_category)
        .service(update_category)
        .service(delete_category)
        .service(list_segments)
        .service(create_segment)
        .service(get_segment)
        .service(update_segment)
        .service(delete_segment);
}
