//! Static data of the demo "Plan Estratégico 2024–2027" of the audiovisual cluster of Madrid:
//! 7 axes, 17 areas, 17 objectives (one per area) and 57 actions, with indicators, targets,
//! measurements and the member organisations that take part in each action. Data only: the
//! seeding logic reads [`AXES`]. Participants are legal names of members seeded in `demo`.

/// An axis (eje) of the demo plan.
#[derive(Debug, Clone, Copy)]
pub struct DemoAxis {
    /// Code, e.g. `E1`.
    pub code: &'static str,
    /// Title.
    pub title: &'static str,
    /// One-sentence description.
    pub description: &'static str,
    /// Relative weight (1–100).
    pub weight: i32,
    /// Areas of the axis.
    pub areas: &'static [DemoArea],
}

/// An area of an axis, with its one objective.
#[derive(Debug, Clone, Copy)]
pub struct DemoArea {
    /// Code, e.g. `E1.2`.
    pub code: &'static str,
    /// Title.
    pub title: &'static str,
    /// One-sentence description.
    pub description: &'static str,
    /// Relative weight within the axis (1–100).
    pub weight: i32,
    /// The area's objective.
    pub objective: DemoObjective,
}

/// The objective of an area.
#[derive(Debug, Clone, Copy)]
pub struct DemoObjective {
    /// Code, e.g. `E1.2.1`.
    pub code: &'static str,
    /// Title.
    pub title: &'static str,
    /// One-sentence description.
    pub description: &'static str,
    /// Indicators (one or two).
    pub indicators: &'static [DemoIndicator],
    /// Actions (three or four).
    pub actions: &'static [DemoAction],
}

/// An indicator: baseline, targets for 2024, 2025, 2026 and 2027, measurements.
#[derive(Debug, Clone, Copy)]
pub struct DemoIndicator {
    /// Name.
    pub name: &'static str,
    /// Unit, e.g. `empresas`, `%`, `t CO2e`, `€`.
    pub unit: &'static str,
    /// Whether a higher value is better (false for e.g. carbon footprint or processing days).
    pub higher_is_better: bool,
    /// Value at the start of the plan (end of 2023).
    pub baseline: f64,
    /// Targets for the ends of 2024, 2025, 2026 and 2027.
    pub targets: [f64; 4],
    /// Measurements, oldest first.
    pub measurements: &'static [DemoMeasurement],
}

/// One measurement of an indicator.
#[derive(Debug, Clone, Copy)]
pub struct DemoMeasurement {
    /// Date of the measurement, `YYYY-MM-DD`.
    pub date: &'static str,
    /// Measured value, in the indicator's unit.
    pub value: f64,
    /// Where the value comes from.
    pub source: &'static str,
}

/// An action.
#[derive(Debug, Clone, Copy)]
pub struct DemoAction {
    /// Code, e.g. `E1.2.1.3`.
    pub code: &'static str,
    /// Title.
    pub title: &'static str,
    /// One-sentence description.
    pub description: &'static str,
    /// Start date, `YYYY-MM-DD`.
    pub start: &'static str,
    /// End date, `YYYY-MM-DD`.
    pub end: &'static str,
    /// `not_started`, `in_progress`, `completed`, `delayed` or `cancelled`.
    pub status: &'static str,
    /// Progress in percent (0–100).
    pub progress: i16,
    /// Relative weight within the objective (1–100).
    pub weight: i32,
    /// Budget in euro cents.
    pub budget_cents: i64,
    /// Legal names of the participating members.
    pub participants: &'static [&'static str],
}

/// The plan's axes.
pub const AXES: &[DemoAxis] = &[
    DemoAxis {
        code: "E1",
        title: "Internacionalización del audiovisual madrileño",
        description: "Abrir mercados exteriores a las obras y servicios de los socios y atraer a Madrid coproducciones e inversión internacional.",
        weight: 15,
        areas: &[
            DemoArea {
                code: "E1.1",
                title: "Presencia en mercados y festivales internacionales",
                description: "Participación coordinada de los socios, bajo una imagen común, en los grandes mercados audiovisuales de Europa, América y Asia.",
                weight: 3,
                objective: DemoObjective {
                    code: "E1.1.1",
                    title: "Aumentar la presencia de los socios en los mercados internacionales de referencia",
                    description: "Lograr que cada año más empresas del clúster acudan con agenda de reuniones a Cannes, Berlín, MIPCOM y Ventana Sur.",
                    indicators: &[DemoIndicator {
                        name: "Socios participantes en mercados internacionales",
                        unit: "empresas",
                        higher_is_better: true,
                        baseline: 8.0,
                        targets: [10.0, 13.0, 16.0, 20.0],
                        measurements: &[
                            DemoMeasurement {
                                date: "2024-12-31",
                                value: 11.0,
                                source: "Memoria anual 2024",
                            },
                            DemoMeasurement {
                                date: "2025-12-31",
                                value: 14.0,
                                source: "Memoria anual 2025",
                            },
                            DemoMeasurement {
                                date: "2026-06-30",
                                value: 15.0,
                                source: "Informe de seguimiento del plan, primer semestre 2026",
                            },
                        ],
                    }],
                    actions: &[
                        DemoAction {
                            code: "E1.1.1.1",
                            title: "Pabellón conjunto del clúster en el Marché du Film de Cannes 2024",
                            description: "Stand compartido bajo la marca del clúster con agenda de reuniones para productoras y distribuidoras socias.",
                            start: "2024-02-01",
                            end: "2024-05-31",
                            status: "completed",
                            progress: 100,
                            weight: 3,
                            budget_cents: 6_500_000,
                            participants: &[
                                "Producciones La Gavia, S.L.",
                                "Distribuidora Cibeles Cinema, S.L.",
                                "Producciones Barajas, S.L.",
                                "Ayuntamiento de Madrid",
                            ],
                        },
                        DemoAction {
                            code: "E1.1.1.2",
                            title: "Misión comercial a MIPCOM y MIPTV en Cannes",
                            description: "Delegación de productoras de series, animación y formatos en los mercados de televisión de Cannes durante 2024 y 2025.",
                            start: "2024-03-01",
                            end: "2025-10-31",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 4_800_000,
                            participants: &[
                                "Series Moncloa, S.L.",
                                "Animaciones Lavapiés, S.L.",
                                "Guiones del Sur, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E1.1.1.3",
                            title: "Agenda de reuniones B2B en el European Film Market de la Berlinale 2026",
                            description: "Preparación de citas con agentes de ventas y coproductores europeos para los proyectos en desarrollo de los socios.",
                            start: "2025-11-01",
                            end: "2026-02-28",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 3_200_000,
                            participants: &[
                                "Producciones La Gavia, S.L.",
                                "Documentales Tetuán, S.L.",
                                "Distribuidora Cibeles Cinema, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E1.1.1.4",
                            title: "Presencia estable en Ventana Sur y en los mercados latinoamericanos",
                            description: "Participación anual en Ventana Sur (Buenos Aires) y en el mercado de Guadalajara para reforzar los lazos con Iberoamérica.",
                            start: "2026-05-01",
                            end: "2027-12-31",
                            status: "in_progress",
                            progress: 35,
                            weight: 2,
                            budget_cents: 5_500_000,
                            participants: &[
                                "Producciones Barajas, S.L.",
                                "Dehesa Games, S.L.",
                                "Distribución Digital Argüelles, S.L.",
                            ],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E1.2",
                title: "Coproducción internacional",
                description: "Herramientas y espacios para que las productoras socias cierren coproducciones con socios europeos e iberoamericanos.",
                weight: 2,
                objective: DemoObjective {
                    code: "E1.2.1",
                    title: "Incrementar las coproducciones internacionales con participación de socios",
                    description: "Pasar de tres a diez coproducciones internacionales firmadas al año por empresas del clúster al final del periodo.",
                    indicators: &[DemoIndicator {
                        name: "Coproducciones internacionales firmadas por socios",
                        unit: "proyectos",
                        higher_is_better: true,
                        baseline: 3.0,
                        targets: [4.0, 6.0, 8.0, 10.0],
                        measurements: &[
                            DemoMeasurement {
                                date: "2024-12-31",
                                value: 5.0,
                                source: "Memoria anual 2024",
                            },
                            DemoMeasurement {
                                date: "2025-12-31",
                                value: 6.0,
                                source: "Memoria anual 2025",
                            },
                        ],
                    }],
                    actions: &[
                        DemoAction {
                            code: "E1.2.1.1",
                            title: "Guía práctica de coproducción con Europa e Iberoamérica",
                            description: "Manual sobre tratados de coproducción, Eurimages, Ibermedia y fiscalidad, redactado con la asesoría jurídica de los socios.",
                            start: "2024-02-01",
                            end: "2024-09-30",
                            status: "completed",
                            progress: 100,
                            weight: 1,
                            budget_cents: 1_200_000,
                            participants: &[
                                "Producciones Barajas, S.L.",
                                "Producciones La Gavia, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E1.2.1.2",
                            title: "Foro de coproducción Madrid–Iberoamérica en el marco del FICCH",
                            description: "Sesiones de pitching y reuniones entre productoras madrileñas y latinoamericanas durante el festival de Chamberí.",
                            start: "2025-01-15",
                            end: "2026-06-30",
                            status: "delayed",
                            progress: 70,
                            weight: 2,
                            budget_cents: 7_500_000,
                            participants: &[
                                "Festival Internacional de Cine de Chamberí",
                                "Ayuntamiento de Madrid",
                                "Producciones Barajas, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E1.2.1.3",
                            title: "Servicio de asesoramiento sobre incentivos fiscales para producciones extranjeras",
                            description: "Punto de información para productores extranjeros sobre la deducción por producciones internacionales y los servicios de los socios.",
                            start: "2025-03-01",
                            end: "2027-06-30",
                            status: "in_progress",
                            progress: 55,
                            weight: 2,
                            budget_cents: 2_400_000,
                            participants: &[
                                "Producciones Barajas, S.L.",
                                "Estudios Manzanares Audiovisual, S.A.",
                            ],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E1.3",
                title: "Exportación y distribución internacional",
                description: "Venta de catálogo, doblaje y adaptación de las obras de los socios para plataformas y salas de otros países.",
                weight: 2,
                objective: DemoObjective {
                    code: "E1.3.1",
                    title: "Aumentar las ventas internacionales del catálogo de los socios",
                    description: "Crecer en ingresos por ventas al exterior y en número de países de destino de las obras producidas o distribuidas por socios.",
                    indicators: &[
                        DemoIndicator {
                            name: "Ventas internacionales de catálogo de los socios",
                            unit: "€",
                            higher_is_better: true,
                            baseline: 2_400_000.0,
                            targets: [2_600_000.0, 3_000_000.0, 3_400_000.0, 3_900_000.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 2_750_000.0,
                                    source: "Encuesta a socios 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 3_050_000.0,
                                    source: "Encuesta a socios 2025",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Países de destino de las ventas de catálogo",
                            unit: "países",
                            higher_is_better: true,
                            baseline: 14.0,
                            targets: [16.0, 19.0, 22.0, 25.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 17.0,
                                    source: "Encuesta a socios 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 20.0,
                                    source: "Encuesta a socios 2025",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E1.3.1.1",
                            title: "Catálogo digital bilingüe de obras y servicios de los socios",
                            description: "Escaparate en español e inglés con fichas de películas, series, videojuegos y servicios técnicos para compradores extranjeros.",
                            start: "2024-04-01",
                            end: "2024-12-20",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 1_800_000,
                            participants: &[
                                "Distribución Digital Argüelles, S.L.",
                                "Distribuidora Cibeles Cinema, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E1.3.1.2",
                            title: "Programa de doblaje y subtitulado para la exportación",
                            description: "Ayuda a la versión en otros idiomas de obras de socios seleccionadas, con estudios de doblaje y accesibilidad del clúster.",
                            start: "2025-01-01",
                            end: "2026-12-31",
                            status: "in_progress",
                            progress: 80,
                            weight: 2,
                            budget_cents: 9_000_000,
                            participants: &[
                                "Doblaje Embajadores, S.A.",
                                "Subtítulos y Accesibilidad Vallecas, S.L.",
                                "Distribución Digital Argüelles, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E1.3.1.3",
                            title: "Misión inversa de compradores y plataformas internacionales",
                            description: "Visita a Madrid de programadores y responsables de adquisiciones de plataformas para conocer el catálogo de los socios.",
                            start: "2027-03-01",
                            end: "2027-10-31",
                            status: "not_started",
                            progress: 0,
                            weight: 2,
                            budget_cents: 6_000_000,
                            participants: &[
                                "Distribuidora Cibeles Cinema, S.L.",
                                "Ayuntamiento de Madrid",
                            ],
                        },
                    ],
                },
            },
        ],
    },
    DemoAxis {
        code: "E2",
        title: "Talento y formación",
        description: "Formar, atraer y retener el talento que necesita la industria audiovisual madrileña, desde las aulas hasta el primer contrato y a lo largo de toda la carrera.",
        weight: 15,
        areas: &[
            DemoArea {
                code: "E2.1",
                title: "Formación continua y recualificación profesional",
                description: "Programas cortos y especializados para que los profesionales de los socios se adapten a las nuevas técnicas y formas de producir.",
                weight: 3,
                objective: DemoObjective {
                    code: "E2.1.1",
                    title: "Actualizar las competencias de los profesionales de las empresas socias",
                    description: "Formar cada año a más profesionales del clúster en producción virtual, gestión de producción e inteligencia artificial.",
                    indicators: &[
                        DemoIndicator {
                            name: "Profesionales formados en los programas del clúster",
                            unit: "personas",
                            higher_is_better: true,
                            baseline: 120.0,
                            targets: [180.0, 260.0, 340.0, 420.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 195.0,
                                    source: "Memoria anual 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 272.0,
                                    source: "Memoria anual 2025",
                                },
                                DemoMeasurement {
                                    date: "2026-06-30",
                                    value: 318.0,
                                    source: "Registro de asistencia a la formación, junio 2026",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Satisfacción media de los asistentes con la formación",
                            unit: "%",
                            higher_is_better: true,
                            baseline: 78.0,
                            targets: [80.0, 82.0, 84.0, 86.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 81.0,
                                    source: "Encuestas de satisfacción 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 83.5,
                                    source: "Encuestas de satisfacción 2025",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E2.1.1.1",
                            title: "Curso de gestión de producción y presupuestos para plataformas",
                            description: "Formación para jefes de producción sobre los requisitos de presupuesto, reporting y entregables de las plataformas de streaming.",
                            start: "2024-02-05",
                            end: "2024-07-15",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 1_500_000,
                            participants: &[
                                "Escuela de Cine de Madrid, S.L.",
                                "Software de Producción Chamartín, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E2.1.1.2",
                            title: "Itinerario formativo en producción virtual y volumen LED",
                            description: "Módulos prácticos sobre motores en tiempo real, seguimiento de cámara y pantallas LED impartidos en instalaciones de los socios.",
                            start: "2024-09-01",
                            end: "2025-06-30",
                            status: "completed",
                            progress: 100,
                            weight: 3,
                            budget_cents: 4_200_000,
                            participants: &[
                                "Universidad Politécnica del Audiovisual",
                                "Centro Tecnológico de la Imagen",
                                "Píxel Castellana VFX, S.L.",
                                "Academia de Efectos Especiales de Madrid, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E2.1.1.3",
                            title: "Programa de formación en inteligencia artificial aplicada al audiovisual",
                            description: "Talleres sobre herramientas de IA para guion, montaje, doblaje y VFX, con especial atención a los derechos de autor y la ética.",
                            start: "2025-09-15",
                            end: "2026-12-31",
                            status: "in_progress",
                            progress: 75,
                            weight: 2,
                            budget_cents: 3_600_000,
                            participants: &[
                                "Centro Tecnológico de la Imagen",
                                "Universidad Politécnica del Audiovisual",
                                "Escuela de Cine de Madrid, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E2.1.1.4",
                            title: "Cátedra de efectos especiales, maquillaje y prótesis",
                            description: "Programa anual de especialización en efectos físicos y caracterización para técnicos en activo y recién titulados.",
                            start: "2027-01-15",
                            end: "2027-12-15",
                            status: "not_started",
                            progress: 0,
                            weight: 1,
                            budget_cents: 2_800_000,
                            participants: &[
                                "Academia de Efectos Especiales de Madrid, S.L.",
                                "Escuela de Cine de Madrid, S.L.",
                            ],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E2.2",
                title: "Relevo generacional y empleo joven",
                description: "Puentes entre universidades, escuelas y empresas para que los jóvenes titulados encuentren su primer empleo en el sector.",
                weight: 2,
                objective: DemoObjective {
                    code: "E2.2.1",
                    title: "Facilitar la incorporación de jóvenes titulados a las empresas del clúster",
                    description: "Multiplicar las prácticas y los primeros contratos de menores de treinta años en productoras, estudios y empresas de servicios socias.",
                    indicators: &[DemoIndicator {
                        name: "Prácticas y contratos de jóvenes en empresas socias",
                        unit: "personas",
                        higher_is_better: true,
                        baseline: 25.0,
                        targets: [35.0, 45.0, 55.0, 65.0],
                        measurements: &[
                            DemoMeasurement {
                                date: "2024-12-31",
                                value: 38.0,
                                source: "Memoria anual 2024",
                            },
                            DemoMeasurement {
                                date: "2025-12-31",
                                value: 44.0,
                                source: "Memoria anual 2025",
                            },
                        ],
                    }],
                    actions: &[
                        DemoAction {
                            code: "E2.2.1.1",
                            title: "Bolsa de empleo y portal de talento del clúster",
                            description: "Portal web donde los socios publican ofertas y las escuelas y universidades comparten los perfiles de sus titulados.",
                            start: "2024-03-01",
                            end: "2025-03-31",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 2_000_000,
                            participants: &[
                                "Universidad Politécnica del Audiovisual",
                                "Escuela de Cine de Madrid, S.L.",
                                "Agencia de Talento Salamanca, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E2.2.1.2",
                            title: "Programa de prácticas remuneradas en empresas socias",
                            description: "Convocatoria anual de prácticas de seis meses con tutor en la empresa y seguimiento académico por parte del centro de origen.",
                            start: "2024-09-01",
                            end: "2027-07-31",
                            status: "in_progress",
                            progress: 60,
                            weight: 3,
                            budget_cents: 12_000_000,
                            participants: &[
                                "Universidad Politécnica del Audiovisual",
                                "Escuela de Cine de Madrid, S.L.",
                                "Jóvenes Creadores Audiovisuales",
                            ],
                        },
                        DemoAction {
                            code: "E2.2.1.3",
                            title: "Jornada «Primer Rodaje» entre escuelas y productoras",
                            description: "Encuentro anual en el que estudiantes y jóvenes creadores presentan sus cortometrajes y portfolios a las empresas del clúster.",
                            start: "2025-04-01",
                            end: "2025-06-30",
                            status: "completed",
                            progress: 100,
                            weight: 1,
                            budget_cents: 600_000,
                            participants: &[
                                "Jóvenes Creadores Audiovisuales",
                                "Escuela de Cine de Madrid, S.L.",
                                "Casting Gran Vía, S.L.",
                            ],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E2.3",
                title: "Igualdad, diversidad e inclusión",
                description: "Medidas para que los equipos técnicos y artísticos del sector reflejen la diversidad de la sociedad madrileña.",
                weight: 1,
                objective: DemoObjective {
                    code: "E2.3.1",
                    title: "Aumentar la presencia de mujeres en puestos técnicos y de dirección",
                    description: "Elevar del 28 % al 40 % la proporción de mujeres en las jefaturas de equipo de las producciones de los socios.",
                    indicators: &[DemoIndicator {
                        name: "Mujeres en jefaturas de equipo en producciones de socios",
                        unit: "%",
                        higher_is_better: true,
                        baseline: 28.0,
                        targets: [30.0, 33.0, 36.0, 40.0],
                        measurements: &[
                            DemoMeasurement {
                                date: "2024-12-31",
                                value: 30.5,
                                source: "Encuesta a socios 2024",
                            },
                            DemoMeasurement {
                                date: "2025-12-31",
                                value: 33.0,
                                source: "Encuesta a socios 2025",
                            },
                        ],
                    }],
                    actions: &[
                        DemoAction {
                            code: "E2.3.1.1",
                            title: "Programa de mentoría para directoras y jefas de equipo técnico",
                            description: "Emparejamiento de profesionales emergentes con mentoras veteranas de dirección, fotografía, sonido y producción.",
                            start: "2024-10-01",
                            end: "2026-06-30",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 2_500_000,
                            participants: &[
                                "Escuela de Cine de Madrid, S.L.",
                                "Agencia de Talento Salamanca, S.L.",
                                "Series Moncloa, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E2.3.1.2",
                            title: "Protocolo común de igualdad y prevención del acoso en rodajes",
                            description: "Modelo de protocolo, canal de denuncia y formación para equipos, adaptable por cada socio a su propia producción.",
                            start: "2025-01-15",
                            end: "2025-09-30",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 800_000,
                            participants: &[
                                "Producciones La Gavia, S.L.",
                                "Estudios Manzanares Audiovisual, S.A.",
                            ],
                        },
                        DemoAction {
                            code: "E2.3.1.3",
                            title: "Guía de accesibilidad audiovisual para creadores",
                            description: "Recomendaciones para incorporar subtitulado, audiodescripción y lengua de signos desde el guion y no solo en la posproducción.",
                            start: "2026-03-01",
                            end: "2027-03-31",
                            status: "in_progress",
                            progress: 40,
                            weight: 1,
                            budget_cents: 900_000,
                            participants: &[
                                "Subtítulos y Accesibilidad Vallecas, S.L.",
                                "Universidad Politécnica del Audiovisual",
                            ],
                        },
                    ],
                },
            },
        ],
    },
    DemoAxis {
        code: "E3",
        title: "Innovación y tecnología",
        description: "Acelerar la adopción de la producción virtual, la inteligencia artificial y las tecnologías inmersivas con proyectos de I+D+i entre empresas, universidad y centro tecnológico.",
        weight: 15,
        areas: &[
            DemoArea {
                code: "E3.1",
                title: "Producción virtual, inteligencia artificial y tecnologías inmersivas",
                description: "Proyectos demostradores y equipamiento compartido para probar las nuevas tecnologías de producción antes de invertir en ellas.",
                weight: 3,
                objective: DemoObjective {
                    code: "E3.1.1",
                    title: "Impulsar la adopción de la producción virtual y la inteligencia artificial en los socios",
                    description: "Aumentar el número de socios que usan producción virtual y el de proyectos colaborativos de I+D+i en marcha.",
                    indicators: &[
                        DemoIndicator {
                            name: "Proyectos colaborativos de I+D+i en marcha",
                            unit: "proyectos",
                            higher_is_better: true,
                            baseline: 2.0,
                            targets: [3.0, 5.0, 7.0, 9.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 3.0,
                                    source: "Memoria anual 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 5.0,
                                    source: "Memoria anual 2025",
                                },
                                DemoMeasurement {
                                    date: "2026-06-30",
                                    value: 6.0,
                                    source: "Informe de seguimiento del plan, primer semestre 2026",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Socios que utilizan producción virtual en sus proyectos",
                            unit: "empresas",
                            higher_is_better: true,
                            baseline: 4.0,
                            targets: [6.0, 9.0, 12.0, 15.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 6.0,
                                    source: "Encuesta a socios 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 8.0,
                                    source: "Encuesta a socios 2025",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E3.1.1.1",
                            title: "Demostrador de sonido inmersivo y mezcla Dolby Atmos",
                            description: "Sala de pruebas abierta a los socios para experimentar con audio inmersivo en cine, series y videojuegos.",
                            start: "2024-03-01",
                            end: "2024-12-31",
                            status: "completed",
                            progress: 100,
                            weight: 1,
                            budget_cents: 3_500_000,
                            participants: &[
                                "Sonido Arganzuela, S.L.",
                                "Centro Tecnológico de la Imagen",
                            ],
                        },
                        DemoAction {
                            code: "E3.1.1.2",
                            title: "Laboratorio compartido de producción virtual con volumen LED",
                            description: "Plató de pruebas con pantalla LED y motor en tiempo real que los socios reservan por días para preproducción y rodajes cortos.",
                            start: "2024-06-01",
                            end: "2026-12-31",
                            status: "in_progress",
                            progress: 85,
                            weight: 3,
                            budget_cents: 15_000_000,
                            participants: &[
                                "Centro Tecnológico de la Imagen",
                                "Píxel Castellana VFX, S.L.",
                                "Estudios Manzanares Audiovisual, S.A.",
                            ],
                        },
                        DemoAction {
                            code: "E3.1.1.3",
                            title: "Proyecto de I+D sobre inteligencia artificial generativa para la previsualización",
                            description: "Desarrollo de un prototipo que genera animáticas y previsualizaciones a partir del guion técnico, con datos propios de los socios.",
                            start: "2025-02-01",
                            end: "2026-09-30",
                            status: "delayed",
                            progress: 65,
                            weight: 2,
                            budget_cents: 11_000_000,
                            participants: &[
                                "Centro Tecnológico de la Imagen",
                                "Píxel Castellana VFX, S.L.",
                                "Realidad Virtual Usera, S.L.",
                                "Universidad Politécnica del Audiovisual",
                            ],
                        },
                        DemoAction {
                            code: "E3.1.1.4",
                            title: "Piloto de gemelo digital de platós y localizaciones",
                            description: "Modelos 3D de platós y localizaciones para planificar rodajes, iluminación y logística antes de desplazar al equipo.",
                            start: "2027-02-01",
                            end: "2027-12-31",
                            status: "not_started",
                            progress: 0,
                            weight: 2,
                            budget_cents: 7_000_000,
                            participants: &[
                                "Estudios Manzanares Audiovisual, S.A.",
                                "Software de Producción Chamartín, S.L.",
                                "Localizaciones Sierra Norte, S.L.",
                            ],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E3.2",
                title: "Transferencia de conocimiento, animación y videojuego",
                description: "Conexión entre la investigación de la universidad y el centro tecnológico y las necesidades de estudios de animación y videojuegos.",
                weight: 2,
                objective: DemoObjective {
                    code: "E3.2.1",
                    title: "Acelerar la transferencia de conocimiento entre centros de investigación y empresas",
                    description: "Convertir resultados de investigación en contratos y proyectos concretos con pymes del clúster.",
                    indicators: &[DemoIndicator {
                        name: "Contratos de transferencia entre centros de conocimiento y empresas socias",
                        unit: "proyectos",
                        higher_is_better: true,
                        baseline: 3.0,
                        targets: [4.0, 6.0, 8.0, 10.0],
                        measurements: &[
                            DemoMeasurement {
                                date: "2024-12-31",
                                value: 4.0,
                                source: "Memoria anual 2024",
                            },
                            DemoMeasurement {
                                date: "2025-12-31",
                                value: 7.0,
                                source: "Memoria anual 2025",
                            },
                        ],
                    }],
                    actions: &[
                        DemoAction {
                            code: "E3.2.1.1",
                            title: "Estudio de viabilidad de una plataforma de distribución basada en blockchain",
                            description: "Análisis de una plataforma propia de gestión de derechos en cadena de bloques, abandonado por falta de interés de los socios.",
                            start: "2024-04-01",
                            end: "2025-03-31",
                            status: "cancelled",
                            progress: 10,
                            weight: 1,
                            budget_cents: 0,
                            participants: &[
                                "Distribución Digital Argüelles, S.L.",
                                "Centro Tecnológico de la Imagen",
                            ],
                        },
                        DemoAction {
                            code: "E3.2.1.2",
                            title: "Vales de innovación para pymes socias",
                            description: "Convocatoria interna que financia pequeños encargos de las pymes a la universidad y al centro tecnológico.",
                            start: "2024-05-01",
                            end: "2025-12-31",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 8_000_000,
                            participants: &[
                                "Universidad Politécnica del Audiovisual",
                                "Centro Tecnológico de la Imagen",
                            ],
                        },
                        DemoAction {
                            code: "E3.2.1.3",
                            title: "Hackathon de videojuegos y animación en tiempo real",
                            description: "Cuarenta y ocho horas de desarrollo en equipos mixtos de estudiantes y profesionales sobre retos propuestos por los estudios socios.",
                            start: "2025-10-01",
                            end: "2025-11-30",
                            status: "completed",
                            progress: 100,
                            weight: 1,
                            budget_cents: 1_400_000,
                            participants: &[
                                "Dehesa Games, S.L.",
                                "Videojuegos Alcorcón, S.L.",
                                "Ñu Animation Studio, S.L.",
                                "Universidad Politécnica del Audiovisual",
                            ],
                        },
                    ],
                },
            },
        ],
    },
    DemoAxis {
        code: "E4",
        title: "Madrid como plató: localizaciones de rodaje y promoción de Madrid",
        description: "Hacer de Madrid y su región un destino de rodaje ágil y atractivo, con permisos sencillos, un catálogo de localizaciones vivo y una promoción internacional coordinada con el Ayuntamiento.",
        weight: 14,
        areas: &[
            DemoArea {
                code: "E4.1",
                title: "Localizaciones y facilitación de rodajes",
                description: "Trámites, información y convivencia vecinal para que rodar en las calles de Madrid y en su sierra sea sencillo y previsible.",
                weight: 3,
                objective: DemoObjective {
                    code: "E4.1.1",
                    title: "Simplificar y agilizar los rodajes en la ciudad y la región",
                    description: "Reducir a la mitad el plazo de los permisos de rodaje y aumentar el número de rodajes atendidos cada año.",
                    indicators: &[
                        DemoIndicator {
                            name: "Tiempo medio de tramitación de permisos de rodaje",
                            unit: "días",
                            higher_is_better: false,
                            baseline: 15.0,
                            targets: [13.0, 11.0, 9.0, 7.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 12.5,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 10.0,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                                DemoMeasurement {
                                    date: "2026-06-30",
                                    value: 9.5,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Rodajes atendidos en la ciudad de Madrid",
                            unit: "rodajes",
                            higher_is_better: true,
                            baseline: 1_100.0,
                            targets: [1_200.0, 1_300.0, 1_400.0, 1_500.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 1_245.0,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 1_318.0,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E4.1.1.1",
                            title: "Ventanilla única de permisos de rodaje con la Madrid Film Office",
                            description: "Formulario único y tramitación coordinada de permisos de vía pública, parques y edificios municipales.",
                            start: "2024-01-15",
                            end: "2025-06-30",
                            status: "completed",
                            progress: 100,
                            weight: 3,
                            budget_cents: 0,
                            participants: &[
                                "Ayuntamiento de Madrid",
                                "Localizaciones Sierra Norte, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E4.1.1.2",
                            title: "Base de datos de localizaciones de la Comunidad de Madrid",
                            description: "Inventario georreferenciado con fotografías, accesos y contactos de localizaciones urbanas y naturales de la región.",
                            start: "2024-04-01",
                            end: "2026-12-31",
                            status: "in_progress",
                            progress: 70,
                            weight: 2,
                            budget_cents: 5_000_000,
                            participants: &[
                                "Localizaciones Sierra Norte, S.L.",
                                "Fotografía de Rodaje Vallehermoso, S.L.",
                                "Ayuntamiento de Madrid",
                            ],
                        },
                        DemoAction {
                            code: "E4.1.1.3",
                            title: "Código de buenas prácticas de convivencia vecinal en rodajes",
                            description: "Compromisos de los equipos sobre ruido, aparcamiento, horarios e información a comerciantes y vecinos afectados.",
                            start: "2025-02-01",
                            end: "2025-07-31",
                            status: "completed",
                            progress: 100,
                            weight: 1,
                            budget_cents: 300_000,
                            participants: &[
                                "Ayuntamiento de Madrid",
                                "Publicidad Chueca Films, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E4.1.1.4",
                            title: "Red de localizaciones en municipios de la Sierra Norte",
                            description: "Acuerdos con ayuntamientos de la sierra para ofrecer localizaciones rurales con un procedimiento de autorización homogéneo.",
                            start: "2025-09-01",
                            end: "2026-09-30",
                            status: "delayed",
                            progress: 55,
                            weight: 2,
                            budget_cents: 2_200_000,
                            participants: &["Localizaciones Sierra Norte, S.L."],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E4.2",
                title: "Promoción de Madrid como destino de rodajes",
                description: "Acciones de marketing territorial para atraer rodajes nacionales e internacionales y el gasto que generan en la ciudad.",
                weight: 2,
                objective: DemoObjective {
                    code: "E4.2.1",
                    title: "Posicionar Madrid como destino de rodajes internacionales",
                    description: "Atraer más producciones extranjeras y aumentar su gasto en proveedores madrileños.",
                    indicators: &[
                        DemoIndicator {
                            name: "Producciones internacionales rodadas en Madrid",
                            unit: "rodajes",
                            higher_is_better: true,
                            baseline: 40.0,
                            targets: [45.0, 52.0, 60.0, 68.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 47.0,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 51.0,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Gasto de producciones internacionales en Madrid",
                            unit: "€",
                            higher_is_better: true,
                            baseline: 85_000_000.0,
                            targets: [90_000_000.0, 98_000_000.0, 106_000_000.0, 115_000_000.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 91_500_000.0,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 97_200_000.0,
                                    source: "Oficina de Rodajes (Madrid Film Office)",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E4.2.1.1",
                            title: "Campaña «Madrid, ciudad de cine» en festivales y mercados",
                            description: "Materiales promocionales, vídeo de localizaciones y presencia institucional en los principales eventos del sector.",
                            start: "2024-05-01",
                            end: "2026-12-31",
                            status: "in_progress",
                            progress: 80,
                            weight: 3,
                            budget_cents: 12_500_000,
                            participants: &[
                                "Ayuntamiento de Madrid",
                                "Festival Internacional de Cine de Chamberí",
                                "Publicidad Chueca Films, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E4.2.1.2",
                            title: "Viajes de familiarización para productores y jefes de localizaciones extranjeros",
                            description: "Visitas guiadas a localizaciones, platós y proveedores de Madrid para productores de Europa, Estados Unidos y Asia.",
                            start: "2024-10-01",
                            end: "2025-10-31",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 4_500_000,
                            participants: &[
                                "Ayuntamiento de Madrid",
                                "Localizaciones Sierra Norte, S.L.",
                                "Producciones Barajas, S.L.",
                                "Estudios Manzanares Audiovisual, S.A.",
                            ],
                        },
                        DemoAction {
                            code: "E4.2.1.3",
                            title: "Ruta de cine y series rodadas en Madrid",
                            description: "Itinerario turístico y aplicación móvil con escenas célebres rodadas en la ciudad, en colaboración con salas y filmotecas.",
                            start: "2027-01-15",
                            end: "2027-09-30",
                            status: "not_started",
                            progress: 0,
                            weight: 1,
                            budget_cents: 3_000_000,
                            participants: &[
                                "Ayuntamiento de Madrid",
                                "Cinemateca Alcalá, S.L.",
                                "Cines Malasaña, S.L.",
                            ],
                        },
                    ],
                },
            },
        ],
    },
    DemoAxis {
        code: "E5",
        title: "Sostenibilidad: rodaje sostenible y huella de carbono",
        description: "Reducir el impacto ambiental de la actividad audiovisual midiendo la huella de carbono, extendiendo el rodaje sostenible y mejorando la eficiencia energética de las instalaciones.",
        weight: 13,
        areas: &[
            DemoArea {
                code: "E5.1",
                title: "Rodaje sostenible",
                description: "Buenas prácticas, certificación y recursos compartidos para rodar con menos residuos, menos emisiones y menos consumo.",
                weight: 3,
                objective: DemoObjective {
                    code: "E5.1.1",
                    title: "Extender las prácticas de rodaje sostenible entre los socios",
                    description: "Multiplicar por cinco las producciones de socios que obtienen una certificación reconocida de rodaje sostenible.",
                    indicators: &[DemoIndicator {
                        name: "Producciones de socios con certificación de rodaje sostenible",
                        unit: "rodajes",
                        higher_is_better: true,
                        baseline: 5.0,
                        targets: [8.0, 12.0, 18.0, 25.0],
                        measurements: &[
                            DemoMeasurement {
                                date: "2024-12-31",
                                value: 9.0,
                                source: "Memoria anual 2024",
                            },
                            DemoMeasurement {
                                date: "2025-12-31",
                                value: 13.0,
                                source: "Memoria anual 2025",
                            },
                            DemoMeasurement {
                                date: "2026-06-30",
                                value: 15.0,
                                source: "Informe de seguimiento del plan, primer semestre 2026",
                            },
                        ],
                    }],
                    actions: &[
                        DemoAction {
                            code: "E5.1.1.1",
                            title: "Guía de rodaje sostenible del clúster",
                            description: "Documento práctico sobre catering sin plásticos, movilidad del equipo, gestión de residuos y reutilización de decorados.",
                            start: "2024-02-01",
                            end: "2024-10-31",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 900_000,
                            participants: &[
                                "Producciones La Gavia, S.L.",
                                "Estudios Manzanares Audiovisual, S.A.",
                                "Alquiler de Equipos Prosperidad, S.A.",
                            ],
                        },
                        DemoAction {
                            code: "E5.1.1.2",
                            title: "Formación y certificación de coordinadores de sostenibilidad",
                            description: "Curso para formar eco-coordinadores que supervisen el plan ambiental de cada producción desde la preproducción.",
                            start: "2025-01-15",
                            end: "2025-12-15",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 2_200_000,
                            participants: &[
                                "Escuela de Cine de Madrid, S.L.",
                                "Universidad Politécnica del Audiovisual",
                            ],
                        },
                        DemoAction {
                            code: "E5.1.1.3",
                            title: "Banco compartido de materiales de decorado reutilizables",
                            description: "Almacén común donde los socios depositan y recogen madera, atrezo y elementos de decorado para su reutilización.",
                            start: "2025-04-01",
                            end: "2027-06-30",
                            status: "in_progress",
                            progress: 45,
                            weight: 2,
                            budget_cents: 6_800_000,
                            participants: &[
                                "Estudios Manzanares Audiovisual, S.A.",
                                "Alquiler de Equipos Prosperidad, S.A.",
                                "Producciones La Gavia, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E5.1.1.4",
                            title: "Sustitución de grupos electrógenos por baterías y conexión a red",
                            description: "Flota compartida de baterías y puntos de conexión eléctrica en localizaciones habituales para eliminar el diésel en rodaje.",
                            start: "2026-01-15",
                            end: "2027-12-31",
                            status: "in_progress",
                            progress: 30,
                            weight: 3,
                            budget_cents: 14_000_000,
                            participants: &[
                                "Alquiler de Equipos Prosperidad, S.A.",
                                "Ayuntamiento de Madrid",
                                "Estudios Manzanares Audiovisual, S.A.",
                            ],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E5.2",
                title: "Huella de carbono",
                description: "Medición homogénea y reducción de las emisiones de gases de efecto invernadero de las producciones y de las empresas socias.",
                weight: 2,
                objective: DemoObjective {
                    code: "E5.2.1",
                    title: "Reducir la huella de carbono de las producciones de los socios",
                    description: "Bajar las emisiones medias por día de rodaje y lograr que la mayoría de los socios calcule su huella cada año.",
                    indicators: &[
                        DemoIndicator {
                            name: "Huella de carbono media por día de rodaje",
                            unit: "t CO2e",
                            higher_is_better: false,
                            baseline: 4.8,
                            targets: [4.5, 4.1, 3.7, 3.3],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 4.6,
                                    source: "Informe de huella de carbono 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 4.2,
                                    source: "Informe de huella de carbono 2025",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Socios que calculan su huella de carbono",
                            unit: "empresas",
                            higher_is_better: true,
                            baseline: 3.0,
                            targets: [6.0, 10.0, 14.0, 18.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 7.0,
                                    source: "Encuesta a socios 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 11.0,
                                    source: "Encuesta a socios 2025",
                                },
                                DemoMeasurement {
                                    date: "2026-06-30",
                                    value: 12.0,
                                    source: "Encuesta a socios, primer semestre 2026",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E5.2.1.1",
                            title: "Calculadora común de huella de carbono para producciones",
                            description: "Herramienta en línea, adaptada a los estándares europeos, que estima las emisiones de una producción a partir de su plan de rodaje.",
                            start: "2024-03-01",
                            end: "2025-02-28",
                            status: "completed",
                            progress: 100,
                            weight: 3,
                            budget_cents: 5_200_000,
                            participants: &[
                                "Centro Tecnológico de la Imagen",
                                "Software de Producción Chamartín, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E5.2.1.2",
                            title: "Informe anual de huella de carbono del audiovisual madrileño",
                            description: "Recogida de datos de los socios y publicación de un informe sectorial con la evolución de las emisiones y buenas prácticas.",
                            start: "2025-01-01",
                            end: "2027-03-31",
                            status: "in_progress",
                            progress: 60,
                            weight: 2,
                            budget_cents: 1_800_000,
                            participants: &[
                                "Centro Tecnológico de la Imagen",
                                "Universidad Politécnica del Audiovisual",
                            ],
                        },
                        DemoAction {
                            code: "E5.2.1.3",
                            title: "Plan sectorial de reducción y compensación de emisiones",
                            description: "Hoja de ruta hacia 2030 con objetivos por tipo de empresa y proyectos de compensación certificados en la región.",
                            start: "2027-01-15",
                            end: "2027-12-31",
                            status: "not_started",
                            progress: 0,
                            weight: 2,
                            budget_cents: 2_500_000,
                            participants: &[
                                "Ayuntamiento de Madrid",
                                "Centro Tecnológico de la Imagen",
                            ],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E5.3",
                title: "Eficiencia energética de platós y salas",
                description: "Ahorro de energía y uso de renovables en las instalaciones fijas de los socios: platós, salas de posproducción y cines.",
                weight: 2,
                objective: DemoObjective {
                    code: "E5.3.1",
                    title: "Reducir el consumo energético de las instalaciones de los socios",
                    description: "Disminuir el consumo eléctrico de platós y salas y elevar la parte cubierta con energía de origen renovable.",
                    indicators: &[
                        DemoIndicator {
                            name: "Consumo eléctrico anual de platós y salas de socios",
                            unit: "MWh",
                            higher_is_better: false,
                            baseline: 2_400.0,
                            targets: [2_350.0, 2_200.0, 2_050.0, 1_900.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 2_330.0,
                                    source: "Auditorías energéticas 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 2_180.0,
                                    source: "Facturas de suministro recopiladas por el clúster, 2025",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Energía consumida de origen renovable certificado",
                            unit: "%",
                            higher_is_better: true,
                            baseline: 22.0,
                            targets: [28.0, 40.0, 55.0, 70.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 27.0,
                                    source: "Encuesta a socios 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 41.0,
                                    source: "Encuesta a socios 2025",
                                },
                                DemoMeasurement {
                                    date: "2026-06-30",
                                    value: 48.0,
                                    source: "Encuesta a socios, primer semestre 2026",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E5.3.1.1",
                            title: "Auditorías energéticas de platós, salas de posproducción y cines",
                            description: "Diagnóstico subvencionado del consumo de cada instalación con un plan de medidas priorizado por ahorro y coste.",
                            start: "2024-06-01",
                            end: "2025-03-31",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 3_800_000,
                            participants: &[
                                "Estudios Manzanares Audiovisual, S.A.",
                                "Cines Malasaña, S.L.",
                                "Cinemateca Alcalá, S.L.",
                                "Retiro Post, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E5.3.1.2",
                            title: "Renovación de la iluminación de platós con tecnología LED",
                            description: "Sustitución coordinada de focos de tungsteno y descarga por equipos LED, con compra conjunta y asesoramiento técnico.",
                            start: "2025-01-15",
                            end: "2026-03-31",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 7_200_000,
                            participants: &[
                                "Estudios Manzanares Audiovisual, S.A.",
                                "Alquiler de Equipos Prosperidad, S.A.",
                            ],
                        },
                        DemoAction {
                            code: "E5.3.1.3",
                            title: "Compra agregada de electricidad renovable para los socios",
                            description: "Licitación conjunta de un contrato de suministro con garantía de origen renovable abierto a todos los socios interesados.",
                            start: "2025-06-01",
                            end: "2026-12-31",
                            status: "in_progress",
                            progress: 50,
                            weight: 1,
                            budget_cents: 400_000,
                            participants: &[
                                "Estudios Manzanares Audiovisual, S.A.",
                                "Retiro Post, S.L.",
                                "Sonido Arganzuela, S.L.",
                            ],
                        },
                    ],
                },
            },
        ],
    },
    DemoAxis {
        code: "E6",
        title: "Cooperación entre socios: proyectos colaborativos y servicios compartidos",
        description: "Convertir la diversidad de la cadena de valor del clúster en proyectos conjuntos y en servicios comunes que ahorren costes y generen negocio entre socios.",
        weight: 13,
        areas: &[
            DemoArea {
                code: "E6.1",
                title: "Proyectos colaborativos",
                description: "Espacios de encuentro e instrumentos para que socios de distintos eslabones de la cadena de valor trabajen juntos.",
                weight: 3,
                objective: DemoObjective {
                    code: "E6.1.1",
                    title: "Multiplicar los proyectos desarrollados en colaboración entre socios",
                    description: "Que al final del plan más de la mitad de los socios participe en al menos un proyecto colaborativo del clúster.",
                    indicators: &[
                        DemoIndicator {
                            name: "Proyectos colaborativos entre socios",
                            unit: "proyectos",
                            higher_is_better: true,
                            baseline: 4.0,
                            targets: [6.0, 9.0, 12.0, 15.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 7.0,
                                    source: "Memoria anual 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 10.0,
                                    source: "Memoria anual 2025",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Socios que participan en al menos un proyecto colaborativo",
                            unit: "%",
                            higher_is_better: true,
                            baseline: 30.0,
                            targets: [38.0, 45.0, 52.0, 60.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 36.0,
                                    source: "Encuesta a socios 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 47.0,
                                    source: "Encuesta a socios 2025",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E6.1.1.1",
                            title: "Mapa de capacidades y catálogo interno de servicios de los socios",
                            description: "Inventario de equipos, instalaciones, perfiles profesionales y servicios de cada socio para facilitar la contratación entre empresas.",
                            start: "2024-02-01",
                            end: "2024-06-30",
                            status: "completed",
                            progress: 100,
                            weight: 1,
                            budget_cents: 700_000,
                            participants: &[],
                        },
                        DemoAction {
                            code: "E6.1.1.2",
                            title: "Convocatoria de proyectos tractores del clúster",
                            description: "Selección y acompañamiento de proyectos de gran alcance liderados por consorcios de al menos tres socios.",
                            start: "2024-09-01",
                            end: "2025-06-30",
                            status: "completed",
                            progress: 100,
                            weight: 3,
                            budget_cents: 3_000_000,
                            participants: &[
                                "Producciones La Gavia, S.L.",
                                "Píxel Castellana VFX, S.L.",
                                "Transmedia Pozuelo, S.L.",
                                "Universidad Politécnica del Audiovisual",
                            ],
                        },
                        DemoAction {
                            code: "E6.1.1.3",
                            title: "Encuentros trimestrales de networking entre socios",
                            description: "Desayunos temáticos y visitas a las instalaciones de los socios para presentar proyectos y necesidades de colaboración.",
                            start: "2024-01-15",
                            end: "2027-12-15",
                            status: "in_progress",
                            progress: 70,
                            weight: 2,
                            budget_cents: 1_600_000,
                            participants: &["Cines Malasaña, S.L.", "Cinemateca Alcalá, S.L."],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E6.2",
                title: "Servicios compartidos",
                description: "Servicios gestionados por el clúster que las pymes socias no podrían costear por separado.",
                weight: 2,
                objective: DemoObjective {
                    code: "E6.2.1",
                    title: "Ofrecer servicios compartidos que reduzcan los costes de los socios",
                    description: "Generar ahorros medibles para los socios mediante compras agregadas y servicios profesionales comunes.",
                    indicators: &[
                        DemoIndicator {
                            name: "Ahorro estimado de los socios por compras y servicios compartidos",
                            unit: "€",
                            higher_is_better: true,
                            baseline: 0.0,
                            targets: [50_000.0, 120_000.0, 200_000.0, 280_000.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 62_000.0,
                                    source: "Memoria anual 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 131_500.0,
                                    source: "Memoria anual 2025",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Socios usuarios de al menos un servicio compartido",
                            unit: "empresas",
                            higher_is_better: true,
                            baseline: 6.0,
                            targets: [10.0, 15.0, 20.0, 25.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 11.0,
                                    source: "Memoria anual 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 16.0,
                                    source: "Memoria anual 2025",
                                },
                                DemoMeasurement {
                                    date: "2026-06-30",
                                    value: 18.0,
                                    source: "Informe de seguimiento del plan, primer semestre 2026",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E6.2.1.1",
                            title: "Servicio de vigilancia de convocatorias y ayudas públicas",
                            description: "Boletín semanal con las convocatorias de ayudas estatales, autonómicas, municipales y europeas relevantes para los socios.",
                            start: "2024-03-01",
                            end: "2024-12-31",
                            status: "completed",
                            progress: 100,
                            weight: 1,
                            budget_cents: 0,
                            participants: &[],
                        },
                        DemoAction {
                            code: "E6.2.1.2",
                            title: "Central de compras de equipos, seguros y servicios de rodaje",
                            description: "Acuerdos marco con proveedores de alquiler de equipos, seguros de producción y transporte con precios negociados para socios.",
                            start: "2024-06-01",
                            end: "2025-05-31",
                            status: "completed",
                            progress: 100,
                            weight: 2,
                            budget_cents: 1_000_000,
                            participants: &[
                                "Alquiler de Equipos Prosperidad, S.A.",
                                "Producciones La Gavia, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E6.2.1.3",
                            title: "Plataforma compartida de software de gestión de producción",
                            description: "Licencias colectivas de software de planificación de rodajes, presupuestos y hojas de rodaje alojadas por un socio tecnológico.",
                            start: "2025-03-01",
                            end: "2026-05-31",
                            status: "delayed",
                            progress: 75,
                            weight: 2,
                            budget_cents: 4_000_000,
                            participants: &[
                                "Software de Producción Chamartín, S.L.",
                                "Series Moncloa, S.L.",
                                "Publicidad Chueca Films, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E6.2.1.4",
                            title: "Asesoría jurídica común en contratos y propiedad intelectual",
                            description: "Consultas y revisión de contratos de coproducción, cesión de derechos y licencias para socios con tarifas reducidas.",
                            start: "2025-01-15",
                            end: "2027-12-31",
                            status: "in_progress",
                            progress: 55,
                            weight: 2,
                            budget_cents: 5_400_000,
                            participants: &["Guiones del Sur, S.L.", "Documentales Tetuán, S.L."],
                        },
                    ],
                },
            },
        ],
    },
    DemoAxis {
        code: "E7",
        title: "Relaciones institucionales",
        description: "Representar al sector ante las administraciones públicas, mantener la inscripción en el Registro de AEI y tejer alianzas con otros clústeres y redes nacionales y europeas.",
        weight: 15,
        areas: &[
            DemoArea {
                code: "E7.1",
                title: "Relación con las administraciones públicas",
                description: "Interlocución estable con el Ayuntamiento, la Comunidad de Madrid y el Ministerio de Industria y Turismo en nombre del sector.",
                weight: 3,
                objective: DemoObjective {
                    code: "E7.1.1",
                    title: "Consolidar el clúster como interlocutor del sector ante las administraciones",
                    description: "Asegurar convenios plurianuales y financiación pública estable que respalden la ejecución del plan estratégico.",
                    indicators: &[
                        DemoIndicator {
                            name: "Convenios y acuerdos vigentes con administraciones públicas",
                            unit: "acuerdos",
                            higher_is_better: true,
                            baseline: 1.0,
                            targets: [2.0, 3.0, 4.0, 5.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 2.0,
                                    source: "Memoria anual 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 3.0,
                                    source: "Memoria anual 2025",
                                },
                            ],
                        },
                        DemoIndicator {
                            name: "Financiación pública captada por el clúster",
                            unit: "€",
                            higher_is_better: true,
                            baseline: 150_000.0,
                            targets: [200_000.0, 260_000.0, 320_000.0, 380_000.0],
                            measurements: &[
                                DemoMeasurement {
                                    date: "2024-12-31",
                                    value: 215_000.0,
                                    source: "Cuentas anuales 2024",
                                },
                                DemoMeasurement {
                                    date: "2025-12-31",
                                    value: 248_000.0,
                                    source: "Cuentas anuales 2025",
                                },
                            ],
                        },
                    ],
                    actions: &[
                        DemoAction {
                            code: "E7.1.1.1",
                            title: "Inscripción en el Registro de Agrupaciones Empresariales Innovadoras",
                            description: "Preparación y presentación ante el Ministerio de Industria y Turismo de la solicitud de inscripción acompañada del plan estratégico aprobado.",
                            start: "2024-01-08",
                            end: "2024-12-20",
                            status: "completed",
                            progress: 100,
                            weight: 3,
                            budget_cents: 0,
                            participants: &[],
                        },
                        DemoAction {
                            code: "E7.1.1.2",
                            title: "Renovación del convenio con el Ayuntamiento de Madrid",
                            description: "Negociación del nuevo convenio plurianual que sucede al de 2023/2024 y vincula la aportación municipal a las acciones del plan.",
                            start: "2024-06-01",
                            end: "2025-03-31",
                            status: "completed",
                            progress: 100,
                            weight: 3,
                            budget_cents: 0,
                            participants: &["Ayuntamiento de Madrid"],
                        },
                        DemoAction {
                            code: "E7.1.1.3",
                            title: "Mesa sectorial del audiovisual con la Comunidad de Madrid",
                            description: "Grupo de trabajo periódico con la administración regional sobre ayudas, formación profesional y promoción del sector.",
                            start: "2025-02-01",
                            end: "2027-12-31",
                            status: "in_progress",
                            progress: 45,
                            weight: 2,
                            budget_cents: 500_000,
                            participants: &[
                                "Ayuntamiento de Madrid",
                                "Producciones La Gavia, S.L.",
                                "Universidad Politécnica del Audiovisual",
                            ],
                        },
                    ],
                },
            },
            DemoArea {
                code: "E7.2",
                title: "Alianzas con otros clústeres y redes",
                description: "Cooperación con clústeres audiovisuales y creativos de otras regiones españolas y europeas para proyectos y representación conjunta.",
                weight: 2,
                objective: DemoObjective {
                    code: "E7.2.1",
                    title: "Ampliar las alianzas con otros clústeres y redes nacionales y europeas",
                    description: "Pasar de dos a ocho acuerdos activos con clústeres y redes, incluido al menos un proyecto europeo liderado o participado.",
                    indicators: &[DemoIndicator {
                        name: "Alianzas activas con otros clústeres y redes",
                        unit: "acuerdos",
                        higher_is_better: true,
                        baseline: 2.0,
                        targets: [3.0, 5.0, 6.0, 8.0],
                        measurements: &[
                            DemoMeasurement {
                                date: "2024-12-31",
                                value: 3.0,
                                source: "Memoria anual 2024",
                            },
                            DemoMeasurement {
                                date: "2025-12-31",
                                value: 4.0,
                                source: "Memoria anual 2025",
                            },
                        ],
                    }],
                    actions: &[
                        DemoAction {
                            code: "E7.2.1.1",
                            title: "Adhesión a la red nacional de clústeres audiovisuales",
                            description: "Incorporación a la coordinadora estatal de clústeres del sector para compartir datos, buenas prácticas y posiciones comunes.",
                            start: "2024-03-01",
                            end: "2024-11-30",
                            status: "completed",
                            progress: 100,
                            weight: 1,
                            budget_cents: 250_000,
                            participants: &[],
                        },
                        DemoAction {
                            code: "E7.2.1.2",
                            title: "Proyecto europeo conjunto con clústeres audiovisuales de la Unión Europea",
                            description: "Candidatura y ejecución, con socios de otros países, de un proyecto de Europa Creativa sobre producción sostenible y digital.",
                            start: "2025-01-15",
                            end: "2027-06-30",
                            status: "in_progress",
                            progress: 35,
                            weight: 3,
                            budget_cents: 9_500_000,
                            participants: &[
                                "Centro Tecnológico de la Imagen",
                                "Universidad Politécnica del Audiovisual",
                                "Píxel Castellana VFX, S.L.",
                            ],
                        },
                        DemoAction {
                            code: "E7.2.1.3",
                            title: "Encuentro anual de clústeres creativos de España en Madrid",
                            description: "Jornada de dos días con clústeres audiovisuales, de videojuegos y de industrias creativas, coincidiendo con el festival de Chamberí.",
                            start: "2027-04-01",
                            end: "2027-10-31",
                            status: "not_started",
                            progress: 0,
                            weight: 2,
                            budget_cents: 3_500_000,
                            participants: &[
                                "Ayuntamiento de Madrid",
                                "Festival Internacional de Cine de Chamberí",
                            ],
                        },
                    ],
                },
            },
        ],
    },
];
