//! Rows of the governance tables and their enums. The rules are in [`super::rules`].
//!
//! Past 600 lines because every governance table's row struct and every enum of its
//! columns live here, one home for the thirteen tables' shapes.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::rules::{Fraction, Majority};
use crate::{
    domain::{AgendaItemId, BodyId, MeetingId, MemberId, ResolutionId, RollEntryId, SeatId},
    domain::{CertificateId, DissentId, RulesVersionId},
    schema::{
        agenda_items, approved_accounts, bodies, body_rule_versions, certificates, dissents,
        meeting_requests, meetings, minutes, resolutions, roll_entries, seats, votes,
    },
};

crate::text_enum!(
    /// What kind of body.
    BodyKind {
        /// The General Assembly: its members are the member organisations.
        Assembly => "assembly",
        /// The board (junta directiva): its members hold seats.
        Board => "board",
        /// A committee: its members hold seats.
        Committee => "committee",
    }
);

crate::text_enum!(
    /// How votes are weighted.
    Weighting {
        /// Every member has one vote.
        OneMemberOneVote => "one_member_one_vote",
        /// A member votes with its category's `voting_weight`.
        ByCategory => "by_category",
    }
);

crate::text_enum!(
    /// What a majority's share is of.
    MajorityBase {
        /// Yes and no (abstentions are not votes cast).
        VotesCast => "votes_cast",
        /// The weight present and represented (abstentions count against).
        PresentAndRepresented => "present_and_represented",
        /// The whole roll.
        WholeRoll => "whole_roll",
    }
);

crate::text_enum!(
    /// Which of the body's majorities an item needs.
    MajorityKind {
        /// The body's simple majority (default: more yes than no).
        Simple => "simple",
        /// The body's qualified majority (default: yes above half of those present and
        /// represented): dissolution, statutes, disposal of assets, paying board members.
        Qualified => "qualified",
    }
);

crate::text_enum!(
    /// A seat's position.
    Position {
        /// President.
        President => "president",
        /// Vice-president.
        VicePresident => "vice_president",
        /// Secretary.
        Secretary => "secretary",
        /// Treasurer.
        Treasurer => "treasurer",
        /// Member (vocal).
        Member => "member",
    }
);

crate::text_enum!(
    /// Ordinary or extraordinary.
    MeetingKind {
        /// The ordinary meeting (the Assembly's, at least once a year).
        Ordinary => "ordinary",
        /// Extraordinary.
        Extraordinary => "extraordinary",
    }
);

crate::text_enum!(
    /// Who convened a meeting.
    ConvenedBy {
        /// A decision of the board.
        Board => "board",
        /// A request of members (at least 10% for the Assembly).
        MembersRequest => "members_request",
        /// The president.
        President => "president",
    }
);

crate::text_enum!(
    /// Where a meeting stands.
    MeetingStatus {
        /// Convened; the roll is frozen; attendance is being recorded.
        Convened => "convened",
        /// Validly constituted at first call.
        ConstitutedFirst => "constituted_first",
        /// Validly constituted at second call.
        ConstitutedSecond => "constituted_second",
        /// No quorum at either call: nothing can be voted.
        Failed => "failed",
        /// Closed.
        Closed => "closed",
    }
);

crate::text_enum!(
    /// What an agenda item is.
    ItemKind {
        /// Informative: nothing is voted.
        Informative => "informative",
        /// A resolution is voted.
        Resolution => "resolution",
    }
);

crate::text_enum!(
    /// What adopting an item's resolution does.
    Effect {
        /// Nothing beyond the record.
        None => "none",
        /// Approves a draft plan version (`target_id`).
        ApprovePlan => "approve_plan",
        /// Approves a budget version (`target_id`).
        ApproveBudget => "approve_budget",
        /// Admits an applicant member (`target_id`).
        AdmitMember => "admit_member",
        /// Expels a member (`target_id`).
        ExpelMember => "expel_member",
        /// Approves the accounts of a year (`fiscal_year`), once per year.
        ApproveAccounts => "approve_accounts",
    }
);

crate::text_enum!(
    /// How a roll entry attends.
    Attendance {
        /// In person.
        Present => "present",
        /// Online.
        Remote => "remote",
        /// Represented by another entry's attendee (a proxy).
        Represented => "represented",
        /// Absent.
        Absent => "absent",
    }
);

impl Attendance {
    /// In person or remote.
    pub fn attends(self) -> bool {
        matches!(self, Attendance::Present | Attendance::Remote)
    }
}

crate::text_enum!(
    /// What a resolution is about, for the rule on which matters only an extraordinary
    /// meeting may resolve.
    Matter {
        /// Anything else (the default).
        General => "general",
        /// Changing the statutes.
        Statutes => "statutes",
        /// Dissolving the association.
        Dissolution => "dissolution",
        /// Disposing of assets.
        AssetDisposal => "asset_disposal",
        /// Paying the members of the board.
        BoardRemuneration => "board_remuneration",
    }
);

crate::text_enum!(
    /// How a dissent was recorded.
    DissentKind {
        /// At the vote, on the member's request, with its reasons.
        Recorded => "recorded",
        /// In writing after the meeting (voto particular), within 48 hours.
        Written => "written",
    }
);

crate::text_enum!(
    /// A named vote.
    Choice {
        /// In favour.
        Yes => "yes",
        /// Against.
        No => "no",
        /// Abstention.
        Abstain => "abstain",
    }
);

/// A body and its rules.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bodies, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `governance` and the DTOs"
)]
pub struct BodyRow {
    pub id: BodyId,
    pub kind: BodyKind,
    pub name: String,
    pub statutes_reference: Option<String>,
    pub notice_days: i32,
    pub quorum_first_num: Option<i32>,
    pub quorum_first_den: Option<i32>,
    pub quorum_second_num: Option<i32>,
    pub quorum_second_den: Option<i32>,
    pub minutes_between_calls: i32,
    pub proxies_allowed: bool,
    pub max_proxies_per_holder: Option<i32>,
    pub weighting: Weighting,
    pub simple_num: i32,
    pub simple_den: i32,
    pub simple_base: MajorityBase,
    pub qualified_num: i32,
    pub qualified_den: i32,
    pub qualified_base: MajorityBase,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub request_share_num: i32,
    pub request_share_den: i32,
    pub extraordinary_matters: Vec<String>,
    pub qualified_matters: Vec<String>,
}

fn fraction(num: Option<i32>, den: Option<i32>) -> Option<Fraction> {
    Fraction::new(i64::from(num?), i64::from(den?))
}

/// The matters of a list of names (names the database does not know are skipped).
fn matters(names: &[String]) -> Vec<Matter> {
    names.iter().filter_map(|m| m.parse().ok()).collect()
}

impl BodyRow {
    /// The quorum at first call (`None`: any number).
    pub fn quorum_first(&self) -> Option<Fraction> {
        fraction(self.quorum_first_num, self.quorum_first_den)
    }

    /// The matters only an extraordinary meeting may resolve.
    pub fn extraordinary(&self) -> Vec<Matter> {
        matters(&self.extraordinary_matters)
    }

    /// The matters that need the qualified majority.
    pub fn qualified(&self) -> Vec<Matter> {
        matters(&self.qualified_matters)
    }
}

/// A version of a body's rules, with the statutes it comes from: never changed (a trigger
/// refuses it). A meeting applies the version it was convened under.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = body_rule_versions, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `body_rule_versions` and the DTOs"
)]
pub struct RulesVersionRow {
    pub id: RulesVersionId,
    pub body_id: BodyId,
    pub number: i32,
    pub statutes_reference: Option<String>,
    pub effective_from: NaiveDate,
    pub notice_days: i32,
    pub quorum_first_num: Option<i32>,
    pub quorum_first_den: Option<i32>,
    pub quorum_second_num: Option<i32>,
    pub quorum_second_den: Option<i32>,
    pub minutes_between_calls: i32,
    pub proxies_allowed: bool,
    pub max_proxies_per_holder: Option<i32>,
    pub weighting: Weighting,
    pub simple_num: i32,
    pub simple_den: i32,
    pub simple_base: MajorityBase,
    pub qualified_num: i32,
    pub qualified_den: i32,
    pub qualified_base: MajorityBase,
    pub request_share_num: i32,
    pub request_share_den: i32,
    pub extraordinary_matters: Vec<String>,
    pub qualified_matters: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
}

impl RulesVersionRow {
    /// Version `number` of `body`'s rules as they stand on the body row.
    pub fn of(
        body: &BodyRow,
        number: i32,
        effective_from: NaiveDate,
        created_by: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: RulesVersionId::new(),
            body_id: body.id,
            number,
            statutes_reference: body.statutes_reference.clone(),
            effective_from,
            notice_days: body.notice_days,
            quorum_first_num: body.quorum_first_num,
            quorum_first_den: body.quorum_first_den,
            quorum_second_num: body.quorum_second_num,
            quorum_second_den: body.quorum_second_den,
            minutes_between_calls: body.minutes_between_calls,
            proxies_allowed: body.proxies_allowed,
            max_proxies_per_holder: body.max_proxies_per_holder,
            weighting: body.weighting,
            simple_num: body.simple_num,
            simple_den: body.simple_den,
            simple_base: body.simple_base,
            qualified_num: body.qualified_num,
            qualified_den: body.qualified_den,
            qualified_base: body.qualified_base,
            request_share_num: body.request_share_num,
            request_share_den: body.request_share_den,
            extraordinary_matters: body.extraordinary_matters.clone(),
            qualified_matters: body.qualified_matters.clone(),
            created_at: now,
            created_by,
        }
    }

    /// Whether `other` states the same rules and statutes (its number, date and author
    /// aside): a change of the body that leaves them so writes no new version.
    pub fn same_rules(&self, other: &Self) -> bool {
        let key = |v: &Self| {
            (
                (
                    v.statutes_reference.clone(),
                    v.notice_days,
                    (v.quorum_first_num, v.quorum_first_den),
                    (v.quorum_second_num, v.quorum_second_den),
                    v.minutes_between_calls,
                    v.proxies_allowed,
                    v.max_proxies_per_holder,
                    v.weighting,
                ),
                (
                    (v.simple_num, v.simple_den, v.simple_base),
                    (v.qualified_num, v.qualified_den, v.qualified_base),
                    (v.request_share_num, v.request_share_den),
                    matters(&v.extraordinary_matters),
                    matters(&v.qualified_matters),
                ),
            )
        };
        key(self) == key(other)
    }

    /// The quorum at first call (`None`: any number).
    pub fn quorum_first(&self) -> Option<Fraction> {
        fraction(self.quorum_first_num, self.quorum_first_den)
    }

    /// The quorum at second call (`None`: any number).
    pub fn quorum_second(&self) -> Option<Fraction> {
        fraction(self.quorum_second_num, self.quorum_second_den)
    }

    /// The share of the roll whose request convenes an extraordinary meeting.
    pub fn request_share(&self) -> Fraction {
        fraction(Some(self.request_share_num), Some(self.request_share_den))
            .unwrap_or(Fraction { num: 1, den: 10 })
    }

    /// The matters only an extraordinary meeting may resolve.
    pub fn extraordinary(&self) -> Vec<Matter> {
        matters(&self.extraordinary_matters)
    }

    /// The matters that need the qualified majority.
    pub fn qualified(&self) -> Vec<Matter> {
        matters(&self.qualified_matters)
    }

    /// The majority an item on `matter` needs at least.
    pub fn required_majority(&self, matter: Matter) -> MajorityKind {
        if self.qualified().contains(&matter) {
            MajorityKind::Qualified
        } else {
            MajorityKind::Simple
        }
    }

    /// The majority an item of `kind` needs.
    pub fn majority(&self, kind: MajorityKind) -> Majority {
        let (num, den, base) = match kind {
            MajorityKind::Simple => (self.simple_num, self.simple_den, self.simple_base),
            MajorityKind::Qualified => {
                (self.qualified_num, self.qualified_den, self.qualified_base)
            }
        };
        let default = match kind {
            MajorityKind::Simple => Majority::SIMPLE,
            MajorityKind::Qualified => Majority::QUALIFIED,
        };
        Fraction::new(i64::from(num), i64::from(den))
            .map_or(default, |share| Majority { share, base })
    }
}

/// Changes to a body.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = bodies)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `governance` and the DTOs"
)]
pub struct BodyChanges {
    pub name: Option<String>,
    pub statutes_reference: Option<Option<String>>,
    pub notice_days: Option<i32>,
    pub quorum_first_num: Option<Option<i32>>,
    pub quorum_first_den: Option<Option<i32>>,
    pub quorum_second_num: Option<Option<i32>>,
    pub quorum_second_den: Option<Option<i32>>,
    pub minutes_between_calls: Option<i32>,
    pub proxies_allowed: Option<bool>,
    pub max_proxies_per_holder: Option<Option<i32>>,
    pub weighting: Option<Weighting>,
    pub simple_num: Option<i32>,
    pub simple_den: Option<i32>,
    pub simple_base: Option<MajorityBase>,
    pub qualified_num: Option<i32>,
    pub qualified_den: Option<i32>,
    pub qualified_base: Option<MajorityBase>,
    pub request_share_num: Option<i32>,
    pub request_share_den: Option<i32>,
    pub extraordinary_matters: Option<Vec<String>>,
    pub qualified_matters: Option<Vec<String>>,
}

/// A seat.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = seats, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `governance` and the DTOs"
)]
pub struct SeatRow {
    pub id: SeatId,
    pub body_id: BodyId,
    pub member_id: MemberId,
    pub person_name: String,
    pub position: Position,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A meeting.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = meetings, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `governance` and the DTOs"
)]
pub struct MeetingRow {
    pub id: MeetingId,
    pub body_id: BodyId,
    pub kind: MeetingKind,
    pub convened_by: ConvenedBy,
    pub reason: Option<String>,
    pub first_call_at: DateTime<Utc>,
    pub second_call_at: Option<DateTime<Utc>>,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub status: MeetingStatus,
    pub convened_at: DateTime<Utc>,
    pub convened_by_user: Option<Uuid>,
    pub roll_count: i32,
    pub present_count: Option<i32>,
    pub represented_count: Option<i32>,
    pub required_count: Option<i32>,
    pub constituted_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub rules_version_id: RulesVersionId,
}

/// An agenda item.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agenda_items, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `governance` and the DTOs"
)]
pub struct AgendaItemRow {
    pub id: AgendaItemId,
    pub meeting_id: MeetingId,
    pub position: i32,
    pub title: String,
    pub kind: ItemKind,
    pub effect: Effect,
    pub majority: MajorityKind,
    pub target_id: Option<Uuid>,
    pub tabled_etag: Option<String>,
    pub created_at: DateTime<Utc>,
    pub matter: Matter,
    pub fiscal_year: Option<i32>,
}

/// An entry of a meeting's roll.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = roll_entries, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `governance` and the DTOs"
)]
pub struct RollEntryRow {
    pub id: RollEntryId,
    pub meeting_id: MeetingId,
    pub member_id: MemberId,
    pub member_name: String,
    pub person_name: Option<String>,
    pub weight: i32,
    pub attendance: Attendance,
    pub proxy_holder_id: Option<RollEntryId>,
    pub proxy_document: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A resolution.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = resolutions, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `governance` and the DTOs"
)]
pub struct ResolutionRow {
    pub id: ResolutionId,
    pub item_id: AgendaItemId,
    pub adopted: bool,
    pub yes_weight: i64,
    pub no_weight: i64,
    pub abstain_weight: i64,
    pub present_weight: i64,
    pub roll_weight: i64,
    pub majority: MajorityKind,
    pub majority_rule: String,
    pub named: bool,
    pub adopted_at: Option<DateTime<Utc>>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

crate::text_enum!(
    /// Where minutes stand.
    MinutesStatus {
        /// Being written: the summary of the debate changes; the content is generated.
        Draft => "draft",
        /// Approved: content frozen with its SHA-256 (a trigger refuses any change).
        Approved => "approved",
    }
);

/// The minutes of a meeting.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = minutes, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `minutes` and the DTOs"
)]
pub struct MinutesRow {
    pub meeting_id: MeetingId,
    pub status: MinutesStatus,
    pub debate_summary: String,
    pub content: Option<String>,
    pub content_sha256: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A named vote.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = votes, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `governance` and the DTOs"
)]
pub struct VoteRow {
    pub resolution_id: ResolutionId,
    pub roll_entry_id: RollEntryId,
    pub choice: Choice,
    pub weight: i32,
}

/// A dissent from a resolution.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dissents, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `dissents_certificates` and the DTOs"
)]
pub struct DissentRow {
    pub id: DissentId,
    pub resolution_id: ResolutionId,
    pub roll_entry_id: RollEntryId,
    pub kind: DissentKind,
    pub text: String,
    pub submitted_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A certificate of a resolution.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = certificates, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `dissents_certificates` and the DTOs"
)]
pub struct CertificateRow {
    pub id: CertificateId,
    pub resolution_id: ResolutionId,
    pub issued_on: NaiveDate,
    pub secretary_seat_id: SeatId,
    pub secretary_name: String,
    pub president_seat_id: SeatId,
    pub president_name: String,
    pub minutes_pending: bool,
    pub purpose: Option<String>,
    pub content: String,
    pub content_sha256: String,
    pub issued_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A member whose request convened a meeting.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = meeting_requests, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `extraordinary` and the DTOs"
)]
pub struct MeetingRequestRow {
    pub meeting_id: MeetingId,
    pub member_id: MemberId,
    pub member_name: String,
}

/// The accounts of a year, approved by a resolution.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = approved_accounts, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `accounts_approval` and the DTOs"
)]
pub struct ApprovedAccountsRow {
    pub fiscal_year: i32,
    pub resolution_id: ResolutionId,
    pub approved_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}
