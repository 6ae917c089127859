//! Who sees and who changes what in funding: staff, admins and auditors see everything; a
//! partner what concerns its funder; a member representative the applications its
//! organisation leads or takes part in. Only the cluster's staff change funders, calls,
//! agreements and applications; partners record their funder's decisions (moves of the
//! state machine) and add documents.

use crate::{
    auth::{Caller, Role, policy},
    domain::{FunderId, MemberId},
    error::ApiError,
};

/// Which funding records a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Staff, admins, auditors.
    All,
    /// A partner: what concerns its funder (`None`, a partner without a funder: nothing).
    Funder(Option<FunderId>),
    /// A member representative: applications its organisation leads or takes part in
    /// (`None`, a representative without an organisation: nothing).
    Member(Option<MemberId>),
}

impl Scope {
    /// What the caller sees of funding.
    pub fn of(caller: &Caller) -> Self {
        match caller.role {
            Role::Admin | Role::Staff | Role::Auditor => Scope::All,
            Role::Partner => Scope::Funder(caller.funder_id.map(FunderId)),
            Role::Member => Scope::Member(caller.member_id.map(MemberId)),
        }
    }

    /// Whether the scope sees the calls of `funder_id` (calls are public: representatives
    /// see all).
    pub fn sees_calls_of(self, funder_id: FunderId) -> bool {
        match self {
            Scope::All | Scope::Member(_) => true,
            Scope::Funder(f) => f == Some(funder_id),
        }
    }

    /// Whether the scope sees the agreements of `funder_id` (their amounts and obligations
    /// are the cluster's and the funder's business: not member representatives').
    pub fn sees_agreements_of(self, funder_id: FunderId) -> bool {
        match self {
            Scope::All => true,
            Scope::Funder(f) => f == Some(funder_id),
            Scope::Member(_) => false,
        }
    }

    /// The funder filter of the call and agreement lists: the partner's own, or what was
    /// asked; `None` when the partner asked for another funder's (or has none): nothing.
    pub fn funder_filter(self, asked: Option<FunderId>) -> Option<Option<FunderId>> {
        match (self, asked) {
            (Scope::Funder(None), _) => None,
            (Scope::Funder(Some(f)), Some(a)) if a != f => None,
            (Scope::Funder(f), _) => Some(f),
            (_, asked) => Some(asked),
        }
    }
}

/// 403 unless the caller runs funding (staff, admins).
pub fn staff_only(caller: &Caller) -> Result<(), ApiError> {
    if policy::runs_funding(caller.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Only the cluster's staff change funders, calls, agreements and applications.",
        ))
    }
}

/// Whether the caller is a partner (user or API client) of `funder_id`.
pub fn is_partner_of(caller: &Caller, funder_id: FunderId) -> bool {
    caller.role == Role::Partner && caller.funder_id.map(FunderId) == Some(funder_id)
}
