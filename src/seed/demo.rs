//! The demo register of an audiovisual cluster in Madrid: categories, the value chain,
//! about forty member organisations (the city council as institutional member, production
//! companies, distributors, VFX and animation studios, a university, a film school, a
//! technology centre) with valid tax ids, contacts and dues. Every row has a stable id and
//! is inserted with `ON CONFLICT DO NOTHING`: running it again changes nothing.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::stable_id;
use crate::{
    domain::{
        Cents, Email, TaxId,
        tax_id::{make_cif, make_nif},
    },
    members::model::{
        ContactRow, DueRow, DueStatus, MemberKind, MemberRow, MemberSize, MemberStatus,
    },
    reference::model::{CategoryRow, SegmentRow},
    schema::{member_categories, member_contacts, member_dues, member_segments, members, segments},
};

/// What a seeding run added.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Categories added.
    pub categories: usize,
    /// Segments added.
    pub segments: usize,
    /// Members added.
    pub members: usize,
    /// Contacts added.
    pub contacts: usize,
    /// Dues added.
    pub dues: usize,
    /// Strategic plans added.
    pub plans: usize,
    /// Budgets added.
    pub budgets: usize,
    /// Funding sets (funders, calls, agreement, applications) added.
    pub funding: usize,
    /// Governance sets (the Assembly, the Board, the assemblies that approved the plan
    /// and the budget) added.
    pub governance: usize,
    /// The cluster's own record (1 when it was set up).
    pub cluster: usize,
    /// Transparency years published (1 when 2025 was).
    pub transparency: usize,
}

impl Seeded {
    /// Whether nothing was added (the data was already there).
    pub fn is_empty(&self) -> bool {
        *self == Seeded::default()
    }
}

const CATEGORIES: [(&str, &str, i64, i32, bool); 5] = [
    (
        "Socio fundador",
        "Organizaciones que constituyeron el clúster.",
        300_000,
        2,
        true,
    ),
    (
        "Socio de número",
        "Empresas y entidades con plenos derechos.",
        120_000,
        1,
        true,
    ),
    (
        "Socio adherido",
        "Profesionales y microempresas que se suman al clúster.",
        30_000,
        1,
        false,
    ),
    (
        "Socio institucional",
        "Administraciones públicas promotoras del clúster.",
        0,
        1,
        true,
    ),
    (
        "Socio de honor",
        "Reconocimiento a personas y entidades destacadas.",
        0,
        0,
        false,
    ),
];

const SEGMENTS: [(&str, &str); 12] = [
    ("development", "Desarrollo"),
    ("preproduction", "Preproducción"),
    ("production", "Producción"),
    ("postproduction_vfx", "Posproducción y VFX"),
    ("animation", "Animación"),
    ("videogames", "Videojuegos"),
    ("distribution", "Distribución"),
    ("exhibition", "Exhibición"),
    ("promotion_festivals", "Promoción y festivales"),
    ("training_talent", "Formación y talento"),
    ("technology", "Tecnología"),
    ("services", "Servicios"),
];

/// (legal name, trade name, kind, size, category index, segments, municipality, employees,
/// turnover in euros, status, joined year, description)
type Org = (
    &'static str,
    &'static str,
    MemberKind,
    Option<MemberSize>,
    usize,
    &'static [&'static str],
    &'static str,
    i32,
    i64,
    MemberStatus,
    i32,
    &'static str,
);

const ORGS: &[Org] = {
    use MemberKind::*;
    use MemberSize::*;
    use MemberStatus::*;
    &[
        (
            "Ayuntamiento de Madrid",
            "Ayuntamiento de Madrid",
            PublicInstitution,
            None,
            3,
            &["promotion_festivals", "training_talent"],
            "Madrid",
            0,
            0,
            Active,
            2019,
            "Promotor del clúster y socio institucional; apoya al sector audiovisual con más de 3,7 millones de euros al año.",
        ),
        (
            "Producciones La Gavia, S.L.",
            "La Gavia Films",
            Company,
            Some(Medium),
            0,
            &["development", "production"],
            "Madrid",
            85,
            14_500_000,
            Active,
            2019,
            "Producción de largometrajes y series de ficción para plataformas.",
        ),
        (
            "Estudios Manzanares Audiovisual, S.A.",
            "Estudios Manzanares",
            Company,
            Some(Large),
            0,
            &["production", "services"],
            "Madrid",
            310,
            48_000_000,
            Active,
            2019,
            "Platós y servicios de rodaje en la Comunidad de Madrid.",
        ),
        (
            "Retiro Post, S.L.",
            "Retiro Post",
            Company,
            Some(Small),
            1,
            &["postproduction_vfx"],
            "Madrid",
            32,
            3_200_000,
            Active,
            2020,
            "Posproducción de imagen y sonido, etalonaje y masterización.",
        ),
        (
            "Píxel Castellana VFX, S.L.",
            "Píxel Castellana",
            Company,
            Some(Medium),
            1,
            &["postproduction_vfx", "technology"],
            "Madrid",
            120,
            11_000_000,
            Active,
            2020,
            "Efectos visuales y producción virtual para cine y publicidad.",
        ),
        (
            "Animaciones Lavapiés, S.L.",
            "Lavapiés Animation",
            Company,
            Some(Small),
            1,
            &["animation"],
            "Madrid",
            45,
            4_100_000,
            Active,
            2020,
            "Estudio de animación 2D y 3D para series infantiles.",
        ),
        (
            "Dehesa Games, S.L.",
            "Dehesa Games",
            Company,
            Some(Micro),
            2,
            &["videogames", "technology"],
            "Madrid",
            9,
            650_000,
            Active,
            2021,
            "Desarrollo de videojuegos independientes y narrativos.",
        ),
        (
            "Distribuidora Cibeles Cinema, S.L.",
            "Cibeles Cinema",
            Company,
            Some(Small),
            1,
            &["distribution"],
            "Madrid",
            18,
            7_800_000,
            Active,
            2019,
            "Distribución de cine español e internacional en salas y plataformas.",
        ),
        (
            "Cines Malasaña, S.L.",
            "Cines Malasaña",
            Company,
            Some(Small),
            1,
            &["exhibition"],
            "Madrid",
            40,
            2_900_000,
            Active,
            2021,
            "Exhibición cinematográfica en versión original.",
        ),
        (
            "Festival Internacional de Cine de Chamberí",
            "FICCH",
            Association,
            Some(Micro),
            1,
            &["promotion_festivals"],
            "Madrid",
            6,
            420_000,
            Active,
            2020,
            "Festival anual de cine independiente y mercado de coproducción.",
        ),
        (
            "Universidad Politécnica del Audiovisual",
            "UPA",
            University,
            Some(Large),
            0,
            &["training_talent", "technology"],
            "Madrid",
            900,
            0,
            Active,
            2019,
            "Universidad con grados y másteres en comunicación audiovisual e ingeniería de la imagen.",
        ),
        (
            "Escuela de Cine de Madrid, S.L.",
            "ECM",
            TrainingCentre,
            Some(Small),
            1,
            &["training_talent"],
            "Madrid",
            38,
            2_400_000,
            Active,
            2019,
            "Escuela de cine: dirección, guion, fotografía y montaje.",
        ),
        (
            "Centro Tecnológico de la Imagen",
            "CTI Madrid",
            TechnologyCentre,
            Some(Medium),
            0,
            &["technology", "postproduction_vfx"],
            "Tres Cantos",
            70,
            5_500_000,
            Active,
            2019,
            "Centro tecnológico de I+D en imagen, sonido inmersivo e inteligencia artificial aplicada.",
        ),
        (
            "Guiones del Sur, S.L.",
            "Guiones del Sur",
            Company,
            Some(Micro),
            2,
            &["development"],
            "Madrid",
            4,
            280_000,
            Active,
            2022,
            "Desarrollo de guiones y formatos para televisión.",
        ),
        (
            "Localizaciones Sierra Norte, S.L.",
            "Sierra Norte Locations",
            Company,
            Some(Micro),
            2,
            &["preproduction", "services"],
            "Buitrago del Lozoya",
            5,
            390_000,
            Active,
            2022,
            "Búsqueda y gestión de localizaciones de rodaje en la sierra madrileña.",
        ),
        (
            "Casting Gran Vía, S.L.",
            "Casting Gran Vía",
            Company,
            Some(Micro),
            2,
            &["preproduction", "training_talent"],
            "Madrid",
            7,
            510_000,
            Active,
            2021,
            "Dirección de casting para cine, series y publicidad.",
        ),
        (
            "Sonido Arganzuela, S.L.",
            "Arganzuela Sound",
            Company,
            Some(Small),
            1,
            &["postproduction_vfx"],
            "Madrid",
            14,
            1_300_000,
            Active,
            2021,
            "Diseño de sonido, doblaje y mezcla Dolby Atmos.",
        ),
        (
            "Alquiler de Equipos Prosperidad, S.A.",
            "Prosperidad Rental",
            Company,
            Some(Medium),
            1,
            &["services", "production"],
            "Alcobendas",
            95,
            16_000_000,
            Active,
            2020,
            "Alquiler de cámaras, óptica e iluminación para rodajes.",
        ),
        (
            "Series Moncloa, S.L.",
            "Moncloa Series",
            Company,
            Some(Small),
            1,
            &["production", "development"],
            "Madrid",
            26,
            9_400_000,
            Active,
            2022,
            "Producción de series documentales y de ficción.",
        ),
        (
            "Documentales Tetuán, S.L.",
            "Tetuán Docs",
            Company,
            Some(Micro),
            2,
            &["production"],
            "Madrid",
            6,
            720_000,
            Active,
            2023,
            "Documentales de autor y no ficción.",
        ),
        (
            "Publicidad Chueca Films, S.L.",
            "Chueca Films",
            Company,
            Some(Small),
            1,
            &["production", "services"],
            "Madrid",
            21,
            5_100_000,
            Active,
            2021,
            "Producción de publicidad y contenidos de marca.",
        ),
        (
            "Ñu Animation Studio, S.L.",
            "Ñu Studio",
            Company,
            Some(Micro),
            2,
            &["animation", "videogames"],
            "Getafe",
            8,
            480_000,
            Active,
            2023,
            "Animación stop-motion y cinemáticas para videojuegos.",
        ),
        (
            "Realidad Virtual Usera, S.L.",
            "Usera XR",
            Company,
            Some(Micro),
            2,
            &["technology"],
            "Madrid",
            5,
            300_000,
            Active,
            2023,
            "Experiencias inmersivas y realidad virtual.",
        ),
        (
            "Subtítulos y Accesibilidad Vallecas, S.L.",
            "Vallecas Access",
            Company,
            Some(Small),
            1,
            &["services", "postproduction_vfx"],
            "Madrid",
            17,
            1_100_000,
            Active,
            2022,
            "Subtitulado, audiodescripción y accesibilidad audiovisual.",
        ),
        (
            "Agencia de Talento Salamanca, S.L.",
            "Salamanca Talent",
            Company,
            Some(Micro),
            2,
            &["training_talent"],
            "Madrid",
            5,
            350_000,
            Active,
            2023,
            "Representación de actrices, actores y equipo técnico.",
        ),
        (
            "Producciones Barajas, S.L.",
            "Barajas Pictures",
            Company,
            Some(Small),
            1,
            &["production"],
            "Madrid",
            19,
            6_300_000,
            Active,
            2021,
            "Coproducciones internacionales y servicios de producción.",
        ),
        (
            "Estudio de Color Lavapiés, S.L.",
            "Color Lavapiés",
            Company,
            Some(Micro),
            2,
            &["postproduction_vfx"],
            "Madrid",
            4,
            260_000,
            Suspended,
            2022,
            "Etalonaje y acabado de imagen.",
        ),
        (
            "Motion Graphics Carabanchel, S.L.",
            "Carabanchel Motion",
            Company,
            Some(Micro),
            2,
            &["animation", "services"],
            "Madrid",
            6,
            410_000,
            Active,
            2022,
            "Grafismo, títulos de crédito y motion graphics.",
        ),
        (
            "Distribución Digital Argüelles, S.L.",
            "Argüelles Digital",
            Company,
            Some(Small),
            1,
            &["distribution", "technology"],
            "Madrid",
            23,
            3_600_000,
            Active,
            2021,
            "Distribución digital y agregación para plataformas de vídeo.",
        ),
        (
            "Cinemateca Alcalá, S.L.",
            "Cinemateca Alcalá",
            Company,
            Some(Micro),
            2,
            &["exhibition", "promotion_festivals"],
            "Alcalá de Henares",
            9,
            540_000,
            Active,
            2023,
            "Sala de cine de repertorio y ciclos temáticos.",
        ),
        (
            "Jóvenes Creadores Audiovisuales",
            "Asociación JCA",
            Association,
            Some(Micro),
            2,
            &["training_talent", "promotion_festivals"],
            "Madrid",
            3,
            90_000,
            Active,
            2024,
            "Asociación de jóvenes creadores y cortometrajistas.",
        ),
        (
            "Software de Producción Chamartín, S.L.",
            "Chamartín Soft",
            Company,
            Some(Small),
            1,
            &["technology", "preproduction"],
            "Madrid",
            28,
            2_700_000,
            Active,
            2022,
            "Software de planificación de rodajes y gestión de producción.",
        ),
        (
            "Videojuegos Alcorcón, S.L.",
            "Alcorcón Games",
            Company,
            Some(Small),
            1,
            &["videogames"],
            "Alcorcón",
            34,
            3_900_000,
            Active,
            2021,
            "Estudio de videojuegos para consola y PC.",
        ),
        (
            "Producciones Lozoya, S.L.",
            "Lozoya Producciones",
            Company,
            Some(Micro),
            2,
            &["production", "development"],
            "Madrid",
            3,
            150_000,
            Applicant,
            2025,
            "Productora emergente de cortometrajes y primeras obras.",
        ),
        (
            "Estudios Virtuales Leganés, S.L.",
            "Leganés Virtual",
            Company,
            Some(Small),
            1,
            &["technology", "production"],
            "Leganés",
            15,
            1_900_000,
            Applicant,
            2025,
            "Plató de producción virtual con pantallas LED.",
        ),
        (
            "Doblaje Embajadores, S.A.",
            "Embajadores Dub",
            Company,
            Some(Medium),
            1,
            &["postproduction_vfx", "services"],
            "Madrid",
            60,
            6_900_000,
            Active,
            2020,
            "Doblaje y localización a más de veinte idiomas.",
        ),
        (
            "Cortometrajes Lavapiés, S.L.",
            "Cortos Lavapiés",
            Company,
            Some(Micro),
            2,
            &["production", "promotion_festivals"],
            "Madrid",
            2,
            80_000,
            Withdrawn,
            2020,
            "Producción y distribución de cortometrajes.",
        ),
        (
            "Fotografía de Rodaje Vallehermoso, S.L.",
            "Vallehermoso Stills",
            Freelancer,
            Some(Micro),
            2,
            &["services"],
            "Madrid",
            1,
            60_000,
            Active,
            2024,
            "Fotografía fija de rodaje y making of.",
        ),
        (
            "Transmedia Pozuelo, S.L.",
            "Pozuelo Transmedia",
            Company,
            Some(Small),
            1,
            &["development", "technology"],
            "Pozuelo de Alarcón",
            12,
            1_400_000,
            Active,
            2024,
            "Narrativas transmedia y formatos interactivos.",
        ),
        (
            "Academia de Efectos Especiales de Madrid, S.L.",
            "AEEM",
            TrainingCentre,
            Some(Micro),
            2,
            &["training_talent", "postproduction_vfx"],
            "Madrid",
            8,
            600_000,
            Active,
            2024,
            "Formación en efectos especiales, maquillaje y prótesis.",
        ),
    ]
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// Loads the demo register; returns what it added (nothing when it was there already).
pub async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<Seeded> {
    let now = chrono::Utc::now();
    let today = crate::domain::calendar::date_of(now);
    conn.transaction::<Seeded, anyhow::Error, _>(async |conn| {
        let mut out = Seeded::default();
        let category_rows: Vec<CategoryRow> = CATEGORIES
            .iter()
            .map(|(name, description, fee, votes, full)| CategoryRow {
                id: stable_id("category", name).into(),
                name: (*name).to_owned(),
                description: Some((*description).to_owned()),
                annual_fee_cents: Cents(*fee),
                voting_weight: *votes,
                full_member: *full,
                version: 1,
                created_at: now,
                updated_at: now,
            })
            .collect();
        out.categories = diesel::insert_into(member_categories::table)
            .values(&category_rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let segment_rows: Vec<SegmentRow> = SEGMENTS
            .iter()
            .enumerate()
            .map(|(i, (code, name))| SegmentRow {
                id: stable_id("segment", code).into(),
                code: (*code).to_owned(),
                name: (*name).to_owned(),
                description: None,
                position: i32::try_from(i).unwrap_or(0) * 10,
                version: 1,
                created_at: now,
                updated_at: now,
            })
            .collect();
        out.segments = diesel::insert_into(segments::table)
            .values(&segment_rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;

        for (i, org) in ORGS.iter().enumerate() {
            let (
                legal,
                trade,
                kind,
                size,
                cat,
                segs,
                town,
                employees,
                turnover,
                status,
                joined,
                desc,
            ) = *org;
            let n = u32::try_from(i).unwrap_or(0);
            let tax_id = match kind {
                MemberKind::PublicInstitution => "P2807900B".to_owned(),
                MemberKind::University => make_cif('Q', 2_818_000 + n),
                MemberKind::Association => make_cif('G', 8_680_000 + n),
                MemberKind::Freelancer => make_nif(50_100_000 + n),
                _ => make_cif('B', 8_700_000 + n * 37),
            };
            let id = stable_id("member", legal);
            let row = MemberRow {
                id: id.into(),
                legal_name: legal.to_owned(),
                trade_name: Some(trade.to_owned()),
                tax_id: TaxId::parse(&tax_id).map_err(anyhow::Error::msg)?,
                kind,
                size,
                category_id: category_rows[cat].id,
                status,
                address: Some(format!("Calle Ejemplo {}, {}", 10 + i, town)),
                postcode: Some(format!("28{:03}", 10 + i * 7 % 900)),
                municipality: Some(town.to_owned()),
                province: Some("Madrid".to_owned()),
                country: "ES".to_owned(),
                website: Some(format!(
                    "https://{}.example.es",
                    trade
                        .to_lowercase()
                        .replace([' ', '.', ','], "")
                        .replace(['ñ'], "n")
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                )),
                employees: Some(employees),
                annual_turnover_cents: Some(Cents(turnover * 100)),
                description: Some(desc.to_owned()),
                joined_on: (status != MemberStatus::Applicant).then(|| date(joined, 3, 15)),
                archived_at: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let added = diesel::insert_into(members::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            out.members += added;
            if added == 0 {
                continue;
            }
            let links: Vec<_> = segs
                .iter()
                .map(|code| {
                    (
                        member_segments::member_id.eq(id),
                        member_segments::segment_id.eq(stable_id("segment", code)),
                    )
                })
                .collect();
            diesel::insert_into(member_segments::table)
                .values(&links)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;

            let first = [
                "Lucía", "Javier", "Begoña", "Íñigo", "Marta", "Sergio", "Nuria", "Álvaro",
            ][i % 8];
            let last = [
                "Fernández",
                "Núñez",
                "García",
                "Martínez",
                "Ruiz",
                "Muñoz",
                "Sánchez",
                "Peña",
            ][(i / 8) % 8];
            let contacts = [
                ContactRow {
                    id: stable_id("contact", &format!("{legal}:1")).into(),
                    member_id: id.into(),
                    name: format!("{first} {last}"),
                    email: Some(
                        Email::parse(
                            &format!(
                                "{}.{}@{}",
                                first.to_lowercase(),
                                last.to_lowercase(),
                                "example.es"
                            )
                            .replace(['á', 'à'], "a")
                            .replace('é', "e")
                            .replace('í', "i")
                            .replace('ó', "o")
                            .replace('ú', "u")
                            .replace('ñ', "n"),
                        )
                        .map_err(anyhow::Error::msg)?,
                    ),
                    phone: Some(format!(
                        "+34 91 {:03} {:02} {:02}",
                        100 + i * 13 % 800,
                        i % 100,
                        (i * 7) % 100
                    )),
                    position: Some("Dirección general".into()),
                    is_primary: true,
                    consent_communications: true,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
                ContactRow {
                    id: stable_id("contact", &format!("{legal}:2")).into(),
                    member_id: id.into(),
                    name: format!(
                        "{} {}",
                        ["Carmen", "Pablo", "Elena", "Jorge"][i % 4],
                        ["Ortega", "Castillo", "Rubio", "Iglesias"][(i / 4) % 4]
                    ),
                    email: Some(
                        Email::parse(&format!("produccion{i}@example.es"))
                            .map_err(anyhow::Error::msg)?,
                    ),
                    phone: None,
                    position: Some("Coordinación de proyectos".into()),
                    is_primary: false,
                    consent_communications: i % 3 != 0,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
            ];
            out.contacts += diesel::insert_into(member_contacts::table)
                .values(&contacts[..])
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;

            let fee = CATEGORIES[cat].2;
            let mut dues = Vec::new();
            for year in joined.max(2024)..=today.year() {
                if matches!(status, MemberStatus::Applicant) {
                    break;
                }
                // Most pay on time; two members owe this year's due.
                let owes = year == today.year() && (i == 26 || i == 31);
                let waived = fee == 0;
                dues.push(DueRow {
                    id: stable_id("due", &format!("{legal}:{year}")).into(),
                    member_id: id.into(),
                    year,
                    amount_cents: Cents(fee),
                    issued_on: date(year, 1, 15),
                    due_on: date(year, 3, 31),
                    paid_on: (!owes && !waived).then(|| date(year, 3, 1 + (i as u32 % 27))),
                    status: if waived {
                        DueStatus::Waived
                    } else if owes {
                        DueStatus::Pending
                    } else {
                        DueStatus::Paid
                    },
                    version: 1,
                    created_at: now,
                    updated_at: now,
                });
            }
            if !dues.is_empty() {
                out.dues += diesel::insert_into(member_dues::table)
                    .values(&dues)
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
            }
        }
        out.plans = usize::from(super::demo_plan::seed(conn).await?);
        out.budgets = usize::from(super::demo_budget::seed(conn).await?);
        out.funding = usize::from(super::demo_funding::seed(conn).await?);
        out.governance = usize::from(super::demo_governance::seed(conn).await?);
        out.cluster = usize::from(super::demo_cluster::seed(conn).await?);
        out.transparency = usize::from(super::demo_cluster::seed_transparency(conn).await?);
        Ok(out)
    })
    .await
}
