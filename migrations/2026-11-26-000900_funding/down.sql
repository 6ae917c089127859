DROP TABLE IF EXISTS application_documents, application_document_blobs, application_income,
    application_transitions, application_lines, application_actions, application_participants,
    applications, agreement_instalments, agreements, call_cost_categories, calls CASCADE;
DROP FUNCTION IF EXISTS agrupa_applications_guard();
DROP FUNCTION IF EXISTS agrupa_application_transitions_append_only();
DROP FUNCTION IF EXISTS agrupa_application_frozen(text);
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_funder_id_fkey;
ALTER TABLE api_clients DROP CONSTRAINT IF EXISTS api_clients_funder_id_fkey;
DROP TABLE IF EXISTS funders;
