//! The languages people read the API's errors in: English (the default) and Spanish.
//!
//! A problem's `title`, `detail` and each field error's `message` follow the request's
//! `Accept-Language` ([`Lang::negotiate`]); `type`, `code` and field names never change.
//! Every text a person reads in Spanish lives in this file, beside its English:
//! - titles, keyed by HTTP status ([`TITLES`], English and Spanish);
//! - details, keyed by the problem's stable `code` ([`DETAILS`]); the English detail is the
//!   one written where the error is raised (it names the occurrence: the plan's status, the
//!   constraint), the Spanish one is the code's, with the parameters the error carries
//!   (`{fields}`, `{allow}`, `{seconds}`, `{limit}`, `{media_type}`) filled in;
//! - field messages, keyed by the field error's `code` ([`FIELD_MESSAGES`]).
//!
//! A unit test scans the sources for every code an error is raised with and fails when one
//! lacks its Spanish text, so a new code cannot ship in English only.

/// The longest `Accept-Language` read (the OpenAPI document's `maxLength`); longer is English.
pub const MAX_HEADER_LEN: usize = 1000;

/// A language the API answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English: the default, and the answer to any language other than Spanish.
    #[default]
    En,
    /// Spanish.
    Es,
}

impl Lang {
    /// The language tag sent in `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }

    /// The language an `Accept-Language` header (RFC 9110 §12.5.4) prefers among the two:
    /// the supported range with the highest quality wins, the earlier one on a tie; `*`
    /// stands for English; `q=0` means "not this one"; an entry with a malformed quality is
    /// ignored. No header, a header longer than [`MAX_HEADER_LEN`], or nothing supported, is
    /// English.
    pub fn negotiate(header: Option<&str>) -> Self {
        // Past the length the OpenAPI document allows, the header is not read at all.
        let header = header.filter(|h| h.len() <= MAX_HEADER_LEN);
        let mut best: Option<(u16, Self)> = None;
        for entry in header.unwrap_or_default().split(',') {
            let mut parts = entry.split(';');
            let range = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let primary = range.split('-').next().unwrap_or_default();
            let lang = match primary {
                "es" => Self::Es,
                "en" | "*" => Self::En,
                _ => continue,
            };
            let mut quality = Some(1000);
            for param in parts {
                if let Some((name, value)) = param.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    quality = parse_quality(value.trim());
                }
            }
            let Some(q) = quality.filter(|q| *q > 0) else {
                continue;
            };
            if best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Self::En, |(_, lang)| lang)
    }
}

/// A quality value (`0`, `0.8`, `1.000`) in thousandths, or `None` when malformed.
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Problem titles by HTTP status: (status, English, Spanish). The English titles are the
/// statuses' reason phrases.
#[rustfmt::skip]
pub const TITLES: &[(u16, &str, &str)] = &[
    (400, "Bad Request", "Solicitud incorrecta"),
    (401, "Unauthorized", "No autenticado"),
    (403, "Forbidden", "Acceso denegado"),
    (404, "Not Found", "No encontrado"),
    (405, "Method Not Allowed", "Método no permitido"),
    (408, "Request Timeout", "Tiempo de espera agotado"),
    (409, "Conflict", "Conflicto"),
    (412, "Precondition Failed", "Condición previa no cumplida"),
    (413, "Payload Too Large", "Contenido demasiado grande"),
    (415, "Unsupported Media Type", "Tipo de contenido no admitido"),
    (422, "Unprocessable Entity", "Valores no válidos"),
    (428, "Precondition Required", "Condición previa obligatoria"),
    (429, "Too Many Requests", "Demasiadas solicitudes"),
    (500, "Internal Server Error", "Error interno del servidor"),
    (503, "Service Unavailable", "Servicio no disponible"),
];

/// The title of a problem with `status`.
pub fn title(status: u16, lang: Lang) -> &'static str {
    let found = TITLES.iter().find(|(s, _, _)| *s == status);
    match (found, lang) {
        (Some((_, en, _)), Lang::En) => en,
        (Some((_, _, es)), Lang::Es) => es,
        (None, _) => "Error",
    }
}

/// Spanish details by problem `code`. Placeholders are filled from the error's parameters.
#[rustfmt::skip]
pub const DETAILS: &[(&str, &str)] = &[
    // Generic codes (src/error.rs, src/http/).
    ("bad_request", "La solicitud no es válida."),
    ("unauthorized", "Hace falta un token de acceso válido (Authorization: Bearer <token>)."),
    ("forbidden", "Su rol o su token no permiten esta operación."),
    ("not_found", "El recurso no existe."),
    ("method_not_allowed", "Este recurso admite: {allow}."),
    ("request_timeout", "La solicitud tardó demasiado y se abandonó; no se ha cambiado nada. Vuelva a intentarlo en unos instantes."),
    ("payload_too_large", "El cuerpo de la solicitud supera el límite de {limit} bytes."),
    ("unsupported_media_type", "El cuerpo de la solicitud debe enviarse como `{media_type}`."),
    ("too_many_requests", "Demasiadas solicitudes; vuelva a intentarlo dentro de {seconds} s."),
    ("service_unavailable", "El servicio no está disponible en este momento; vuelva a intentarlo en unos instantes."),
    ("internal_error", "Se ha producido un error inesperado. Indique el identificador de la solicitud al comunicarlo."),
    ("validation_failed", "Algunos valores no son válidos: {fields}."),
    ("conflict", "Ya existe un recurso con estos valores."),
    (
        "cluster_exists",
        "Otra persona acaba de crear la ficha de la agrupación; léala de nuevo y reintente con If-Match.",
    ),
    ("constraint_violated", "Un valor incumple una regla del registro."),
    ("unknown_reference", "Un recurso referido no existe o todavía está en uso."),
    ("concurrent_update", "Otra solicitud ha modificado el recurso al mismo tiempo; vuelva a intentarlo."),
    ("value_out_of_range", "Un importe o un total superaría lo que se puede almacenar."),
    ("malformed_json", "El cuerpo de la solicitud no es un JSON válido."),
    ("invalid_body", "No se ha podido leer el cuerpo de la solicitud; consulte `errors`."),
    ("invalid_query", "Un parámetro de la consulta no es válido; consulte `errors`."),
    ("invalid_path_parameter", "Un parámetro de la ruta no es válido."),
    ("invalid_cursor", "El cursor no es válido, ha caducado o pertenece a otra lista."),
    ("invalid_limit", "`limit` debe estar entre 1 y 100."),
    ("invalid_idempotency_key", "`Idempotency-Key` debe tener entre 1 y 255 caracteres ASCII visibles."),
    ("idempotency_key_reused", "Esta Idempotency-Key ya se usó con otra solicitud; use una clave nueva."),
    ("idempotency_key_in_progress", "Una solicitud con esta Idempotency-Key todavía está en curso; vuelva a intentarlo en unos instantes."),
    ("invalid_multipart_boundary", "El delimitador multipart debe tener entre 1 y 70 caracteres (RFC 2046)."),
    ("malformed_multipart", "No se ha podido leer el formulario multipart."),
    ("precondition_required", "Este recurso solo se modifica con `If-Match: <ETag>` (haga antes un GET)."),
    ("precondition_failed", "El recurso ha cambiado desde que lo leyó: su `If-Match` ya no coincide con el ETag actual."),
    ("content_mismatch", "El contenido del archivo no corresponde al tipo declarado."),
    ("document_too_large", "El documento supera el tamaño máximo."),
    ("unsupported_document_type", "Los documentos son PDF, PNG, JPEG, textos y hojas de cálculo OOXML u OpenDocument, texto plano o CSV."),
    // OAuth 2.0 (RFC 6749 §5.2; `error_description` stays English, as it must be ASCII).
    ("invalid_request", "La solicitud de token no es válida."),
    ("invalid_grant", "Las credenciales o el token de renovación no son válidos."),
    ("invalid_client", "La autenticación del cliente ha fallado."),
    ("invalid_scope", "El ámbito solicitado no es válido."),
    ("unsupported_grant_type", "Concesiones admitidas: password, client_credentials, refresh_token."),
    ("wrong_password", "La contraseña actual no es correcta."),
    // Users, API clients, reference data, members.
    ("user_email_taken", "Ya existe un usuario con este correo electrónico."),
    ("last_admin", "Es el último administrador activo; haga administrador a otro usuario primero."),
    ("already_revoked", "El cliente de la API ya está revocado."),
    ("category_name_taken", "Ya existe una categoría con este nombre."),
    ("category_code_taken", "Ya existe una categoría con este código."),
    ("category_missing", "La categoría no existe."),
    ("segment_taken", "Ya existe un segmento con este código o nombre."),
    ("member_category_in_use", "Todavía hay socios con esta categoría; cámbielos primero."),
    ("segment_in_use", "Todavía hay socios en este segmento; cámbielos primero."),
    ("member_tax_id_taken", "Ya existe un socio con este NIF."),
    ("tax_id_taken", "Ya existe un registro con este NIF."),
    ("member_archived", "El socio está archivado: se puede consultar, pero no modificar."),
    ("illegal_status_change", "Este cambio de estado no está permitido."),
    ("primary_contact_required", "Hace falta un contacto principal."),
    // Plans.
    ("plan_frozen", "Lo que aprobó la asamblea no se modifica: cambie una revisión."),
    ("plan_not_draft", "Solo se aprueban los planes en borrador."),
    ("plan_empty", "Un plan sin acciones no se puede aprobar."),
    ("plan_not_approved", "Solo se revisa la versión aprobada de un plan."),
    ("plan_too_large", "El plan supera el número máximo de nodos."),
    ("plan_in_use", "Otros registros todavía usan este plan."),
    ("revised_plan_not_current", "La versión que revisa este borrador ya no es la vigente."),
    ("revision_exists", "El plan ya tiene una revisión en borrador."),
    ("wrong_level", "Los niveles del plan no admiten este nodo aquí."),
    ("code_taken", "Ya existe un nodo con este código en el plan."),
    ("node_has_children", "El nodo todavía tiene hijos; elimínelos o muévalos primero."),
    ("node_in_use", "Otros registros todavía usan este nodo."),
    ("indicator_name_taken", "Ya existe un indicador con este nombre en el nodo."),
    ("invalid_plan_document", "El documento del plan tiene errores; no se ha creado nada. Consulte `errors`."),
    // Budgets.
    (
        "accounts_approved",
        "Las cuentas de ese ejercicio ya están aprobadas por otro acuerdo.",
    ),
    (
        "dissent_deadline_passed",
        "El plazo de dos días para presentar un voto particular ha terminado.",
    ),
    (
        "dissent_exists",
        "Ese miembro ya ha presentado un voto particular a este acuerdo.",
    ),
    (
        "resolution_not_adopted",
        "Solo se certifican los acuerdos adoptados.",
    ),
    ("budget_frozen", "Lo que aprobó la asamblea no se modifica: cambie una revisión."),
    ("budget_not_draft", "Solo se modifican o aprueban los presupuestos en borrador."),
    ("budget_not_approved", "El presupuesto no está aprobado."),
    ("approved_budget_exists", "Ya hay un presupuesto aprobado para este ejercicio."),
    ("executed_line_removed", "Una partida con ejecución no se puede eliminar."),
    ("line_in_use", "Otros registros todavía usan esta partida."),
    ("already_reversed", "Este asiento ya está anulado."),
    ("not_reversible", "Este asiento no se puede anular."),
    // Funding.
    ("illegal_transition", "Una solicitud de subvención solo avanza según su máquina de estados."),
    ("illegal_status_transition", "Este cambio de estado no está permitido."),
    ("application_frozen", "La solicitud ya no se puede modificar."),
    ("call_not_open", "La convocatoria no está abierta."),
    ("bdns_call_of_other_funder", "La convocatoria con este código BDNS es de otra entidad financiadora; la entidad de una convocatoria no cambia."),
    ("cluster_record_missing", "Falta la ficha de la agrupación (PUT /api/v1/cluster): es la beneficiaria de cada concesión."),
    ("above_call_limits", "El importe supera los límites de la convocatoria."),
    ("double_funding", "Estos gastos ya están financiados por otra ayuda."),
    ("bdns_code_taken", "Ya existe una convocatoria con este código BDNS."),
    (
        "not_accepted",
        "La cuenta justificativa se hace de una subvención aceptada; esta solicitud no lo está.",
    ),
    (
        "already_paid",
        "Este apunte ya tiene fecha de pago; no se cambia: anúlelo y regístrelo de nuevo.",
    ),
    (
        "not_payable",
        "Este apunte es una anulación: no se paga.",
    ),
    ("reference_taken", "Ya existe un registro con esta referencia."),
    // Governance.
    ("assembly_exists", "La agrupación ya tiene una Asamblea General."),
    ("assembly_has_no_seats", "Los miembros de la Asamblea General son los socios: no tiene puestos."),
    ("name_taken", "Ya existe un órgano con este nombre."),
    ("position_taken", "Ese cargo ya está ocupado."),
    ("attendance_closed", "La asistencia solo se registra hasta que la reunión queda constituida."),
    ("already_constituted", "La reunión ya está constituida."),
    ("no_quorum", "No hay quórum."),
    ("meeting_failed", "La reunión no se celebró por falta de quórum: no se puede votar nada."),
    ("meeting_not_constituted", "Las votaciones empiezan cuando la reunión está constituida."),
    ("meeting_not_held", "La reunión todavía no se ha constituido (o no se celebró): no hay acta antes."),
    ("item_informative", "El punto es informativo: no se vota."),
    ("resolution_exists", "El punto ya tiene su acuerdo; los acuerdos no se reescriben."),
    ("tabled_version_changed", "Lo que se llevó al orden del día cambió después de convocar la reunión."),
    ("minutes_approved", "El acta está aprobada y cerrada: ya no cambia."),
    ("minutes_missing", "La reunión no tiene borrador de acta: redáctelo primero (PUT …/minutes)."),
    ("already_published", "Este ejercicio ya está publicado en el portal de transparencia."),
];

/// Spanish field messages by field error `code`.
#[rustfmt::skip]
pub const FIELD_MESSAGES: &[(&str, &str)] = &[
    ("invalid", "El valor no es válido."),
    ("malformed", "El contenido está mal formado."),
    ("required", "Es obligatorio."),
    ("unknown", "No existe o no es uno de los valores admitidos."),
    ("duplicate", "Está repetido."),
    ("out_of_range", "El valor está fuera del intervalo permitido."),
    ("too_many", "Hay demasiados elementos."),
    ("too_long", "El valor es demasiado largo."),
    ("ambiguous", "Corresponde a más de un registro; indique cuál."),
    ("ignored", "No es válido y se ha dejado fuera."),
    (
        "cannot_dissent",
        "Esta entrada de la lista no puede formular un voto particular sobre el acuerdo.",
    ),
    (
        "must_be_extraordinary",
        "Una reunión convocada a petición de los socios ha de ser extraordinaria.",
    ),
    (
        "needs_extraordinary_meeting",
        "Este asunto solo puede tratarse en una reunión extraordinaria.",
    ),
    ("not_on_roll", "No figura en la lista de asistentes con derecho a voto."),
    (
        "request_too_small",
        "La petición no reúne la proporción de socios que exigen los estatutos.",
    ),
    (
        "majority_below_rule",
        "Los estatutos exigen mayoría cualificada para este asunto.",
    ),
    (
        "effective_before_previous",
        "La nueva versión de las normas no puede regir antes que la anterior.",
    ),
    (
        "forbidden_url",
        "La dirección no está permitida: debe ser https y no apuntar a una red privada, local ni de metadatos.",
    ),
    ("length", "El número de elementos no es válido."),
    ("not_allowed", "Este valor no está permitido aquí."),
    ("inconsistent", "No es coherente con los demás valores."),
    ("unexpected", "No corresponde enviarlo en este caso."),
    ("one_of", "Envíe solo una de las alternativas."),
    ("outside", "Queda fuera del periodo permitido."),
    ("outside_agreement", "Debe ser un año del convenio."),
    ("before_start", "No puede ser anterior a la fecha de inicio."),
    ("before_issue", "No puede ser anterior a la fecha del documento."),
    ("in_the_future", "No puede ser una fecha futura."),
    ("before_opening", "Debe ser posterior a la apertura."),
    ("before_first_call", "Debe ser posterior a la primera convocatoria."),
    ("notice_too_short", "No respeta el plazo mínimo de convocatoria del órgano."),
    ("self", "Un socio no puede ser su propio representante."),
    ("is_lead", "El solicitante principal no figura también como participante."),
    ("not_present", "No está presente ni válidamente representado."),
    ("needs_resolution", "Solo un punto que se somete a acuerdo tiene efecto."),
    ("proxies_not_allowed", "Este órgano no admite representación."),
    ("proxy_cap_exceeded", "Se supera el número de representaciones por asistente."),
    ("votes_exceed_present", "Los votos superan a los presentes y representados."),
    ("above_total", "La suma supera el total."),
    ("above_request", "La suma supera el importe solicitado."),
    ("above_call_limits", "Supera los límites de la convocatoria."),
    ("unbalanced", "Las cantidades no cuadran con el coste subvencionable."),
    ("not_requested_amount", "Debe ser el importe solicitado."),
    ("not_income_of_year", "Debe ser una partida de ingresos de un presupuesto de ese año."),
    ("not_in_approved_plan", "No pertenece al plan aprobado."),
    ("action_without_cost", "La acción no tiene presupuesto previsto."),
    ("double_funding", "Ya está financiado por otra ayuda."),
    ("other_line", "Pertenece a otra partida."),
    ("wrong_kind", "La categoría no es del tipo adecuado."),
    ("too_many_parts", "Un formulario tiene como máximo dos partes: `file` y `description`."),
    ("no_filename", "La parte del archivo necesita un nombre de archivo."),
    ("no_content_type", "La parte del archivo necesita un tipo de contenido."),
    ("unknown_field", "Solo se admiten las partes `file` y `description`."),
];

/// The Spanish detail of `code`, if the catalogue has it.
pub fn detail_es(code: &str) -> Option<&'static str> {
    DETAILS.iter().find(|(c, _)| *c == code).map(|(_, es)| *es)
}

/// The Spanish message of a field error with `code`, if the catalogue has it.
pub fn field_message_es(code: &str) -> Option<&'static str> {
    FIELD_MESSAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, es)| *es)
}

/// Fills `{name}` placeholders from `params`.
pub fn fill(template: &str, params: &[(&'static str, String)]) -> String {
    params
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn spanish_is_chosen_only_when_preferred() {
        let n = |h: &str| Lang::negotiate(Some(h));
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(n(""), Lang::En);
        assert_eq!(n("es"), Lang::Es);
        assert_eq!(n("es-ES"), Lang::Es);
        assert_eq!(n("ES-es"), Lang::Es);
        assert_eq!(n("es;q=0.9, en;q=0.8"), Lang::Es);
        assert_eq!(n("en;q=0.8, es;q=0.9"), Lang::Es);
        assert_eq!(n("en, es"), Lang::En);
        assert_eq!(n("es, en"), Lang::Es);
        assert_eq!(n("en-GB,en;q=0.9,es;q=0.8"), Lang::En);
        assert_eq!(n("fr-FR, fr;q=0.9, es;q=0.5"), Lang::Es);
        assert_eq!(n("fr"), Lang::En);
        assert_eq!(n("es;q=0"), Lang::En);
        assert_eq!(n("es;q=0, *"), Lang::En);
        assert_eq!(n("*;q=0.5, es-MX;q=0.6"), Lang::Es);
        assert_eq!(n("es; q=1.0"), Lang::Es);
        // Malformed qualities are ignored, not read as 1.
        assert_eq!(n("es;q=2"), Lang::En);
        assert_eq!(n("es;q=0.1234, en;q=0.1"), Lang::En);
        assert_eq!(n("es;q=abc"), Lang::En);
        // The primary subtag must be `es` itself.
        assert_eq!(n("esx"), Lang::En);
        let long = format!("es,{}", "x".repeat(MAX_HEADER_LEN));
        assert_eq!(n(&long), Lang::En);
    }

    #[test]
    fn qualities_parse_to_thousandths() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.8"), Some(800));
        assert_eq!(parse_quality("0.05"), Some(50));
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("1.5"), None);
        assert_eq!(parse_quality(""), None);
    }

    #[test]
    fn placeholders_are_filled() {
        let p = [("seconds", "7".to_owned())];
        assert_eq!(
            fill(detail_es("too_many_requests").unwrap(), &p),
            "Demasiadas solicitudes; vuelva a intentarlo dentro de 7 s."
        );
    }

    #[test]
    fn the_catalogue_has_one_entry_per_code() {
        let codes: BTreeSet<&str> = DETAILS.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes.len(), DETAILS.len(), "a problem code is listed twice");
        let fields: BTreeSet<&str> = FIELD_MESSAGES.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            fields.len(),
            FIELD_MESSAGES.len(),
            "a field code is listed twice"
        );
        let statuses: BTreeSet<u16> = TITLES.iter().map(|(s, _, _)| *s).collect();
        assert_eq!(statuses.len(), TITLES.len(), "a status is listed twice");
    }

    /// The sources with whitespace collapsed, so a call split over lines reads as one.
    fn sources() -> String {
        fn walk(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push_str(&text.split_whitespace().collect::<Vec<_>>().join(" "));
                    out.push(' ');
                }
            }
        }
        let mut out = String::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut out,
        );
        out
    }

    /// The string literal that is argument number `index` (0-based) of each call starting
    /// with `prefix` (which ends with its opening parenthesis), when it is a literal.
    fn literal_arguments<'a>(src: &'a str, prefix: &str, index: usize) -> Vec<&'a str> {
        let mut found = Vec::new();
        for (at, _) in src.match_indices(prefix) {
            let rest = &src[at + prefix.len()..];
            let (mut depth, mut arg, mut start, mut in_str) = (0_i32, 0, 0, false);
            for (i, ch) in rest.char_indices() {
                match ch {
                    '"' if !rest[..i].ends_with('\\') => in_str = !in_str,
                    _ if in_str => {}
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' if depth == 0 => {
                        if arg == index {
                            push_literal(&rest[start..i], &mut found);
                        }
                        break;
                    }
                    ')' | ']' | '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if arg == index {
                            push_literal(&rest[start..i], &mut found);
                            break;
                        }
                        arg += 1;
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        }
        found
    }

    fn push_literal<'a>(arg: &'a str, found: &mut Vec<&'a str>) {
        let arg = arg.trim();
        if let Some(code) = arg.strip_prefix('"').and_then(|a| a.strip_suffix('"'))
            && !code.is_empty()
            && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            found.push(code);
        }
    }

    #[test]
    fn every_code_raised_in_the_sources_has_its_spanish_text() {
        let src = sources();
        let mut problem_codes: BTreeSet<&str> = BTreeSet::new();
        for (prefix, index) in [
            ("ApiError::bad_request(", 0),
            ("ApiError::conflict(", 0),
            ("ApiError::unprocessable(", 0),
            ("ApiError::new(", 1),
            ("ApiError::oauth(", 1),
            ("on_unique(", 2),
            ("on_reference(", 2),
            ("in_use(", 1),
            ("finish_as(", 0),
        ] {
            problem_codes.extend(literal_arguments(&src, prefix, index));
        }
        // Codes built by `from_status`, the trigger mapping and `reference::in_use`
        // (`<resource>_in_use`).
        problem_codes.extend([
            "bad_request",
            "unauthorized",
            "forbidden",
            "not_found",
            "method_not_allowed",
            "request_timeout",
            "payload_too_large",
            "unsupported_media_type",
            "too_many_requests",
            "service_unavailable",
            "internal_error",
            "validation_failed",
            "budget_frozen",
            "plan_frozen",
            "illegal_transition",
            "member_category_in_use",
            "segment_in_use",
        ]);
        assert!(problem_codes.len() > 80, "the scan found too few codes");
        let missing: Vec<_> = problem_codes
            .iter()
            .filter(|c| detail_es(c).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "problem codes without Spanish: {missing:?}"
        );

        let mut field_codes: BTreeSet<&str> = BTreeSet::new();
        for prefix in [".add(", "FieldErrors::one(", "FieldError::new("] {
            field_codes.extend(literal_arguments(&src, prefix, 1));
        }
        field_codes.extend(["invalid", "out_of_range"]);
        assert!(field_codes.len() > 30, "the scan found too few field codes");
        let missing: Vec<_> = field_codes
            .iter()
            .filter(|c| field_message_es(c).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "field codes without Spanish: {missing:?}"
        );
    }

    #[test]
    fn every_status_the_api_answers_with_has_a_spanish_title() {
        for status in [
            400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 428, 429, 500, 503,
        ] {
            assert!(
                TITLES.iter().any(|(s, _, _)| *s == status),
                "no title for {status}"
            );
        }
    }
}
