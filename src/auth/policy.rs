//! Who may do what: the one place that decides role permissions. Deny by default.
//!
//! Handlers ask [`Caller::require`](super::Caller::require) for an [`Action`] on a
//! [`Resource`]; the answer combines the caller's role ([`allows`]) and, for every token,
//! its OAuth scopes (`<resource>:read` / `<resource>:write`). Object-level rules (a member
//! representative only sees their own organisation; a partner only what concerns its
//! funder) live with each resource's queries and answer 404, never 403, for objects the
//! caller may not see.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The role of a user (API clients always act as `partner`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users, API clients and reference data; can do everything.
    Admin,
    /// The cluster's staff: run the register, the plan, budgets and funding.
    Staff,
    /// The representative of one member organisation.
    Member,
    /// A partner institution (funder): reads what it funds.
    Partner,
    /// Reads everything, changes nothing.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Staff,
        Role::Member,
        Role::Partner,
        Role::Auditor,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Member => "member",
            Role::Partner => "partner",
            Role::Auditor => "auditor",
        }
    }
}

crate::text_enum_sql!(Role);

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}`"))
    }
}

/// What a permission is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// User accounts.
    Users,
    /// Partner API clients.
    ApiClients,
    /// The audit log.
    Audit,
    /// Reference data: member categories, value-chain segments.
    Reference,
    /// The member register (object-level rules apply for `member` and `partner`).
    Members,
    /// The strategic plan (members and partners read approved versions only).
    Plans,
    /// Budgets and their execution (members read approved budgets; partners what their
    /// institution funds).
    Budgets,
    /// Funders, calls, agreements and subsidy applications (partners read what concerns
    /// their institution and record its decisions).
    Funding,
    /// Bodies, seats, meetings, their rolls and resolutions (representatives read the
    /// meetings whose roll lists their organisation; partners see nothing of it).
    Governance,
    /// The cluster's own record (everyone signed in reads it; admins change it).
    Cluster,
    /// Accountability reports computed from the records (the AEI register dossier…): staff,
    /// admins and auditors.
    Reports,
    /// The event feed (partners read the events about what they may read).
    Events,
    /// Webhook endpoints and their deliveries (admins keep the cluster's, partners' API
    /// clients their own).
    Webhooks,
}

impl Resource {
    /// Every resource.
    pub const ALL: [Resource; 13] = [
        Resource::Users,
        Resource::ApiClients,
        Resource::Audit,
        Resource::Reference,
        Resource::Members,
        Resource::Plans,
        Resource::Budgets,
        Resource::Funding,
        Resource::Governance,
        Resource::Cluster,
        Resource::Reports,
        Resource::Events,
        Resource::Webhooks,
    ];

    /// The scope prefix (`users` in `users:read`).
    pub fn scope_name(self) -> &'static str {
        match self {
            Resource::Users => "users",
            Resource::ApiClients => "api_clients",
            Resource::Audit => "audit",
            Resource::Reference => "reference",
            Resource::Members => "members",
            Resource::Plans => "plans",
            Resource::Budgets => "budgets",
            Resource::Funding => "funding",
            Resource::Governance => "governance",
            Resource::Cluster => "cluster",
            Resource::Reports => "reports",
            Resource::Events => "events",
            Resource::Webhooks => "webhooks",
        }
    }
}

/// Reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// GET.
    Read,
    /// POST, PATCH, PUT, DELETE.
    Write,
}

/// One permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Action {
    /// On what.
    pub resource: Resource,
    /// How.
    pub access: Access,
}

impl Action {
    /// Reading `resource`.
    pub const fn read(resource: Resource) -> Self {
        Self {
            resource,
            access: Access::Read,
        }
    }

    /// Changing `resource`.
    pub const fn write(resource: Resource) -> Self {
        Self {
            resource,
            access: Access::Write,
        }
    }

    /// The OAuth scope that grants this action.
    pub fn scope(self) -> String {
        let access = match self.access {
            Access::Read => "read",
            Access::Write => "write",
        };
        format!("{}:{access}", self.resource.scope_name())
    }
}

/// The role matrix. Anything not listed is denied.
pub fn allows(role: Role, action: Action) -> bool {
    use Access::{Read, Write};
    use Resource::{
        ApiClients, Audit, Budgets, Cluster, Events, Funding, Governance, Members, Plans,
        Reference, Reports, Users, Webhooks,
    };
    match (role, action.resource, action.access) {
        // The audit log is append-only: nobody writes it through the API.
        (_, Audit, Write) => false,
        (Role::Admin, _, _) => true,
        // Auditors read everything and change nothing.
        (Role::Auditor, _, Read) => true,
        (Role::Auditor, _, Write) => false,
        // Identity and the audit log are administration.
        (Role::Staff | Role::Member | Role::Partner, Users | ApiClients | Audit, _) => false,
        // Reference data: everyone signed in reads it; admins change it.
        (Role::Staff | Role::Member | Role::Partner, Reference, Read) => true,
        (Role::Staff | Role::Member | Role::Partner, Reference, Write) => false,
        // The register: staff run it; representatives read it and change their own
        // organisation; partners read the public register.
        (Role::Staff | Role::Member, Members, _) => true,
        (Role::Partner, Members, Read) => true,
        (Role::Partner, Members, Write) => false,
        // The plan: staff run it; representatives and partners read approved versions.
        (Role::Staff, Plans, _) => true,
        (Role::Member | Role::Partner, Plans, Read) => true,
        (Role::Member | Role::Partner, Plans, Write) => false,
        // Budgets: staff run them; representatives and partners read approved ones.
        (Role::Staff, Budgets, _) => true,
        (Role::Member | Role::Partner, Budgets, Read) => true,
        (Role::Member | Role::Partner, Budgets, Write) => false,
        // Funding: staff run it; representatives read the applications of their
        // organisation; partners read what concerns their institution and write only its
        // decisions on applications and their documents (object-level rules in `funding`).
        (Role::Staff, Funding, _) => true,
        (Role::Member, Funding, Read) => true,
        (Role::Member, Funding, Write) => false,
        (Role::Partner, Funding, _) => true,
        // Governance: staff convene and record; representatives read what concerns their
        // organisation (object-level rules in `governance`); partners see nothing of it.
        (Role::Staff, Governance, _) => true,
        (Role::Member, Governance, Read) => true,
        (Role::Member, Governance, Write) => false,
        (Role::Partner, Governance, _) => false,
        // The cluster's record: everyone signed in reads it; admins change it.
        (Role::Staff | Role::Member | Role::Partner, Cluster, Read) => true,
        (Role::Staff | Role::Member | Role::Partner, Cluster, Write) => false,
        // Reports add up confidential figures (members' turnover): the cluster's own people.
        (Role::Staff, Reports, _) => true,
        (Role::Member | Role::Partner, Reports, _) => false,
        // Events: staff and partners read the feed (partners what concerns them; object
        // level in `events`); representatives do not.
        (Role::Staff | Role::Partner, Events, Read) => true,
        (Role::Staff | Role::Member | Role::Partner, Events, _) => false,
        // Webhooks: admins keep the cluster's endpoints, partners' API clients their own
        // (object level in `webhooks`); staff and representatives have none.
        (Role::Partner, Webhooks, _) => true,
        (Role::Staff | Role::Member, Webhooks, _) => false,
    }
}

/// Whether the role runs the member register: creates and archives members, changes their
/// status, issues and settles dues, and sees every member in full.
pub fn runs_register(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Staff)
}

/// Whether the role reads the whole register in full (confidential fields included).
pub fn reads_whole_register(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Staff | Role::Auditor)
}

/// Whether the role runs funding: creates funders, calls, agreements and applications and
/// makes the cluster's moves of an application.
pub fn runs_funding(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Staff)
}

/// Whether the role reads plan and budget versions that are not approved yet, and
/// budget execution entries.
pub fn reads_drafts(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Staff | Role::Auditor)
}

/// How many scope strings each thread keeps parsed (see [`Scopes::named`]).
const RECENT_SCOPES: usize = 8;

thread_local! {
    /// The scope strings this thread parsed last, most recent first.
    static RECENT: std::cell::RefCell<Vec<(Box<str>, Scopes)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A set of scopes, one bit per [`Action`]: what a caller's token allows, checked on every
/// request without building a string (a `Vec<String>` of them cost a tenth of GET member by
/// id's instructions: narrowing, cloning into the request and dropping).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u32);

// Two bits per resource must fit.
const _: () = assert!(Resource::ALL.len() * 2 <= u32::BITS as usize);

impl Scopes {
    /// The action's own bit: from the resource's discriminant, so no two actions can share
    /// one (a lookup with a default could make an unlisted resource pass as another).
    fn bit(action: Action) -> u32 {
        let access = match action.access {
            Access::Read => 0,
            Access::Write => 1,
        };
        1 << (action.resource as u32 * 2 + access)
    }

    /// Whether `action` is in the set.
    pub fn contains(self, action: Action) -> bool {
        self.0 & Self::bit(action) != 0
    }

    /// The set with `action` added.
    pub fn with(self, action: Action) -> Self {
        Self(self.0 | Self::bit(action))
    }

    /// The action a scope name (`members:read`) grants; `None` for a name that is not one.
    pub fn parse(name: &str) -> Option<Action> {
        let (resource, access) = name.split_once(':')?;
        let resource = *Resource::ALL.iter().find(|r| r.scope_name() == resource)?;
        match access {
            "read" => Some(Action::read(resource)),
            "write" => Some(Action::write(resource)),
            _ => None,
        }
    }

    /// The scopes named in `names` (space-separated) that `keep` accepts; other names are
    /// ignored.
    pub fn from_names(names: &str, keep: impl Fn(Action) -> bool) -> Self {
        let named = Self::named(names);
        Self::every()
            .filter(|a| named.contains(*a) && keep(*a))
            .collect()
    }

    /// Every scope named in `names` (space-separated). Parsing a token's two dozen names cost
    /// about 13,000 instructions a request (GET member by id: 184,600 in all), while a worker
    /// sees the same few strings (one per role and client) on nearly every request: so each
    /// thread keeps the last [`RECENT_SCOPES`] strings it parsed, with their sets.
    fn named(names: &str) -> Self {
        RECENT.with_borrow_mut(|recent| {
            if let Some((_, scopes)) = recent.iter().find(|(text, _)| **text == *names) {
                return *scopes;
            }
            let scopes = names
                .split_ascii_whitespace()
                .filter_map(Self::parse)
                .collect();
            if recent.len() == RECENT_SCOPES {
                recent.pop();
            }
            recent.insert(0, (names.into(), scopes));
            scopes
        })
    }

    /// Every scope `role` may hold.
    pub fn all_for(role: Role) -> Self {
        Self::every().filter(|a| allows(role, *a)).collect()
    }

    /// The names in the set, in the role matrix's order (`users:read`, `users:write`, …).
    pub fn names(self) -> Vec<String> {
        Self::every()
            .filter(|a| self.contains(*a))
            .map(Action::scope)
            .collect()
    }

    fn every() -> impl Iterator<Item = Action> {
        Resource::ALL
            .into_iter()
            .flat_map(|r| [Action::read(r), Action::write(r)])
    }
}

impl FromIterator<Action> for Scopes {
    fn from_iter<I: IntoIterator<Item = Action>>(actions: I) -> Self {
        actions.into_iter().fold(Self::default(), Self::with)
    }
}

/// Every scope a role may hold (what a user's token carries unless narrowed), as names: what
/// the grants issue and API clients may be given. Built once per role. (The caller check
/// narrows against the role matrix itself, through [`Scopes`].)
pub fn scopes_for(role: Role) -> &'static [String] {
    static SCOPES: std::sync::LazyLock<[Vec<String>; Role::ALL.len()]> =
        std::sync::LazyLock::new(|| Role::ALL.map(build_scopes));
    let index = Role::ALL
        .iter()
        .position(|r| *r == role)
        .unwrap_or_default();
    &SCOPES[index]
}

fn build_scopes(role: Role) -> Vec<String> {
    let mut scopes = Vec::new();
    for resource in Resource::ALL {
        for action in [Action::read(resource), Action::write(resource)] {
            if allows(role, action) {
                scopes.push(action.scope());
            }
        }
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parsed_scope_strings_kept_per_thread_never_answer_for_another_string() {
        let every: Vec<Action> = Scopes::every().collect();
        // More distinct strings than are kept, each a different set, asked in turns.
        let strings: Vec<(String, Scopes)> = (0..3 * RECENT_SCOPES)
            .map(|n| {
                let chosen: Vec<Action> = every.iter().copied().skip(n).step_by(3).collect();
                let text = chosen
                    .iter()
                    .map(|a| a.scope())
                    .collect::<Vec<_>>()
                    .join(" ");
                let set = chosen.iter().fold(Scopes::default(), |s, a| s.with(*a));
                (text, set)
            })
            .collect();
        for round in 0..3 {
            for (text, set) in strings.iter().skip(round) {
                assert_eq!(Scopes::named(text), *set, "{text}");
                assert_eq!(Scopes::named(text), *set, "again: {text}");
            }
        }
        assert_eq!(Scopes::named(""), Scopes::default());
    }

    #[test]
    fn a_scope_set_holds_exactly_what_was_named_and_the_role_allows() {
        let every: Vec<Action> = Scopes::every().collect();
        assert_eq!(every.len(), Resource::ALL.len() * 2);
        for (i, a) in every.iter().enumerate() {
            let one = Scopes::default().with(*a);
            assert_eq!(Scopes::parse(&a.scope()), Some(*a));
            for (j, b) in every.iter().enumerate() {
                assert_eq!(one.contains(*b), i == j, "{a:?} {b:?}");
            }
        }
        let s = Scopes::from_names(
            "members:read  members:write nada:read members:admin users:read",
            |_| true,
        );
        assert_eq!(s.names(), ["users:read", "members:read", "members:write"]);
        let member = Scopes::from_names("members:read users:read", |a| allows(Role::Member, a));
        assert!(member.contains(Action::read(Resource::Members)));
        assert!(!member.contains(Action::read(Resource::Users)));
        for role in Role::ALL {
            assert_eq!(Scopes::all_for(role).names(), scopes_for(role), "{role}");
        }
        assert_eq!(Scopes::default().names(), Vec::<String>::new());
    }

    #[test]
    fn auditors_never_write() {
        for resource in Resource::ALL {
            assert!(allows(Role::Auditor, Action::read(resource)));
            assert!(!allows(Role::Auditor, Action::write(resource)));
        }
    }

    #[test]
    fn only_admins_manage_identity() {
        for role in [Role::Staff, Role::Member, Role::Partner, Role::Auditor] {
            assert!(!allows(role, Action::write(Resource::Users)));
            assert!(!allows(role, Action::write(Resource::ApiClients)));
        }
        assert!(allows(Role::Admin, Action::write(Resource::Users)));
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn scopes_follow_the_matrix() {
        assert!(scopes_for(Role::Auditor).contains(&"users:read".to_owned()));
        assert!(!scopes_for(Role::Auditor).contains(&"users:write".to_owned()));
        assert_eq!(
            scopes_for(Role::Partner),
            [
                "reference:read",
                "members:read",
                "plans:read",
                "budgets:read",
                "funding:read",
                "funding:write",
                "cluster:read",
                "events:read",
                "webhooks:read",
                "webhooks:write"
            ]
        );
    }
}
