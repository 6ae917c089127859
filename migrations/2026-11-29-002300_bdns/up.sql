-- What the national subsidy database (Base de Datos Nacional de Subvenciones, BDNS) publishes
-- about a call and a call imported from it keeps: the call's total budget (`presupuestoTotal`),
-- its regulatory basis (`descripcionBasesReguladoras`, `urlBasesReguladoras`) and its aid
-- instruments (`instrumentos[].descripcion`, e.g. "SUBVENCIÓN Y ENTREGA DINERARIA SIN
-- CONTRAPRESTACIÓN"), which the BDNS grant export repeats on each grant of the call.
ALTER TABLE calls
    ADD COLUMN total_budget_cents bigint
        CHECK (total_budget_cents BETWEEN 1 AND 1000000000000000),
    ADD COLUMN regulatory_basis text CHECK (length(regulatory_basis) BETWEEN 1 AND 2000),
    ADD COLUMN regulatory_basis_url text CHECK (length(regulatory_basis_url) BETWEEN 1 AND 500),
    ADD COLUMN instruments text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(instruments) <= 10 AND array_position(instruments, NULL) IS NULL);
