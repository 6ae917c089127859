//! The demo Strategic Plan 2024–2027 (data in [`super::plan_data`]): built as one plan
//! document, checked and written like an import, then approved by the General Assembly of
//! 12 March 2024. It has a stable id: seeding again changes nothing.

use anyhow::Context;
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;

use super::{
    plan_data::{AXES, DemoAction, DemoIndicator},
    stable_id,
};
use crate::{
    domain::{Cents, MemberId, PlanId},
    plans::{
        indicators::Target,
        repo,
        transfer::{self, ActionDocument, IndicatorDocument, MeasurementDocument, NodeDocument},
        versions::Labels,
    },
};

/// The demo plan's first year.
const START: i32 = 2024;

fn date(s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("demo date {s}"))
}

fn indicator(i: &DemoIndicator) -> anyhow::Result<IndicatorDocument> {
    Ok(IndicatorDocument {
        name: i.name.to_owned(),
        unit: i.unit.to_owned(),
        higher_is_better: i.higher_is_better,
        baseline: i.baseline,
        targets: (START..)
            .zip(i.targets)
            .map(|(year, value)| Target { year, value })
            .collect(),
        measurements: i
            .measurements
            .iter()
            .map(|m| {
                Ok(MeasurementDocument {
                    measured_on: date(m.date)?,
                    value: m.value,
                    source: Some(m.source.to_owned()),
                    note: None,
                })
            })
            .collect::<anyhow::Result<_>>()?,
    })
}

fn action(a: &DemoAction, position: i32) -> anyhow::Result<NodeDocument> {
    let status = a
        .status
        .parse()
        .map_err(|e: String| anyhow::anyhow!("{}: {e}", a.code))?;
    Ok(NodeDocument {
        code: a.code.to_owned(),
        title: a.title.to_owned(),
        description: Some(a.description.to_owned()),
        position: Some(position),
        weight: Some(a.weight),
        action: Some(ActionDocument {
            responsible_id: None,
            participant_ids: a
                .participants
                .iter()
                .map(|legal| MemberId(stable_id("member", legal)))
                .collect(),
            start_date: Some(date(a.start)?),
            end_date: Some(date(a.end)?),
            status: Some(status),
            progress: Some(a.progress),
            planned_budget_cents: Some(Cents(a.budget_cents)),
        }),
        indicators: Vec::new(),
        children: Vec::new(),
    })
}

fn pos(i: usize) -> i32 {
    i32::try_from(i * 10).unwrap_or(0)
}

/// The demo plan as a document.
pub fn document() -> anyhow::Result<transfer::PlanDocument> {
    let mut axes = Vec::new();
    for (ai, axis) in AXES.iter().enumerate() {
        let mut areas = Vec::new();
        for (ri, area) in axis.areas.iter().enumerate() {
            let o = &area.objective;
            let actions = o
                .actions
                .iter()
                .enumerate()
                .map(|(i, a)| action(a, pos(i)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let objective = NodeDocument {
                code: o.code.to_owned(),
                title: o.title.to_owned(),
                description: Some(o.description.to_owned()),
                position: Some(0),
                weight: Some(1),
                action: None,
                indicators: o
                    .indicators
                    .iter()
                    .map(indicator)
                    .collect::<Result<_, _>>()?,
                children: actions,
            };
            areas.push(NodeDocument {
                code: area.code.to_owned(),
                title: area.title.to_owned(),
                description: Some(area.description.to_owned()),
                position: Some(pos(ri)),
                weight: Some(area.weight),
                action: None,
                indicators: Vec::new(),
                children: vec![objective],
            });
        }
        axes.push(NodeDocument {
            code: axis.code.to_owned(),
            title: axis.title.to_owned(),
            description: Some(axis.description.to_owned()),
            position: Some(pos(ai)),
            weight: Some(axis.weight),
            action: None,
            indicators: Vec::new(),
            children: areas,
        });
    }
    Ok(transfer::PlanDocument {
        title: "Plan Estratégico 2024–2027".into(),
        description: Some(
            "Plan estratégico del clúster audiovisual de Madrid aprobado por la Asamblea General: \
             siete ejes, diecisiete áreas, diecisiete objetivos y cincuenta y siete acciones. \
             Base de la inscripción en el Registro de Agrupaciones Empresariales Innovadoras."
                .into(),
        ),
        start_year: START,
        end_year: 2027,
        depth: 4,
        labels: Labels {
            axis: "Eje".into(),
            area: "Área".into(),
            objective: "Objetivo".into(),
            action: "Acción".into(),
        },
        axes,
    })
}

/// Loads the approved demo plan (the demo register must be there: actions name its
/// members). Returns whether it was added.
pub async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    let id = PlanId(stable_id("plan", "Plan Estratégico 2024–2027"));
    if repo::find_plan(conn, id, false).await.is_ok() {
        return Ok(false);
    }
    let doc = document()?;
    let rows = transfer::build(conn, &doc, id, true)
        .await
        .map_err(|e| anyhow::anyhow!("the demo plan is invalid: {:?}", e.problem(None)))?;
    repo::insert_rows(conn, &rows).await?;
    repo::approve_plan(
        conn,
        id,
        date("2024-03-12")?,
        "Asamblea General ordinaria de 12 de marzo de 2024, acuerdo 3",
        None,
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_plan_has_7_axes_17_areas_17_objectives_57_actions() {
        let doc = document().unwrap();
        let areas: Vec<_> = doc.axes.iter().flat_map(|a| &a.children).collect();
        let objectives: Vec<_> = areas.iter().flat_map(|a| &a.children).collect();
        let actions: Vec<_> = objectives.iter().flat_map(|o| &o.children).collect();
        assert_eq!(
            (doc.axes.len(), areas.len(), objectives.len(), actions.len()),
            (7, 17, 17, 57)
        );
        assert!(actions.iter().all(|a| a.action.is_some()));
    }
}
