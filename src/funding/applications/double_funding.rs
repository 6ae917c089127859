//! Double funding: a grant never funds a plan action above its planned cost, counting the
//! grants other applications hold on the same action (by code, in any version of its plan).

use std::collections::{BTreeMap, HashMap};

use diesel_async::AsyncPgConnection;

use crate::{
    domain::{Cents, NodeId, PlanId},
    error::{ApiError, FieldError},
    funding::{
        model::{ApplicationRow, scale_up},
        repo,
    },
};

/// A plan action an application serves, as the check reads it.
#[derive(Debug, Clone)]
struct Action {
    plan_id: PlanId,
    code: String,
    title: String,
    planned: Cents,
}

/// 409 `double_funding` when a grant of `granted` would fund one of the application's plan
/// actions above its planned cost, with the grants other applications already hold on the
/// same action (by code, in any version of its plan). Each application's part of an action
/// scales with its grant and is rounded up, so the sum is never under-counted. The actions
/// are locked, so two grants decided at once cannot both pass.
pub async fn check(
    conn: &mut AsyncPgConnection,
    app: &ApplicationRow,
    granted: Cents,
) -> Result<(), ApiError> {
    let mine = repo::application_actions(conn, &[app.id]).await?;
    if mine.is_empty() {
        return Ok(());
    }
    let ids: Vec<NodeId> = mine.iter().map(|a| a.action_id).collect();
    let actions: HashMap<NodeId, Action> = crate::plans::repo::nodes_by_ids(conn, &ids)
        .await?
        .into_iter()
        .map(|n| {
            let action = Action {
                plan_id: n.plan_id,
                code: n.code,
                title: n.title,
                planned: n.planned_budget_cents.unwrap_or(Cents::ZERO),
            };
            (n.id, action)
        })
        .collect();
    // Every node that is the same action as one of ours, keyed by (our plan, code).
    let mut same: HashMap<NodeId, (PlanId, String)> = HashMap::new();
    let mut by_plan: BTreeMap<PlanId, Vec<String>> = BTreeMap::new();
    for a in actions.values() {
        by_plan.entry(a.plan_id).or_default().push(a.code.clone());
    }
    for (plan, codes) in &by_plan {
        for (id, code) in crate::plans::repo::action_twins(conn, *plan, codes).await? {
            same.insert(id, (*plan, code));
        }
    }
    let all: Vec<NodeId> = same.keys().copied().collect();
    crate::plans::repo::lock_nodes(conn, &all).await?;
    let others = repo::grants_on_actions(conn, &all, app.id).await?;
    for a in &mine {
        let Some(action) = actions.get(&a.action_id) else {
            continue;
        };
        let this = scale_up(a.amount_cents, granted, app.requested_cents);
        let mut total = i128::from(this.get());
        let mut names = Vec::new();
        let key = (action.plan_id, action.code.clone());
        for other in &others {
            if same.get(&other.action_id) == Some(&key) {
                let part = scale_up(
                    other.amount_cents,
                    other.granted_cents.unwrap_or_default(),
                    other.requested_cents,
                );
                total += i128::from(part.get());
                names.push(format!("«{}» ({})", other.title, other.application_id));
            }
        }
        if total > i128::from(action.planned.get()) {
            return Err(overfunded(
                action,
                Cents(i64::try_from(total).unwrap_or(i64::MAX)),
                this,
                &names,
            ));
        }
    }
    Ok(())
}

/// The 409 of an action that would be funded with `total` (`this` of it by the application
/// being decided, the rest by the applications `names`).
fn overfunded(action: &Action, total: Cents, this: Cents, names: &[String]) -> ApiError {
    let planned = action.planned;
    let share = if planned.get() > 0 {
        format!(
            "{}%",
            i128::from(total.get()) * 100 / i128::from(planned.get())
        )
    } else {
        "∞".into()
    };
    let detail = format!(
        "Action {} «{}» would be funded with {total} of its planned {planned} ({share}) by \
         granted applications: this one ({this}){}{}.",
        action.code,
        action.title,
        if names.is_empty() { "" } else { " and " },
        names.join(", ")
    );
    ApiError::conflict("double_funding", detail.clone()).with_errors(vec![FieldError::new(
        "actions",
        "double_funding",
        detail,
    )])
}
