//! Typed ids: one type per table's primary key, so that passing a funder's id where a
//! member's is expected does not compile (LemmyNet/lemmy's `newtypes.rs` is the model).
//!
//! Each is a UUID underneath: stored as `uuid`, serialised as the UUID string, and (through
//! the aliases in `build.rs`) documented in the OpenAPI document as `string`/`uuid`, so the
//! spec is the same as with bare `Uuid`s.

/// A hash map keyed by ids (or other keys the database made, never a caller): hashed with
/// foldhash, seeded per process, instead of SipHash. A plan's tree groups and looks up its
/// rows by id about a thousand times a request; SipHash made that 107,000 instructions of
/// 4.07 million (callgrind, docs/BENCHMARKS.md).
pub type IdMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Declares typed ids: `id_type!(/// doc; MemberId);`.
#[macro_export]
macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// The UUID underneath.
            pub const fn uuid(self) -> uuid::Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for uuid::Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Uuid, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <uuid::Uuid as diesel::serialize::ToSql<diesel::sql_types::Uuid, diesel::pg::Pg>>::to_sql(&self.0, out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Uuid, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <uuid::Uuid as diesel::deserialize::FromSql<diesel::sql_types::Uuid, diesel::pg::Pg>>::from_sql(bytes).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}

id_type! {
    /// A user account.
    UserId;
    /// A partner system's API client.
    ApiClientId;
    /// A member organisation.
    MemberId;
    /// A member category (reference data).
    MemberCategoryId;
    /// A value-chain segment (reference data).
    SegmentId;
    /// A contact person of a member.
    ContactId;
    /// A yearly due of a member.
    DueId;
    /// A recorded change of a member's status.
    StatusChangeId;
    /// A strategic plan version.
    PlanId;
    /// A node of a plan's tree (axis, area, objective or action).
    NodeId;
    /// An indicator of a plan node.
    IndicatorId;
    /// A budget version.
    BudgetId;
    /// A line of a budget.
    BudgetLineId;
    /// A budget category (reference data of budgets).
    BudgetCategoryId;
    /// An execution entry of a budget line.
    EntryId;
    /// A funder.
    FunderId;
    /// A funder's call for subsidies.
    CallId;
    /// A funding agreement.
    AgreementId;
    /// A subsidy application.
    ApplicationId;
    /// A document of a subsidy application.
    DocumentId;
    /// A governing body (the General Assembly, a board, a committee).
    BodyId;
    /// A version of a body's rules (with the statutes it comes from).
    RulesVersionId;
    /// A seat on a board or committee.
    SeatId;
    /// A meeting of a body.
    MeetingId;
    /// An item of a meeting's agenda.
    AgendaItemId;
    /// An entry of a meeting's roll.
    RollEntryId;
    /// A resolution of a meeting (one agenda item's decision).
    ResolutionId;
    /// A dissent from a resolution (recorded at the vote, or a written voto particular).
    DissentId;
    /// A certificate of a resolution.
    CertificateId;
    /// An event of the outbox.
    EventId;
    /// A webhook endpoint.
    WebhookEndpointId;
    /// A webhook delivery (one message to one endpoint).
    WebhookDeliveryId;
    /// One attempt of a webhook delivery.
    WebhookAttemptId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_the_bare_uuid() {
        let id = MemberId(uuid::Uuid::nil());
        assert_eq!(
            serde_json::to_string(&id).unwrap_or_default(),
            "\"00000000-0000-0000-0000-000000000000\""
        );
        let back: MemberId =
            serde_json::from_str("\"00000000-0000-0000-0000-000000000000\"").unwrap_or_default();
        assert_eq!(back, id);
        assert_eq!(id.to_string().parse::<MemberId>().ok(), Some(id));
    }
}
