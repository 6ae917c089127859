//! Rebuilds when a migration is added (`embed_migrations!` only sees files it already knows),
//! and tells utoipa that the domain's value types are documented as what they wrap: money
//! (`Cents`) as an `int64` integer and typed ids as `uuid` strings, so the OpenAPI document
//! keeps its shape whatever Rust type a field has.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=build.rs");
    let mut config = utoipa_config::Config::new().alias_for("Cents", "i64");
    for id in [
        "UserId",
        "ApiClientId",
        "MemberId",
        "MemberCategoryId",
        "SegmentId",
        "ContactId",
        "DueId",
        "StatusChangeId",
        "PlanId",
        "NodeId",
        "IndicatorId",
        "BudgetId",
        "BudgetLineId",
        "BudgetCategoryId",
        "EntryId",
        "FunderId",
        "CallId",
        "AgreementId",
        "ApplicationId",
        "DocumentId",
        "BodyId",
        "SeatId",
        "MeetingId",
        "AgendaItemId",
        "RollEntryId",
        "ResolutionId",
        "DissentId",
        "CertificateId",
        "RulesVersionId",
        "EventId",
        "WebhookEndpointId",
        "WebhookDeliveryId",
        "WebhookAttemptId",
    ] {
        config = config.alias_for(id, "uuid::Uuid");
    }
    config.write_to_file();
}
