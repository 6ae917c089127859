//! What the public transparency feed answers with: every item is built field by field
//! from its source (see `feed` for what is public and what never leaves).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    budgets::model::LineKind,
    domain::Cents,
    funding::model::FunderKind,
    governance::model::{BodyKind, Position},
    http::csv::CsvRow,
};

/// The entity publishing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicEntity {
    /// Its legal name.
    pub legal_name: String,
    /// Its tax id (a legal person's, public).
    pub tax_id: String,
    /// Its website.
    pub website: Option<String>,
}

/// An agreement (convenio) with a public administration in force during the year.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicAgreement {
    /// The parties: the cluster and the administration.
    pub parties: Vec<String>,
    /// The administration's kind.
    pub administration_kind: FunderKind,
    /// The object of the agreement (its title).
    pub object: String,
    /// Its reference.
    pub reference: Option<String>,
    /// Start of its term.
    pub starts_on: NaiveDate,
    /// End of its term.
    pub ends_on: NaiveDate,
    /// Its whole amount, in cents.
    pub total_cents: Cents,
    /// What it pays in this fiscal year, in cents.
    pub year_cents: Cents,
    /// The economic obligations of the parties, as recorded.
    pub economic_obligations: Option<String>,
    /// How many times it was modified since it was recorded.
    pub modifications: i64,
    /// When it was last modified (Madrid date).
    pub last_modified_on: NaiveDate,
}

impl CsvRow for PublicAgreement {
    fn header() -> &'static [&'static str] {
        &[
            "parties",
            "administration_kind",
            "object",
            "reference",
            "starts_on",
            "ends_on",
            "total_cents",
            "year_cents",
            "economic_obligations",
            "modifications",
            "last_modified_on",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.parties.join(" / "),
            self.administration_kind.to_string(),
            self.object.clone(),
            self.reference.clone().unwrap_or_default(),
            self.starts_on.to_string(),
            self.ends_on.to_string(),
            self.total_cents.0.to_string(),
            self.year_cents.0.to_string(),
            self.economic_obligations.clone().unwrap_or_default(),
            self.modifications.to_string(),
            self.last_modified_on.to_string(),
        ]
    }
}

/// A subsidy or aid received in the year from a public administration.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicSubsidy {
    /// Who granted it.
    pub grantor: String,
    /// The grantor's kind.
    pub grantor_kind: FunderKind,
    /// `grant` (a subsidy) or `agreement` (an agreement's instalment).
    pub instrument: String,
    /// What it is for (the grant's or agreement's title).
    pub purpose: String,
    /// The amount of the year, in cents.
    pub amount_cents: Cents,
}

impl CsvRow for PublicSubsidy {
    fn header() -> &'static [&'static str] {
        &[
            "grantor",
            "grantor_kind",
            "instrument",
            "purpose",
            "amount_cents",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.grantor.clone(),
            self.grantor_kind.to_string(),
            self.instrument.clone(),
            self.purpose.clone(),
            self.amount_cents.0.to_string(),
        ]
    }
}

/// A line of the adopted budget with its execution.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicBudgetLine {
    /// The line's code.
    pub code: String,
    /// `income` or `expense`.
    pub kind: LineKind,
    /// What it is.
    pub description: String,
    /// Budgeted, in cents.
    pub planned_cents: Cents,
    /// Committed, in cents.
    pub committed_cents: Cents,
    /// Actually received or spent, in cents.
    pub actual_cents: Cents,
}

impl CsvRow for PublicBudgetLine {
    fn header() -> &'static [&'static str] {
        &[
            "code",
            "kind",
            "description",
            "planned_cents",
            "committed_cents",
            "actual_cents",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.kind.to_string(),
            self.description.clone(),
            self.planned_cents.0.to_string(),
            self.committed_cents.0.to_string(),
            self.actual_cents.0.to_string(),
        ]
    }
}

/// The budget of the year and its execution.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicBudget {
    /// Its title.
    pub title: String,
    /// Its version number.
    pub version_number: i32,
    /// When the assembly approved it.
    pub approved_on: Option<NaiveDate>,
    /// Planned income, in cents (the sum of the income lines).
    pub planned_income_cents: Cents,
    /// Planned expense, in cents.
    pub planned_expense_cents: Cents,
    /// Income received, in cents.
    pub actual_income_cents: Cents,
    /// Expense spent, in cents.
    pub actual_expense_cents: Cents,
    /// Its lines.
    pub lines: Vec<PublicBudgetLine>,
}

/// A seat on a board or committee: an organisation and its position (never the person).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicSeat {
    /// The body's name.
    pub body: String,
    /// The member organisation holding the seat.
    pub organisation: String,
    /// Its position.
    pub position: Position,
}

impl CsvRow for PublicSeat {
    fn header() -> &'static [&'static str] {
        &["body", "organisation", "position"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.body.clone(),
            self.organisation.clone(),
            self.position.to_string(),
        ]
    }
}

/// A governing body on the composition date.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicBody {
    /// Its name.
    pub name: String,
    /// Assembly, board or committee.
    pub kind: BodyKind,
    /// How many member organisations have a vote in it.
    pub voting_organisations: i64,
    /// The seats of a board or committee (empty for the Assembly, whose members are every
    /// member entitled to vote).
    pub seats: Vec<PublicSeat>,
}

/// Everything published for a fiscal year.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TransparencyDocument {
    /// The fiscal year.
    pub fiscal_year: i32,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// The publisher's note.
    pub note: Option<String>,
    /// Who publishes (`null` until the cluster's record is set up).
    pub entity: Option<PublicEntity>,
    /// The aid of the year from public administrations, in cents.
    pub public_aid_cents: Cents,
    /// Agreements with public administrations in force during the year.
    pub agreements: Vec<PublicAgreement>,
    /// Subsidies and aid received in the year from public administrations.
    pub subsidies: Vec<PublicSubsidy>,
    /// The adopted budget of the year and its execution (`null` without one).
    pub budget: Option<PublicBudget>,
    /// The governing bodies and their composition.
    pub governing_bodies: Vec<PublicBody>,
    /// The day the composition is given for: 31 December of the year, or today while the
    /// year runs.
    pub composition_on: NaiveDate,
}

/// One section of the feed: every item, in one answer (a year's section is small; there is
/// no next page).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Section<T> {
    /// The items.
    pub items: Vec<T>,
    /// Always `null`: the whole section is in one answer.
    pub next_cursor: Option<String>,
}

/// A published year, as the feed lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublishedYear {
    /// The fiscal year.
    pub fiscal_year: i32,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// Where its data is.
    pub href: String,
}
