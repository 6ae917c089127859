//! The European profile's answer: the types the report is made of (see the module above
//! for what each figure means).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    cluster::{model::ClusterRow, profile::AeiRegistration},
    domain::{BodyId, BudgetId, Cents},
    governance::model::BodyKind,
    members::model::MemberKind,
    reports::{
        aei_register::{Criterion, CriterionStatus},
        transparency::IncomeBasis,
    },
};

/// Who the cluster is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Organisation {
    /// Legal name.
    pub legal_name: String,
    /// Short name.
    pub short_name: Option<String>,
    /// Spanish tax id.
    pub tax_id: String,
    /// Website.
    pub website: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Province (the region the cluster works in).
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: String,
    /// The sector, in words.
    pub sector_description: Option<String>,
    /// CNAE-2009 codes of the sector.
    pub cnae_codes: Vec<String>,
    /// When the cluster was founded.
    pub founded_on: Option<NaiveDate>,
    /// Its inscription in the Ministry's AEI register, when it has one.
    pub aei_registration: Option<AeiRegistration>,
}

impl From<&ClusterRow> for Organisation {
    fn from(c: &ClusterRow) -> Self {
        let aei_registration = match (
            &c.aei_register_number,
            c.aei_registered_on,
            c.aei_expires_on,
        ) {
            (Some(n), Some(registered_on), Some(expires_on)) => Some(AeiRegistration {
                register_number: n.clone(),
                registered_on,
                expires_on,
            }),
            _ => None,
        };
        Self {
            legal_name: c.legal_name.clone(),
            short_name: c.short_name.clone(),
            tax_id: c.tax_id.clone(),
            website: c.website.clone(),
            city: c.city.clone(),
            province: c.province.clone(),
            country_code: c.country_code.clone(),
            sector_description: c.sector_description.clone(),
            cnae_codes: c.cnae_codes.clone(),
            founded_on: c.founded_on,
            aei_registration,
        }
    }
}

/// The active members of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KindCount {
    /// The kind.
    pub kind: MemberKind,
    /// How many active members are of it.
    pub count: i64,
}

/// Industry: companies and self-employed professionals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct IndustryMembers {
    /// All of them.
    pub total: i64,
    /// Small and medium-sized enterprises (micro, small, medium: EU definition).
    pub smes: i64,
    /// Large enterprises (250 people or more).
    pub large: i64,
    /// Size not recorded.
    pub size_unknown: i64,
}

/// Research and education: the knowledge providers and training centres.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ResearchMembers {
    /// All of them.
    pub total: i64,
    /// Universities.
    pub universities: i64,
    /// Technology centres.
    pub technology_centres: i64,
    /// Training centres and film schools.
    pub training_centres: i64,
}

/// Public administrations and other organisations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct PublicAndOtherMembers {
    /// All of them.
    pub total: i64,
    /// Public institutions.
    pub public_institutions: i64,
    /// Associations.
    pub associations: i64,
    /// Anything else.
    pub other: i64,
}

/// The committed members by type, in the three helices.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Membership {
    /// The committed members: active, not archived.
    pub committed: i64,
    /// By kind (every kind, in the register's order).
    pub by_kind: Vec<KindCount>,
    /// Industry.
    pub industry: IndustryMembers,
    /// Research and education.
    pub research_and_education: ResearchMembers,
    /// Public administrations and other.
    pub public_and_other: PublicAndOtherMembers,
}

/// The cluster management's staff.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Management {
    /// Management staff in full-time equivalents (the cluster record), when recorded.
    #[schema(example = 2.5)]
    pub fte: Option<f64>,
}

/// One governing body.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BodyProfile {
    /// The body.
    pub id: BodyId,
    /// Its name.
    pub name: String,
    /// Assembly, board or committee.
    pub kind: BodyKind,
    /// The member organisations with voice and vote on it today (the Assembly: the members
    /// entitled to vote; boards and committees: the organisations holding a seat).
    pub voting_members: i64,
    /// The universities and technology centres among them, by legal name.
    pub knowledge_providers: Vec<String>,
}

/// The governing bodies.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Governance {
    /// Every body, by name.
    pub bodies: Vec<BodyProfile>,
    /// Whether a knowledge provider has voice and vote on every body (the AEI register's
    /// `knowledge_provider` criterion).
    pub knowledge_providers_vote: Criterion,
}

crate::text_enum!(
    /// A part of the financing mix.
    FinancingSourceKind {
        /// Member fees.
        MembershipFees => "membership_fees",
        /// Grants and agreements of public administrations.
        PublicFunding => "public_funding",
        /// Grants and agreements of private or other funders.
        PrivateFunding => "private_funding",
        /// The rest of the budget's income (services sold, sponsorship not recorded as
        /// funding, interest).
        OtherIncome => "other_income",
    }
);

/// One part of the financing mix.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FinancingSource {
    /// Which part.
    pub source: FinancingSourceKind,
    /// Its amount, in cents.
    pub amount_cents: Cents,
    /// Its share of the total in basis points, rounded down (`null` when the total is 0).
    pub share_bp: Option<i64>,
}

/// The income of a fiscal year by source.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FinancingMix {
    /// The fiscal year.
    pub year: i32,
    /// Which budget figures: `executed` (income received is recorded), `planned`, or `none`
    /// (no adopted budget: fees and other income are 0).
    pub income_basis: IncomeBasis,
    /// The adopted budget version the fees and the income come from.
    pub budget_id: Option<BudgetId>,
    /// That budget's income of the year, in cents.
    pub budget_income_cents: Option<Cents>,
    /// The four parts, in this order: membership fees, public, private, other.
    pub sources: Vec<FinancingSource>,
    /// Their sum, in cents.
    pub total_cents: Cents,
}

/// The European profile.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EuropeanProfile {
    /// The day the profile describes (today, Madrid).
    pub as_of: NaiveDate,
    /// `pass` when every criterion passes, `fail` when one fails, else `unknown`.
    pub overall: CriterionStatus,
    /// The cluster's identity, when its record is set up.
    pub organisation: Option<Organisation>,
    /// The checks: `committed_members`, `triple_helix`, `management_fte`.
    pub criteria: Vec<Criterion>,
    /// The members by type.
    pub members: Membership,
    /// The management's staff.
    pub management: Management,
    /// The governing bodies.
    pub governance: Governance,
    /// The financing mix of a fiscal year.
    pub financing: FinancingMix,
    /// The services the management offers the members (the cluster record).
    pub services: Vec<String>,
}
