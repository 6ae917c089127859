//! Synthetic members for benchmarks, generated inside PostgreSQL in a few set-based
//! statements (a million members in about a minute on 2 cores). Member ids are
//! `md5('agrupa-synthetic-' || n)::uuid`, so a benchmark (or pgbench) can address member `n`
//! without a lookup table. Tax ids are valid NIFs numbered after any earlier synthetic run.

use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

/// What was generated.
#[derive(Debug, PartialEq, Eq)]
pub struct Generated {
    /// Members.
    pub members: i64,
    /// First synthetic number of this run (member `n` has id `md5('agrupa-synthetic-' || n)`).
    pub first: i64,
}

#[derive(diesel::QueryableByName)]
struct Next {
    #[diesel(sql_type = BigInt)]
    next: i64,
}

/// Generates `count` active members with segments, a primary contact and this and last
/// year's dues. Needs the demo reference data (categories, segments).
pub async fn generate(conn: &mut AsyncPgConnection, count: i64) -> anyhow::Result<Generated> {
    anyhow::ensure!(
        (1..=10_000_000).contains(&count),
        "--members must be between 1 and 10,000,000"
    );
    conn.transaction::<Generated, anyhow::Error, _>(async |conn| {
        let next: Next = diesel::sql_query(
            "SELECT coalesce(max(substring(legal_name FROM 'sintética ([0-9]+),')::bigint), 0) + 1 AS next \
             FROM members WHERE legal_name LIKE 'Empresa sintética %'",
        )
        .get_result(conn)
        .await?;
        let first = next.next;
        let last = first + count - 1;
        conn.batch_execute(&format!(
            "CREATE TEMP TABLE synthetic_cats ON COMMIT DROP AS \
               SELECT id, annual_fee_cents, row_number() OVER (ORDER BY name) - 1 AS k FROM member_categories;
             CREATE TEMP TABLE synthetic_segs ON COMMIT DROP AS \
               SELECT id, row_number() OVER (ORDER BY position, code) - 1 AS k FROM segments;
             INSERT INTO members (id, legal_name, trade_name, tax_id, kind, size, category_id, status, address, \
               postcode, municipality, province, country, employees, annual_turnover_cents, description, joined_on)
             SELECT md5('agrupa-synthetic-' || n)::uuid,
                    'Empresa sintética ' || n || ', S.L.',
                    'Sintética ' || n,
                    lpad((30000000 + n)::text, 8, '0') || substr('TRWAGMYFPDXBNJZSQVHLCKE', ((30000000 + n) % 23)::int + 1, 1),
                    (ARRAY['company','company','company','freelancer','association','training_centre','university','technology_centre'])[1 + n % 8],
                    (ARRAY['micro','small','medium','large'])[1 + n % 4],
                    (SELECT id FROM synthetic_cats WHERE k = n % (SELECT count(*) FROM synthetic_cats)),
                    'active',
                    'Calle Sintética ' || n,
                    lpad((28000 + n % 999)::text, 5, '0'),
                    (ARRAY['Madrid','Getafe','Alcobendas','Móstoles','Leganés','Alcalá de Henares','Tres Cantos','Pozuelo de Alarcón'])[1 + n % 8],
                    'Madrid', 'ES',
                    (n % 500)::int,
                    (n % 1000) * 1000000,
                    'Producción, distribución y servicios audiovisuales de prueba número ' || n || '.',
                    date '2015-01-01' + (n % 3650)::int
             FROM generate_series({first}, {last}) AS n;
             INSERT INTO member_segments (member_id, segment_id)
             SELECT md5('agrupa-synthetic-' || n)::uuid, s.id
             FROM generate_series({first}, {last}) AS n
             JOIN synthetic_segs s ON s.k IN (n % (SELECT count(*) FROM synthetic_segs), (n / 7) % (SELECT count(*) FROM synthetic_segs))
             ON CONFLICT DO NOTHING;
             INSERT INTO member_contacts (id, member_id, name, email, phone, position, is_primary, consent_communications)
             SELECT md5('agrupa-synthetic-contact-' || n)::uuid, md5('agrupa-synthetic-' || n)::uuid,
                    'Persona de contacto ' || n, 'contacto' || n || '@example.es', '+34 910 000 000',
                    'Gerencia', true, n % 2 = 0
             FROM generate_series({first}, {last}) AS n;
             INSERT INTO member_dues (id, member_id, year, amount_cents, issued_on, due_on, paid_on, status)
             SELECT md5('agrupa-synthetic-due-' || n || '-' || y)::uuid, md5('agrupa-synthetic-' || n)::uuid, y,
                    (SELECT annual_fee_cents FROM synthetic_cats WHERE k = n % (SELECT count(*) FROM synthetic_cats)),
                    make_date(y, 1, 15), make_date(y, 3, 31),
                    CASE WHEN n % 20 = 0 AND y = extract(year FROM current_date)::int THEN NULL ELSE make_date(y, 3, 1) END,
                    CASE WHEN n % 20 = 0 AND y = extract(year FROM current_date)::int THEN 'pending' ELSE 'paid' END
             FROM generate_series({first}, {last}) AS n,
                  generate_series(extract(year FROM current_date)::int - 1, extract(year FROM current_date)::int) AS y;"
        ))
        .await?;
        Ok(Generated { members: count, first })
    })
    .await
}
