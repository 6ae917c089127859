//! The events each module records, built from its rows: one function per kind, so that the
//! fields a receiver gets, and who may receive them, are decided in one place.

use chrono::NaiveDate;
use serde_json::json;
use uuid::Uuid;

use super::{Audience, Event};
use crate::{
    budgets::model::BudgetRow,
    domain::{FunderId, MemberId},
    funding::model::{AgreementRow, ApplicationRow, ApplicationStatus, CallRow, InstalmentRow},
    governance::model::{AgendaItemRow, MeetingRow, ResolutionRow},
    members::model::{MemberRow, MemberStatus},
    plans::model::PlanRow,
};

/// `member.status_changed`, and `member.admitted` on an applicant's admission. The register
/// is public to partners: names, status and dates only (no contacts, no tax id).
pub fn member_status(
    member: &MemberRow,
    id: MemberId,
    from: MemberStatus,
    to: MemberStatus,
    effective_on: NaiveDate,
) -> Vec<Event> {
    let url = format!("/api/v1/members/{id}");
    let fields = json!({
        "legal_name": member.legal_name,
        "trade_name": member.trade_name,
        "from": from,
        "to": to,
        "effective_on": effective_on,
    });
    let mut events = vec![Event::new(
        "member.status_changed",
        "member",
        id,
        url.clone(),
        Audience::Partners,
        &fields,
    )];
    if from == MemberStatus::Applicant && to == MemberStatus::Active {
        events.push(Event::new(
            "member.admitted",
            "member",
            id,
            url,
            Audience::Partners,
            &fields,
        ));
    }
    events
}

/// `plan.approved` (approved plans are read by every role).
pub fn plan_approved(plan: &PlanRow) -> Event {
    Event::new(
        "plan.approved",
        "plan",
        plan.id,
        format!("/api/v1/plans/{}", plan.id),
        Audience::Partners,
        json!({
            "title": plan.title,
            "start_year": plan.start_year,
            "end_year": plan.end_year,
            "version_number": plan.version_number,
            "revises_id": plan.revises_id,
            "approved_on": plan.approved_on,
            "approval_reference": plan.approval_reference,
        }),
    )
}

/// `budget.approved` (approved budgets are read by every role).
pub fn budget_approved(budget: &BudgetRow) -> Event {
    Event::new(
        "budget.approved",
        "budget",
        budget.id,
        format!("/api/v1/budgets/{}", budget.id),
        Audience::Partners,
        json!({
            "title": budget.title,
            "fiscal_year": budget.fiscal_year,
            "version_number": budget.version_number,
            "revises_id": budget.revises_id,
            "approved_on": budget.approved_on,
            "approval_reference": budget.approval_reference,
        }),
    )
}

/// `application.status_changed` for every move (with `from` and `to`), plus
/// `application.submitted` on a submission and `grant.accepted` on an acceptance: heard by
/// the call's funder (the same partners that read the application).
pub fn application_moved(
    app: &ApplicationRow,
    funder_id: FunderId,
    from: ApplicationStatus,
    to: ApplicationStatus,
) -> Vec<Event> {
    let url = format!("/api/v1/applications/{}", app.id);
    let fields = json!({
        "call_id": app.call_id,
        "funder_id": funder_id,
        "title": app.title,
        "from": from,
        "to": to,
        "requested_cents": app.requested_cents,
        "granted_cents": app.granted_cents,
        "decided_on": app.decided_on,
        "justification_due_on": app.justification_due_on,
    });
    let audience = Audience::Funder(funder_id);
    let mut events = vec![Event::new(
        "application.status_changed",
        "application",
        app.id,
        url.clone(),
        audience,
        &fields,
    )];
    let extra = match to {
        ApplicationStatus::Submitted => Some("application.submitted"),
        ApplicationStatus::Accepted => Some("grant.accepted"),
        _ => None,
    };
    if let Some(kind) = extra {
        events.push(Event::new(
            kind,
            "application",
            app.id,
            url,
            audience,
            &fields,
        ));
    }
    events
}

/// `call.opened` (a call is read by its funder's partners; see `funding::scope`).
pub fn call_opened(call: &CallRow) -> Event {
    Event::new(
        "call.opened",
        "call",
        call.id,
        format!("/api/v1/calls/{}", call.id),
        Audience::Funder(call.funder_id),
        json!({
            "funder_id": call.funder_id,
            "title": call.title,
            "programme": call.programme,
            "bdns_code": call.bdns_code,
            "opens_at": call.opens_at,
            "closes_at": call.closes_at,
            "max_grant_cents": call.max_grant_cents,
            "cofinancing_rate_bp": call.cofinancing_rate_bp,
        }),
    )
}

/// `meeting.convened` (governance: staff, admins and auditors only).
pub fn meeting_convened(meeting: &MeetingRow) -> Event {
    Event::new(
        "meeting.convened",
        "meeting",
        meeting.id,
        format!("/api/v1/meetings/{}", meeting.id),
        Audience::Staff,
        json!({
            "body_id": meeting.body_id,
            "kind": meeting.kind,
            "first_call_at": meeting.first_call_at,
            "second_call_at": meeting.second_call_at,
        }),
    )
}

/// `resolution.adopted` (governance: staff, admins and auditors only).
pub fn resolution_adopted(resolution: &ResolutionRow, item: &AgendaItemRow) -> Event {
    Event::new(
        "resolution.adopted",
        "resolution",
        resolution.id,
        format!("/api/v1/meetings/{}", item.meeting_id),
        Audience::Staff,
        json!({
            "meeting_id": item.meeting_id,
            "item_id": item.id,
            "title": item.title,
            "effect": item.effect,
            "target_id": item.target_id,
            "yes_weight": resolution.yes_weight,
            "no_weight": resolution.no_weight,
            "abstain_weight": resolution.abstain_weight,
        }),
    )
}

/// A justification coming due: of an accepted grant, of an agreement, or of one of its
/// instalments (`justification.due_soon`, heard by the funder's partners).
#[derive(Debug, Clone)]
pub struct DueJustification {
    object_type: &'static str,
    id: Uuid,
    funder_id: FunderId,
    title: String,
    instalment: Option<(Uuid, i32)>,
    /// The day it is due.
    pub due_on: NaiveDate,
}

impl DueJustification {
    /// An accepted grant's justification.
    pub fn application(app: &ApplicationRow, funder_id: FunderId, due_on: NaiveDate) -> Self {
        Self {
            object_type: "application",
            id: app.id.uuid(),
            funder_id,
            title: app.title.clone(),
            instalment: None,
            due_on,
        }
    }

    /// An agreement's justification, or one instalment's.
    pub fn agreement(
        agreement: &AgreementRow,
        instalment: Option<&InstalmentRow>,
        due_on: NaiveDate,
    ) -> Self {
        Self {
            object_type: "agreement",
            id: agreement.id.uuid(),
            funder_id: agreement.funder_id,
            title: agreement.title.clone(),
            instalment: instalment.map(|i| (i.id, i.fiscal_year)),
            due_on,
        }
    }

    /// The event `days_left` days before the deadline, at `threshold_days`; written once
    /// per deadline and threshold.
    pub fn event(&self, days_left: i64, threshold_days: i64) -> Event {
        let key = format!(
            "justification.due_soon:{}:{}:{}:{}:{threshold_days}",
            self.object_type,
            self.id,
            self.instalment
                .map(|(i, _)| i.to_string())
                .unwrap_or_default(),
            self.due_on,
        );
        let url = format!("/api/v1/{}s/{}", self.object_type, self.id);
        Event::new(
            "justification.due_soon",
            self.object_type,
            self.id,
            url,
            Audience::Funder(self.funder_id),
            json!({
                "funder_id": self.funder_id,
                "title": self.title,
                "due_on": self.due_on,
                "days_left": days_left,
                "threshold_days": threshold_days,
                "instalment_id": self.instalment.map(|(i, _)| i),
                "fiscal_year": self.instalment.map(|(_, y)| y),
            }),
        )
        .once(key)
    }
}
