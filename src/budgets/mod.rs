//! Budgets: one fiscal year's income and expense lines, approved by the General Assembly;
//! lines tied to plan actions (by shares) and to their income source; execution entries
//! that are never edited; a report that always reconciles; revisions and their diff.
//!
//! One file per sub-resource, each with its request and response types, its handlers and
//! its service functions: [`categories`], [`versions`] (the budgets, their approval and
//! revisions), [`lines`], [`entries`] (and their [`payments`]), [`report`], [`diff`], and [`grants`] (grant income
//! booked on lines). Changes of a budget and its lines need `If-Match` (428 without).

pub mod categories;
pub mod diff;
pub mod entries;
pub mod grants;
pub mod lines;
pub mod model;
pub mod payments;
pub mod repo;
pub mod report;
pub mod versions;

pub use grants::{GrantIncome, apply_pending_income, book_grant_line};
pub use versions::{approve, revise};

/// Registers the budget endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(categories::list_budget_categories)
        .service(categories::create_budget_category)
        .service(categories::update_budget_category)
        .service(versions::list_budgets)
        .service(versions::create_budget)
        .service(versions::get_budget)
        .service(versions::update_budget)
        .service(versions::delete_budget)
        .service(versions::approve_budget)
        .service(versions::revise_budget)
        .service(report::budget_report)
        .service(diff::diff_budgets)
        .service(lines::list_lines)
        .service(lines::create_line)
        .service(lines::get_line)
        .service(lines::update_line)
        .service(lines::delete_line)
        .service(entries::list_entries)
        .service(entries::create_entry)
        .service(payments::pay_entry);
}
