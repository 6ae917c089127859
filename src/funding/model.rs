//! Rows of the funding tables, the application state machine and the funding arithmetic.
//!
//! At 600 lines with its unit tests: the state machine (every edge and whose move it is)
//! and the call limits are pure rules whose tests sit beside them.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::{
    domain::{
        AgreementId, ApplicationId, BudgetId, BudgetLineId, CallId, Cents, DocumentId, FunderId,
        MemberId, NodeId, UserId,
    },
    error::FieldErrors,
    schema::{
        agreement_instalments, agreements, application_actions, application_documents,
        application_income, application_lines, application_transitions, applications, calls,
        funders,
    },
};

crate::text_enum!(
    /// What kind of institution a funder is.
    FunderKind {
        /// A national ministry.
        Ministry => "ministry",
        /// A regional government or agency.
        RegionalGovernment => "regional_government",
        /// A city council.
        CityCouncil => "city_council",
        /// The European Union.
        Eu => "eu",
        /// A private funder (a foundation, a company).
        Private => "private",
        /// Anything else.
        Other => "other",
    }
);

crate::text_enum!(
    /// Where a call stands, derived from its opening and closing instants.
    CallStatus {
        /// Announced, not open yet.
        Forecast => "forecast",
        /// Applications are accepted.
        Open => "open",
        /// The submission window has ended.
        Closed => "closed",
    }
);

crate::text_enum!(
    /// Where a subsidy application stands.
    ApplicationStatus {
        /// Being prepared by the cluster.
        Draft => "draft",
        /// Submitted to the funder.
        Submitted => "submitted",
        /// The funder is assessing it.
        UnderReview => "under_review",
        /// The funder asked for changes; the cluster edits and submits again.
        ChangesRequested => "changes_requested",
        /// Granted in full.
        Granted => "granted",
        /// Granted for less than requested.
        PartiallyGranted => "partially_granted",
        /// Refused.
        Rejected => "rejected",
        /// The cluster accepted the grant: the money is income of the years it funds.
        Accepted => "accepted",
        /// The cluster renounced the grant.
        Renounced => "renounced",
        /// The cluster has sent its justification of the spending.
        JustificationSubmitted => "justification_submitted",
        /// The funder accepted the justification.
        Justified => "justified",
        /// The file is closed.
        Closed => "closed",
        /// The cluster withdrew it before a decision.
        Withdrawn => "withdrawn",
    }
);

/// Who makes a move of the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The cluster's staff (internal moves: submit, accept, justify, withdraw).
    Cluster,
    /// The funder's partner users, or staff recording the funder's decision for it.
    Funder,
}

impl ApplicationStatus {
    /// Who may move an application from `self` to `to`; `None` when the move is illegal.
    /// This table and the database trigger `agrupa_applications_guard` list the same edges
    /// (a test runs every pair of statuses through the trigger and compares).
    pub fn edge(self, to: ApplicationStatus) -> Option<Side> {
        use ApplicationStatus::*;
        match (self, to) {
            (Draft, Submitted)
            | (ChangesRequested, Submitted)
            | (Granted | PartiallyGranted, Accepted | Renounced)
            | (Accepted, JustificationSubmitted)
            | (Draft | Submitted, Withdrawn) => Some(Side::Cluster),
            (Submitted, UnderReview)
            | (UnderReview, ChangesRequested | Granted | PartiallyGranted | Rejected)
            | (JustificationSubmitted, Justified)
            | (Justified, Closed) => Some(Side::Funder),
            _ => None,
        }
    }

    /// The statuses reachable from `self`.
    pub fn next(self) -> Vec<ApplicationStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|to| self.edge(*to).is_some())
            .collect()
    }

    /// Whether the status is a grant decision (full or partial).
    pub fn grants(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Granted | ApplicationStatus::PartiallyGranted
        )
    }

    /// Whether the cluster may still change the application's content.
    pub fn editable(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Draft | ApplicationStatus::ChangesRequested
        )
    }

    /// Whether the application holds a grant (its money counts against double funding).
    pub fn holds_grant(self) -> bool {
        use ApplicationStatus::*;
        matches!(
            self,
            Granted | PartiallyGranted | Accepted | JustificationSubmitted | Justified | Closed
        )
    }

    /// Statuses that hold a grant.
    pub fn granted_statuses() -> Vec<ApplicationStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| s.holds_grant())
            .collect()
    }
}

/// A funder.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = funders, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct FunderRow {
    pub id: FunderId,
    pub name: String,
    pub kind: FunderKind,
    pub tax_id: Option<String>,
    pub website: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to a funder.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = funders)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct FunderChanges {
    pub name: Option<String>,
    pub kind: Option<FunderKind>,
    pub tax_id: Option<Option<String>>,
    pub website: Option<Option<String>>,
}

/// A call for subsidies.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = calls, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct CallRow {
    pub id: CallId,
    pub funder_id: FunderId,
    pub title: String,
    pub programme: Option<String>,
    pub bdns_code: Option<String>,
    pub journal_reference: Option<String>,
    pub journal_url: Option<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub max_grant_cents: Option<Cents>,
    pub cofinancing_rate_bp: i32,
    pub execution_starts_on: Option<NaiveDate>,
    pub execution_ends_on: Option<NaiveDate>,
    pub justification_due_on: Option<NaiveDate>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub simplified_justification: bool,
    pub indirect_cost_rate_bp: Option<i32>,
    pub total_budget_cents: Option<Cents>,
    pub regulatory_basis: Option<String>,
    pub regulatory_basis_url: Option<String>,
    pub instruments: Vec<String>,
}

impl CallRow {
    /// The status at `now`.
    pub fn status_at(&self, now: DateTime<Utc>) -> CallStatus {
        if now < self.opens_at {
            CallStatus::Forecast
        } else if now < self.closes_at {
            CallStatus::Open
        } else {
            CallStatus::Closed
        }
    }
}

/// Changes to a call.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = calls)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct CallChanges {
    pub title: Option<String>,
    pub programme: Option<Option<String>>,
    pub bdns_code: Option<Option<String>>,
    pub journal_reference: Option<Option<String>>,
    pub journal_url: Option<Option<String>>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub max_grant_cents: Option<Option<Cents>>,
    pub cofinancing_rate_bp: Option<i32>,
    pub execution_starts_on: Option<Option<NaiveDate>>,
    pub execution_ends_on: Option<Option<NaiveDate>>,
    pub justification_due_on: Option<Option<NaiveDate>>,
    pub simplified_justification: Option<bool>,
    pub indirect_cost_rate_bp: Option<Option<i32>>,
    pub total_budget_cents: Option<Option<Cents>>,
    pub regulatory_basis: Option<Option<String>>,
    pub regulatory_basis_url: Option<Option<String>>,
    pub instruments: Option<Vec<String>>,
}

impl CallRow {
    /// The rules of a call as a whole: its window, its execution period, its rate and
    /// maximum (each problem recorded in `errors`).
    pub fn check_rules(&self, errors: &mut FieldErrors) {
        if self.closes_at <= self.opens_at {
            errors.add("closes_at", "before_opening", "must be after `opens_at`");
        }
        if let (Some(s), Some(e)) = (self.execution_starts_on, self.execution_ends_on)
            && e < s
        {
            errors.add(
                "execution_ends_on",
                "before_start",
                "must not be before `execution_starts_on`",
            );
        }
        if !(1..=10_000).contains(&self.cofinancing_rate_bp) {
            errors.add(
                "cofinancing_rate_bp",
                "out_of_range",
                "must be 1 to 10000 basis points",
            );
        }
        if let Some(r) = self.indirect_cost_rate_bp
            && !(0..=2500).contains(&r)
        {
            errors.add(
                "indirect_cost_rate_bp",
                "out_of_range",
                "must be 0 to 2500 basis points",
            );
        }
        if let Some(m) = self.max_grant_cents
            && !m.in_range(Cents(1))
        {
            errors.add(
                "max_grant_cents",
                "out_of_range",
                Cents::range_message(Cents(1)),
            );
        }
    }
}

impl CallChanges {
    /// The call as these changes would leave it (as far as its rules read it).
    pub fn applied_to(&self, current: &CallRow) -> CallRow {
        CallRow {
            opens_at: self.opens_at.unwrap_or(current.opens_at),
            closes_at: self.closes_at.unwrap_or(current.closes_at),
            max_grant_cents: self.max_grant_cents.unwrap_or(current.max_grant_cents),
            cofinancing_rate_bp: self
                .cofinancing_rate_bp
                .unwrap_or(current.cofinancing_rate_bp),
            execution_starts_on: self
                .execution_starts_on
                .unwrap_or(current.execution_starts_on),
            execution_ends_on: self.execution_ends_on.unwrap_or(current.execution_ends_on),
            indirect_cost_rate_bp: self
                .indirect_cost_rate_bp
                .unwrap_or(current.indirect_cost_rate_bp),
            ..current.clone()
        }
    }
}

/// An agreement (convenio).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agreements, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct AgreementRow {
    pub id: AgreementId,
    pub funder_id: FunderId,
    pub title: String,
    pub reference: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub total_cents: Cents,
    pub obligations: Option<String>,
    pub justification_due_on: Option<NaiveDate>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to an agreement.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = agreements)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct AgreementChanges {
    pub title: Option<String>,
    pub reference: Option<Option<String>>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub total_cents: Option<Cents>,
    pub obligations: Option<Option<String>>,
    pub justification_due_on: Option<Option<NaiveDate>>,
}

/// A yearly instalment of an agreement.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agreement_instalments, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct InstalmentRow {
    pub id: Uuid,
    pub agreement_id: AgreementId,
    pub fiscal_year: i32,
    pub amount_cents: Cents,
    pub justification_due_on: Option<NaiveDate>,
    pub budget_line_id: Option<BudgetLineId>,
}

/// A subsidy application.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = applications, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct ApplicationRow {
    pub id: ApplicationId,
    pub call_id: CallId,
    pub title: String,
    pub summary: Option<String>,
    pub lead_member_id: Option<MemberId>,
    pub status: ApplicationStatus,
    pub eligible_cost_cents: Cents,
    pub requested_cents: Cents,
    pub own_funding_cents: Cents,
    pub other_aid_cents: Cents,
    pub granted_cents: Option<Cents>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_on: Option<NaiveDate>,
    pub justification_due_on: Option<NaiveDate>,
    pub version: i64,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to an application (content while editable; decisions through transitions).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = applications)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct ApplicationChanges {
    pub call_id: Option<CallId>,
    pub title: Option<String>,
    pub summary: Option<Option<String>>,
    pub lead_member_id: Option<Option<MemberId>>,
    pub eligible_cost_cents: Option<Cents>,
    pub requested_cents: Option<Cents>,
    pub own_funding_cents: Option<Cents>,
    pub other_aid_cents: Option<Cents>,
    pub status: Option<ApplicationStatus>,
    pub granted_cents: Option<Option<Cents>>,
    pub submitted_at: Option<Option<DateTime<Utc>>>,
    pub decided_on: Option<Option<NaiveDate>>,
    pub justification_due_on: Option<Option<NaiveDate>>,
}

/// The part of an application's requested amount for one plan action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_actions, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct ApplicationActionRow {
    pub application_id: ApplicationId,
    pub action_id: NodeId,
    pub amount_cents: Cents,
}

/// The part of an application's requested amount for one budget line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_lines, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct ApplicationLineRow {
    pub application_id: ApplicationId,
    pub line_id: BudgetLineId,
    pub amount_cents: Cents,
}

/// One move of an application.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_transitions, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct TransitionRow {
    pub id: Uuid,
    pub application_id: ApplicationId,
    pub from_status: ApplicationStatus,
    pub to_status: ApplicationStatus,
    pub comment: Option<String>,
    pub granted_cents: Option<Cents>,
    pub actor_id: Uuid,
    pub actor_kind: String,
    pub actor_role: String,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The income an accepted grant brings to one fiscal year.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_income, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct IncomeRow {
    pub application_id: ApplicationId,
    pub fiscal_year: i32,
    pub amount_cents: Cents,
    pub line_key: Option<Uuid>,
    pub budget_id: Option<BudgetId>,
    pub pending: bool,
    pub created_at: DateTime<Utc>,
}

/// A document's metadata.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_documents, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `funding` and the DTOs"
)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub application_id: ApplicationId,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage: String,
    pub description: Option<String>,
    pub uploaded_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// `part × numerator / denominator`, rounded up (0 when the denominator is not positive,
/// the largest amount when the result does not fit): the share of a grant an action gets,
/// counted so that double funding is never under-counted.
pub fn scale_up(part: Cents, numerator: Cents, denominator: Cents) -> Cents {
    if denominator.get() <= 0 {
        return Cents::ZERO;
    }
    part.scale(numerator.get(), denominator.get(), true)
        .unwrap_or(Cents(i64::MAX))
}

/// Whether `requested` is within `rate_bp` basis points of `eligible`
/// (requested × 10,000 ≤ rate × eligible, exactly).
pub fn within_rate(requested: Cents, eligible: Cents, rate_bp: i32) -> bool {
    i128::from(requested.get()) * 10_000 <= i128::from(eligible.get()) * i128::from(rate_bp)
}

/// A call's limit an amount goes past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AboveLimit {
    /// `above_call_maximum` or `above_cofinancing_rate`.
    pub code: &'static str,
    /// What the limit is and by how much it is passed.
    pub message: String,
}

impl CallRow {
    /// The most the call lets an application ask: its maximum grant and its rate of the
    /// eligible cost, whichever is lower.
    pub fn ceiling(&self, eligible: Cents) -> Cents {
        let by_rate = eligible
            .scale(i64::from(self.cofinancing_rate_bp), 10_000, false)
            .unwrap_or(Cents(i64::MAX));
        self.max_grant_cents.map_or(by_rate, |m| m.min(by_rate))
    }

    /// The call's limits for an amount asked or granted of an `eligible` cost: its maximum
    /// grant (`above_call_maximum`) and its co-financing rate (`above_cofinancing_rate`).
    pub fn check_limits(&self, eligible: Cents, amount: Cents) -> Result<(), AboveLimit> {
        if let Some(max) = self.max_grant_cents
            && amount > max
        {
            return Err(AboveLimit {
                code: "above_call_maximum",
                message: format!("{amount} is above the call's maximum grant of {max}."),
            });
        }
        if !within_rate(amount, eligible, self.cofinancing_rate_bp) {
            return Err(AboveLimit {
                code: "above_cofinancing_rate",
                message: format!(
                    "{amount} is above the call's co-financing rate of {}.{:02}% of the \
                     eligible {eligible} (at most {}).",
                    self.cofinancing_rate_bp / 100,
                    self.cofinancing_rate_bp % 100,
                    self.ceiling(eligible)
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus::*;

    #[test]
    fn the_machine_has_the_documented_edges() {
        let legal: Vec<(ApplicationStatus, ApplicationStatus)> = ApplicationStatus::ALL
            .iter()
            .flat_map(|f| f.next().into_iter().map(move |t| (*f, t)))
            .collect();
        assert_eq!(legal.len(), 16);
        assert_eq!(Draft.next(), vec![Submitted, Withdrawn]);
        assert_eq!(
            UnderReview.next(),
            vec![ChangesRequested, Granted, PartiallyGranted, Rejected]
        );
        for end in [Rejected, Renounced, Closed, Withdrawn] {
            assert!(end.next().is_empty(), "{end} is final");
        }
        assert_eq!(Submitted.edge(UnderReview), Some(Side::Funder));
        assert_eq!(Granted.edge(Accepted), Some(Side::Cluster));
        assert_eq!(Draft.edge(Granted), None);
    }

    #[test]
    fn rates_are_exact() {
        let c = Cents;
        // 80% of 1,000.01 € is 800.008 €: 800.00 € fits, 800.01 € does not.
        assert!(within_rate(c(80_000), c(100_001), 8_000));
        assert!(!within_rate(c(80_001), c(100_001), 8_000));
        assert!(within_rate(c(i64::MAX / 2), c(i64::MAX / 2), 10_000));
        // Rounded down (the ceiling a rate allows), saturating; nothing over nothing.
        assert_eq!(c(7).scale(1, 3, false), Some(c(2)));
        assert_eq!(
            c(1_000_000_000_000_000)
                .scale(1_000_000_000_000_000, 1, false)
                .unwrap_or(c(i64::MAX)),
            c(i64::MAX)
        );
        assert_eq!(scale_up(c(5), c(1), c(0)), c(0));
        assert_eq!(scale_up(c(7), c(1), c(3)), c(3));
        assert_eq!(scale_up(c(6), c(1), c(3)), c(2));
        assert_eq!(scale_up(c(5), c(0), c(3)), c(0));
    }
}
