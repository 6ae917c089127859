ALTER TABLE calls
    DROP COLUMN instruments,
    DROP COLUMN regulatory_basis_url,
    DROP COLUMN regulatory_basis,
    DROP COLUMN total_budget_cents;
