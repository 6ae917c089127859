//! One home per table: which module owns each table (its `repo.rs` holds every query on it;
//! other modules call those functions). A unit test reads the source tree and fails when a
//! module names another module's table, through diesel's `schema::` or in raw SQL.
//!
//! The exceptions are listed in [`EXCEPTIONS`], each with its reason.

/// The owner of each table: `(module, tables)`. A table not listed here fails the test, so a
/// new migration's tables must be given an owner.
pub const OWNERS: &[(&str, &[&str])] = &[
    ("users", &["users"]),
    ("api_clients", &["api_clients"]),
    (
        "auth",
        &["refresh_tokens", "revoked_access_tokens", "login_throttle"],
    ),
    ("audit", &["audit_events"]),
    ("http", &["idempotency_keys"]),
    ("reference", &["member_categories", "segments"]),
    ("cluster", &["cluster_profile"]),
    ("transparency", &["transparency_publications"]),
    (
        "members",
        &[
            "members",
            "member_cards",
            "member_contacts",
            "member_dues",
            "member_segments",
            "member_status_changes",
        ],
    ),
    (
        "plans",
        &[
            "plans",
            "plan_nodes",
            "action_participants",
            "indicators",
            "indicator_targets",
            "indicator_measurements",
        ],
    ),
    (
        "budgets",
        &[
            "budget_categories",
            "budgets",
            "budget_lines",
            "budget_line_actions",
            "budget_entries",
            "budget_line_totals",
        ],
    ),
    (
        "funding",
        &[
            "funders",
            "calls",
            "call_cost_categories",
            "agreements",
            "agreement_instalments",
            "applications",
            "application_participants",
            "application_actions",
            "application_lines",
            "application_transitions",
            "application_income",
            "application_documents",
            "application_document_blobs",
        ],
    ),
    (
        "governance",
        &[
            "bodies",
            "seats",
            "meetings",
            "agenda_items",
            "roll_entries",
            "resolutions",
            "votes",
            "minutes",
            "dissents",
            "certificates",
            "meeting_requests",
            "approved_accounts",
            "body_rule_versions",
        ],
    ),
    ("events", &["events"]),
    (
        "webhooks",
        &[
            "webhook_endpoints",
            "webhook_deliveries",
            "webhook_attempts",
        ],
    ),
];

/// Places allowed to name a table they do not own: `(path prefix under src/, table, why)`.
pub const EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("schema.rs", "*", "the generated table definitions"),
    (
        "db/",
        "*",
        "migrations, readiness and the embedded server: the database itself, no rows",
    ),
    (
        "seed/",
        "*",
        "demo and synthetic data loaded in bulk (a million members in minutes): rows \
         written as the migrations define them, no business rule applied",
    ),
    (
        "auth/",
        "users",
        "signing in reads the credentials, and every request re-reads its caller (role, \
         organisation, funder) with the token's revocation in one statement",
    ),
    (
        "auth/",
        "api_clients",
        "the same for partner systems: client credentials and the client behind a token",
    ),
    (
        "members/repo/",
        "users",
        "GET /members/{id} checks the calling user (role, organisation, revoked token) in \
         the statement that reads the member: one statement per request (docs/BENCHMARKS.md)",
    ),
    (
        "members/repo/",
        "revoked_access_tokens",
        "the same caller check, in the same statement",
    ),
    (
        "members/repo/",
        "member_categories",
        "the category's name is read with each member as a scalar subquery of the list's \
         statement (a join, or a second query per page, is measured slower at a million \
         members), the fee a year's dues are issued at comes with the members in the one \
         INSERT … SELECT that issues them, and the statistics count members by category in \
         their one statement",
    ),
    (
        "members/repo/",
        "segments",
        "a member's segments are read with the member as one JSON column (its names and \
         codes), in the statement that reads the member",
    ),
];

/// Violations found when this check was written, being removed module by module (each
/// module's reshaping moves these queries into the owner's repo): `(file, table)`. The test
/// also fails when an entry here is no longer needed, so the list only shrinks.
#[cfg(test)]
const PENDING: &[(&str, &str)] = &[];

#[cfg(test)]
mod tests {
    use std::{
        collections::{BTreeMap, BTreeSet},
        path::{Path, PathBuf},
    };

    use super::{EXCEPTIONS, OWNERS, PENDING};

    fn owner_of(table: &str) -> Option<&'static str> {
        OWNERS
            .iter()
            .find(|(_, tables)| tables.contains(&table))
            .map(|(m, _)| *m)
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every table of `schema.rs`.
    fn tables(schema: &str) -> BTreeSet<String> {
        schema
            .lines()
            .filter_map(|l| l.strip_prefix("    "))
            .filter_map(|l| {
                l.strip_suffix(" (id) {")
                    .or_else(|| l.split_once(" (").map(|p| p.0))
            })
            .filter(|name| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
            .map(str::to_owned)
            .collect()
    }

    fn is_ident(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_'
    }

    /// The tables a file names: `schema::x`, `schema::{x, y as z, …}`, and SQL keywords
    /// (`FROM`, `JOIN`, `INTO`, `UPDATE`, `TABLE`) followed by a table name.
    fn named_tables(source: &str, tables: &BTreeSet<String>) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut rest = source;
        while let Some(at) = rest.find("schema::") {
            rest = &rest[at + "schema::".len()..];
            let names = if let Some(list) = rest.strip_prefix('{') {
                list.split('}').next().unwrap_or_default()
            } else {
                let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
                &rest[..end]
            };
            for name in names.split(',') {
                let name = name.split_whitespace().next().unwrap_or_default();
                if tables.contains(name) {
                    found.insert(name.to_owned());
                }
            }
        }
        let words: Vec<&str> = source
            .split(|c: char| !is_ident(c))
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            let keyword = pair[0].to_ascii_uppercase();
            if matches!(
                keyword.as_str(),
                "FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE"
            ) && pair[0].chars().all(|c| c.is_ascii_uppercase())
                && tables.contains(pair[1])
            {
                found.insert(pair[1].to_owned());
            }
        }
        found
    }

    fn excepted(relative: &str, table: &str) -> bool {
        EXCEPTIONS
            .iter()
            .any(|(prefix, t, _)| relative.starts_with(prefix) && (*t == "*" || *t == table))
    }

    /// `(file, table, owner)` for every table a module names without owning it.
    fn violations(src: &Path) -> Vec<(String, String, String)> {
        let schema = std::fs::read_to_string(src.join("schema.rs")).unwrap_or_default();
        let tables = tables(&schema);
        let mut files = Vec::new();
        rust_files(src, &mut files);
        let mut out = Vec::new();
        for file in files {
            let relative = file
                .strip_prefix(src)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            let module = relative
                .split('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".rs");
            let source = std::fs::read_to_string(&file).unwrap_or_default();
            for table in named_tables(&source, &tables) {
                let owner = owner_of(&table).unwrap_or("(nobody)");
                if owner != module && !excepted(&relative, &table) {
                    out.push((relative.clone(), table, owner.to_owned()));
                }
            }
        }
        out.sort();
        out
    }

    fn src() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    #[test]
    fn every_table_has_one_owner() {
        let schema = std::fs::read_to_string(src().join("schema.rs")).unwrap_or_default();
        let tables = tables(&schema);
        assert!(tables.len() > 30, "schema.rs read: {tables:?}");
        let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (module, listed) in OWNERS {
            for t in *listed {
                owners.entry(t).or_default().push(module);
            }
        }
        let unowned: Vec<&String> = tables
            .iter()
            .filter(|t| !owners.contains_key(t.as_str()))
            .collect();
        assert!(unowned.is_empty(), "tables without an owner: {unowned:?}");
        let shared: Vec<_> = owners.iter().filter(|(_, m)| m.len() > 1).collect();
        assert!(shared.is_empty(), "tables with two owners: {shared:?}");
    }

    #[test]
    fn modules_read_other_modules_tables_only_through_their_repo() {
        let all = violations(&src());
        let stale: Vec<_> = PENDING
            .iter()
            .filter(|(f, t)| !all.iter().any(|(af, at, _)| af == f && at == t))
            .collect();
        assert!(stale.is_empty(), "fixed, remove from PENDING: {stale:?}");
        let found: Vec<_> = all
            .into_iter()
            .filter(|(f, t, _)| !PENDING.contains(&(f.as_str(), t.as_str())))
            .collect();
        assert!(
            found.is_empty(),
            "these files name a table another module owns (call the owner's repo instead):\n{}",
            found
                .iter()
                .map(|(f, t, o)| format!("  src/{f}: {t} (owned by {o})"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn the_check_finds_a_planted_violation() {
        let dir = std::env::temp_dir().join(format!("agrupa-ownership-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("plans")).unwrap_or_default();
        let schema = std::fs::read_to_string(src().join("schema.rs")).unwrap_or_default();
        std::fs::write(dir.join("schema.rs"), schema).unwrap_or_default();
        std::fs::write(
            dir.join("plans/repo.rs"),
            "use crate::schema::{plans, members as m};\n\
             const Q: &str = \"SELECT 1 FROM budget_lines JOIN plans ON true\";\n",
        )
        .unwrap_or_default();
        let found = violations(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            found,
            vec![
                (
                    "plans/repo.rs".into(),
                    "budget_lines".into(),
                    "budgets".into()
                ),
                ("plans/repo.rs".into(), "members".into(), "members".into()),
            ]
        );
    }

    /// House rule: no source file past about 600 lines (generated `schema.rs` and seed data
    /// excepted) unless its module doc says why, naming the 600 lines.
    #[test]
    fn long_files_say_why_at_their_top() {
        let mut files = Vec::new();
        rust_files(&src(), &mut files);
        let mut unexplained = Vec::new();
        for file in files {
            let relative = file
                .strip_prefix(src())
                .unwrap_or(&file)
                .to_string_lossy()
                .into_owned();
            if relative == "schema.rs" || relative.starts_with("seed/") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let doc: String = text
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .collect::<Vec<_>>()
                .join("\n");
            if text.lines().count() > 620 && !doc.contains("600") {
                unexplained.push(relative);
            }
        }
        assert!(
            unexplained.is_empty(),
            "over 600 lines without a reason at the top: {unexplained:?}"
        );
    }
}
