// @generated automatically by Diesel CLI.

diesel::table! {
    api_clients (id) {
        id -> Uuid,
        client_id -> Text,
        name -> Text,
        secret_hash -> Bytea,
        scopes -> Array<Text>,
        funder_id -> Nullable<Uuid>,
        revoked_at -> Nullable<Timestamptz>,
        secret_rotated_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Uuid,
        occurred_at -> Timestamptz,
        actor_type -> Text,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        resource_type -> Text,
        resource_id -> Uuid,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    budget_categories (id) {
        id -> Uuid,
        kind -> Text,
        code -> Text,
        name -> Text,
        position -> Int4,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    budgets (id) {
        id -> Uuid,
        fiscal_year -> Int4,
        plan_id -> Nullable<Uuid>,
        title -> Text,
        description -> Nullable<Text>,
        status -> Text,
        version_number -> Int4,
        revises_id -> Nullable<Uuid>,
        approved_on -> Nullable<Date>,
        approval_reference -> Nullable<Text>,
        approved_by -> Nullable<Uuid>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        approved_by_resolution_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    budget_lines (id) {
        id -> Uuid,
        budget_id -> Uuid,
        line_key -> Uuid,
        code -> Text,
        kind -> Text,
        category_id -> Uuid,
        description -> Text,
        planned_cents -> Int8,
        source_member_category_id -> Nullable<Uuid>,
        source_text -> Nullable<Text>,
        position -> Int4,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    budget_line_actions (line_id, action_id) {
        line_id -> Uuid,
        action_id -> Uuid,
        share_bp -> Int4,
    }
}

diesel::table! {
    budget_entries (id) {
        id -> Uuid,
        fiscal_year -> Int4,
        line_key -> Uuid,
        line_id -> Uuid,
        entry_date -> Date,
        kind -> Text,
        amount_cents -> Int8,
        description -> Text,
        document_ref -> Nullable<Text>,
        counterparty -> Nullable<Text>,
        reverses_id -> Nullable<Uuid>,
        recorded_by -> Nullable<Uuid>,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
        counterparty_tax_id -> Nullable<Text>,
        issued_on -> Nullable<Date>,
        paid_on -> Nullable<Date>,
    }
}

diesel::table! {
    budget_line_totals (fiscal_year, line_key) {
        fiscal_year -> Int4,
        line_key -> Uuid,
        committed_cents -> Int8,
        actual_cents -> Int8,
        entries -> Int8,
    }
}

diesel::table! {
    cluster_profile (id) {
        id -> Int2,
        legal_name -> Text,
        short_name -> Nullable<Text>,
        tax_id -> Text,
        street -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        city -> Nullable<Text>,
        province -> Nullable<Text>,
        country_code -> Text,
        website -> Nullable<Text>,
        sector_description -> Nullable<Text>,
        cnae_codes -> Array<Text>,
        aei_register_number -> Nullable<Text>,
        aei_registered_on -> Nullable<Date>,
        aei_expires_on -> Nullable<Date>,
        sector_turnover_cents -> Nullable<Int8>,
        sector_companies -> Nullable<Int4>,
        sector_source -> Nullable<Text>,
        sector_year -> Nullable<Int4>,
        management_fte_hundredths -> Nullable<Int4>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        services -> Array<Text>,
        founded_on -> Nullable<Date>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Bytea,
        status -> Text,
        response_status -> Nullable<Int2>,
        response_headers -> Nullable<Jsonb>,
        response_body -> Nullable<Bytea>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Int4,
        window_started_at -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// A view (migration `member_cards`): a member with its category name, segments and
    /// good standing.
    member_cards (id) {
        id -> Uuid,
        legal_name -> Text,
        trade_name -> Nullable<Text>,
        tax_id -> Text,
        kind -> Text,
        size -> Nullable<Text>,
        category_id -> Uuid,
        status -> Text,
        address -> Nullable<Text>,
        postcode -> Nullable<Text>,
        municipality -> Nullable<Text>,
        province -> Nullable<Text>,
        country -> Text,
        website -> Nullable<Text>,
        employees -> Nullable<Int4>,
        annual_turnover_cents -> Nullable<Int8>,
        description -> Nullable<Text>,
        joined_on -> Nullable<Date>,
        archived_at -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        category_name -> Text,
        segments -> Jsonb,
        in_good_standing -> Bool,
    }
}

diesel::table! {
    member_categories (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        annual_fee_cents -> Int8,
        voting_weight -> Int4,
        full_member -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    member_contacts (id) {
        id -> Uuid,
        member_id -> Uuid,
        name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        position -> Nullable<Text>,
        is_primary -> Bool,
        consent_communications -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    member_dues (id) {
        id -> Uuid,
        member_id -> Uuid,
        year -> Int4,
        amount_cents -> Int8,
        issued_on -> Date,
        due_on -> Date,
        paid_on -> Nullable<Date>,
        status -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    member_segments (member_id, segment_id) {
        member_id -> Uuid,
        segment_id -> Uuid,
    }
}

diesel::table! {
    member_status_changes (id) {
        id -> Uuid,
        member_id -> Uuid,
        from_status -> Text,
        to_status -> Text,
        reason -> Text,
        effective_on -> Date,
        actor_id -> Nullable<Uuid>,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
        resolution_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    /// `search` (a generated tsvector) is left out: it is only used in raw SQL filters.
    members (id) {
        id -> Uuid,
        legal_name -> Text,
        trade_name -> Nullable<Text>,
        tax_id -> Text,
        kind -> Text,
        size -> Nullable<Text>,
        category_id -> Uuid,
        status -> Text,
        address -> Nullable<Text>,
        postcode -> Nullable<Text>,
        municipality -> Nullable<Text>,
        province -> Nullable<Text>,
        country -> Text,
        website -> Nullable<Text>,
        employees -> Nullable<Int4>,
        annual_turnover_cents -> Nullable<Int8>,
        description -> Nullable<Text>,
        joined_on -> Nullable<Date>,
        archived_at -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        scope -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        session_epoch -> Int4,
    }
}

diesel::table! {
    segments (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        description -> Nullable<Text>,
        position -> Int4,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    revoked_access_tokens (jti) {
        jti -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        display_name -> Text,
        role -> Text,
        member_id -> Nullable<Uuid>,
        funder_id -> Nullable<Uuid>,
        active -> Bool,
        password_hash -> Text,
        session_epoch -> Int4,
        last_login_at -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    plans (id) {
        id -> Uuid,
        title -> Text,
        description -> Nullable<Text>,
        start_year -> Int4,
        end_year -> Int4,
        status -> Text,
        version_number -> Int4,
        revises_id -> Nullable<Uuid>,
        depth -> Int2,
        label_axis -> Text,
        label_area -> Text,
        label_objective -> Text,
        label_action -> Text,
        approved_on -> Nullable<Date>,
        approval_reference -> Nullable<Text>,
        approved_by -> Nullable<Uuid>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        approved_by_resolution_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    plan_nodes (id) {
        id -> Uuid,
        plan_id -> Uuid,
        kind -> Text,
        parent_id -> Nullable<Uuid>,
        parent_kind -> Nullable<Text>,
        axis_id -> Uuid,
        code -> Text,
        title -> Text,
        description -> Nullable<Text>,
        position -> Int4,
        weight -> Int4,
        responsible_id -> Nullable<Uuid>,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        action_status -> Nullable<Text>,
        progress -> Nullable<Int2>,
        planned_budget_cents -> Nullable<Int8>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    action_participants (action_id, member_id) {
        action_id -> Uuid,
        member_id -> Uuid,
    }
}

diesel::table! {
    indicators (id) {
        id -> Uuid,
        plan_id -> Uuid,
        node_id -> Uuid,
        node_kind -> Text,
        name -> Text,
        unit -> Text,
        higher_is_better -> Bool,
        baseline -> Float8,
        position -> Int4,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    indicator_targets (indicator_id, year) {
        indicator_id -> Uuid,
        year -> Int4,
        value -> Float8,
    }
}

diesel::table! {
    indicator_measurements (id) {
        id -> Uuid,
        indicator_id -> Uuid,
        measured_on -> Date,
        value -> Float8,
        source -> Nullable<Text>,
        note -> Nullable<Text>,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    transparency_publications (fiscal_year) {
        fiscal_year -> Int4,
        id -> Uuid,
        note -> Nullable<Text>,
        published_by -> Nullable<Uuid>,
        published_at -> Timestamptz,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(member_contacts -> members (member_id));
diesel::joinable!(member_dues -> members (member_id));
diesel::joinable!(member_segments -> members (member_id));
diesel::joinable!(member_segments -> segments (segment_id));
diesel::joinable!(member_status_changes -> members (member_id));
diesel::joinable!(members -> member_categories (category_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(users -> members (member_id));
diesel::joinable!(plan_nodes -> plans (plan_id));
diesel::joinable!(budgets -> plans (plan_id));
diesel::joinable!(budget_lines -> budgets (budget_id));
diesel::joinable!(budget_line_actions -> budget_lines (line_id));
diesel::joinable!(budget_line_actions -> plan_nodes (action_id));
diesel::joinable!(budget_entries -> budget_lines (line_id));
diesel::joinable!(action_participants -> plan_nodes (action_id));
diesel::joinable!(action_participants -> members (member_id));
diesel::joinable!(indicators -> plans (plan_id));
diesel::joinable!(indicator_targets -> indicators (indicator_id));
diesel::joinable!(indicator_measurements -> indicators (indicator_id));

diesel::table! {
    funders (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        tax_id -> Nullable<Text>,
        website -> Nullable<Text>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    calls (id) {
        id -> Uuid,
        funder_id -> Uuid,
        title -> Text,
        programme -> Nullable<Text>,
        bdns_code -> Nullable<Text>,
        journal_reference -> Nullable<Text>,
        journal_url -> Nullable<Text>,
        opens_at -> Timestamptz,
        closes_at -> Timestamptz,
        max_grant_cents -> Nullable<Int8>,
        cofinancing_rate_bp -> Int4,
        execution_starts_on -> Nullable<Date>,
        execution_ends_on -> Nullable<Date>,
        justification_due_on -> Nullable<Date>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        simplified_justification -> Bool,
        indirect_cost_rate_bp -> Nullable<Int4>,
        total_budget_cents -> Nullable<Int8>,
        regulatory_basis -> Nullable<Text>,
        regulatory_basis_url -> Nullable<Text>,
        instruments -> Array<Text>,
    }
}

diesel::table! {
    call_cost_categories (call_id, category_id) {
        call_id -> Uuid,
        category_id -> Uuid,
        kind -> Text,
    }
}

diesel::table! {
    agreements (id) {
        id -> Uuid,
        funder_id -> Uuid,
        title -> Text,
        reference -> Nullable<Text>,
        starts_on -> Date,
        ends_on -> Date,
        total_cents -> Int8,
        obligations -> Nullable<Text>,
        justification_due_on -> Nullable<Date>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    agreement_instalments (id) {
        id -> Uuid,
        agreement_id -> Uuid,
        fiscal_year -> Int4,
        amount_cents -> Int8,
        justification_due_on -> Nullable<Date>,
        budget_line_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    applications (id) {
        id -> Uuid,
        call_id -> Uuid,
        title -> Text,
        summary -> Nullable<Text>,
        lead_member_id -> Nullable<Uuid>,
        status -> Text,
        eligible_cost_cents -> Int8,
        requested_cents -> Int8,
        own_funding_cents -> Int8,
        other_aid_cents -> Int8,
        granted_cents -> Nullable<Int8>,
        submitted_at -> Nullable<Timestamptz>,
        decided_on -> Nullable<Date>,
        justification_due_on -> Nullable<Date>,
        version -> Int8,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    application_participants (application_id, member_id) {
        application_id -> Uuid,
        member_id -> Uuid,
    }
}

diesel::table! {
    application_actions (application_id, action_id) {
        application_id -> Uuid,
        action_id -> Uuid,
        amount_cents -> Int8,
    }
}

diesel::table! {
    application_lines (application_id, line_id) {
        application_id -> Uuid,
        line_id -> Uuid,
        amount_cents -> Int8,
    }
}

diesel::table! {
    application_transitions (id) {
        id -> Uuid,
        application_id -> Uuid,
        from_status -> Text,
        to_status -> Text,
        comment -> Nullable<Text>,
        granted_cents -> Nullable<Int8>,
        actor_id -> Uuid,
        actor_kind -> Text,
        actor_role -> Text,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    application_income (application_id, fiscal_year) {
        application_id -> Uuid,
        fiscal_year -> Int4,
        amount_cents -> Int8,
        line_key -> Nullable<Uuid>,
        budget_id -> Nullable<Uuid>,
        pending -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    application_documents (id) {
        id -> Uuid,
        application_id -> Uuid,
        filename -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        storage -> Text,
        description -> Nullable<Text>,
        uploaded_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    application_document_blobs (document_id) {
        document_id -> Uuid,
        content -> Bytea,
    }
}

diesel::joinable!(calls -> funders (funder_id));
diesel::joinable!(agreements -> funders (funder_id));
diesel::joinable!(agreement_instalments -> agreements (agreement_id));
diesel::joinable!(agreement_instalments -> budget_lines (budget_line_id));
diesel::joinable!(applications -> calls (call_id));
diesel::joinable!(application_participants -> applications (application_id));
diesel::joinable!(application_actions -> applications (application_id));
diesel::joinable!(application_actions -> plan_nodes (action_id));
diesel::joinable!(application_lines -> applications (application_id));
diesel::joinable!(application_lines -> budget_lines (line_id));
diesel::joinable!(application_transitions -> applications (application_id));
diesel::joinable!(application_income -> applications (application_id));
diesel::joinable!(application_documents -> applications (application_id));
diesel::joinable!(application_document_blobs -> application_documents (document_id));

diesel::table! {
    bodies (id) {
        id -> Uuid,
        kind -> Text,
        name -> Text,
        statutes_reference -> Nullable<Text>,
        notice_days -> Int4,
        quorum_first_num -> Nullable<Int4>,
        quorum_first_den -> Nullable<Int4>,
        quorum_second_num -> Nullable<Int4>,
        quorum_second_den -> Nullable<Int4>,
        minutes_between_calls -> Int4,
        proxies_allowed -> Bool,
        max_proxies_per_holder -> Nullable<Int4>,
        weighting -> Text,
        simple_num -> Int4,
        simple_den -> Int4,
        simple_base -> Text,
        qualified_num -> Int4,
        qualified_den -> Int4,
        qualified_base -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        request_share_num -> Int4,
        request_share_den -> Int4,
        extraordinary_matters -> Array<Text>,
        qualified_matters -> Array<Text>,
    }
}

diesel::table! {
    body_rule_versions (id) {
        id -> Uuid,
        body_id -> Uuid,
        number -> Int4,
        statutes_reference -> Nullable<Text>,
        effective_from -> Date,
        notice_days -> Int4,
        quorum_first_num -> Nullable<Int4>,
        quorum_first_den -> Nullable<Int4>,
        quorum_second_num -> Nullable<Int4>,
        quorum_second_den -> Nullable<Int4>,
        minutes_between_calls -> Int4,
        proxies_allowed -> Bool,
        max_proxies_per_holder -> Nullable<Int4>,
        weighting -> Text,
        simple_num -> Int4,
        simple_den -> Int4,
        simple_base -> Text,
        qualified_num -> Int4,
        qualified_den -> Int4,
        qualified_base -> Text,
        request_share_num -> Int4,
        request_share_den -> Int4,
        extraordinary_matters -> Array<Text>,
        qualified_matters -> Array<Text>,
        created_at -> Timestamptz,
        created_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    seats (id) {
        id -> Uuid,
        body_id -> Uuid,
        member_id -> Uuid,
        person_name -> Text,
        position -> Text,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int8,
    }
}

diesel::table! {
    meetings (id) {
        id -> Uuid,
        body_id -> Uuid,
        kind -> Text,
        convened_by -> Text,
        reason -> Nullable<Text>,
        first_call_at -> Timestamptz,
        second_call_at -> Nullable<Timestamptz>,
        place -> Nullable<Text>,
        online_url -> Nullable<Text>,
        status -> Text,
        convened_at -> Timestamptz,
        convened_by_user -> Nullable<Uuid>,
        roll_count -> Int4,
        present_count -> Nullable<Int4>,
        represented_count -> Nullable<Int4>,
        required_count -> Nullable<Int4>,
        constituted_at -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        rules_version_id -> Uuid,
    }
}

diesel::table! {
    agenda_items (id) {
        id -> Uuid,
        meeting_id -> Uuid,
        position -> Int4,
        title -> Text,
        kind -> Text,
        effect -> Text,
        majority -> Text,
        target_id -> Nullable<Uuid>,
        tabled_etag -> Nullable<Text>,
        created_at -> Timestamptz,
        matter -> Text,
        fiscal_year -> Nullable<Int4>,
    }
}

diesel::table! {
    roll_entries (id) {
        id -> Uuid,
        meeting_id -> Uuid,
        member_id -> Uuid,
        member_name -> Text,
        person_name -> Nullable<Text>,
        weight -> Int4,
        attendance -> Text,
        proxy_holder_id -> Nullable<Uuid>,
        proxy_document -> Nullable<Text>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    resolutions (id) {
        id -> Uuid,
        item_id -> Uuid,
        adopted -> Bool,
        yes_weight -> Int8,
        no_weight -> Int8,
        abstain_weight -> Int8,
        present_weight -> Int8,
        roll_weight -> Int8,
        majority -> Text,
        majority_rule -> Text,
        named -> Bool,
        adopted_at -> Nullable<Timestamptz>,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    votes (resolution_id, roll_entry_id) {
        resolution_id -> Uuid,
        roll_entry_id -> Uuid,
        choice -> Text,
        weight -> Int4,
    }
}

diesel::table! {
    minutes (meeting_id) {
        meeting_id -> Uuid,
        status -> Text,
        debate_summary -> Text,
        content -> Nullable<Text>,
        content_sha256 -> Nullable<Text>,
        approved_at -> Nullable<Timestamptz>,
        approved_by -> Nullable<Uuid>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    dissents (id) {
        id -> Uuid,
        resolution_id -> Uuid,
        roll_entry_id -> Uuid,
        kind -> Text,
        text -> Text,
        submitted_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    certificates (id) {
        id -> Uuid,
        resolution_id -> Uuid,
        issued_on -> Date,
        secretary_seat_id -> Uuid,
        secretary_name -> Text,
        president_seat_id -> Uuid,
        president_name -> Text,
        minutes_pending -> Bool,
        purpose -> Nullable<Text>,
        content -> Text,
        content_sha256 -> Text,
        issued_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    meeting_requests (meeting_id, member_id) {
        meeting_id -> Uuid,
        member_id -> Uuid,
        member_name -> Text,
    }
}

diesel::table! {
    approved_accounts (fiscal_year) {
        fiscal_year -> Int4,
        resolution_id -> Uuid,
        approved_on -> Date,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(approved_accounts -> resolutions (resolution_id));
diesel::joinable!(dissents -> resolutions (resolution_id));
diesel::joinable!(dissents -> roll_entries (roll_entry_id));
diesel::joinable!(certificates -> resolutions (resolution_id));
diesel::joinable!(meeting_requests -> meetings (meeting_id));
diesel::joinable!(meeting_requests -> members (member_id));
diesel::joinable!(minutes -> meetings (meeting_id));
diesel::joinable!(seats -> bodies (body_id));
diesel::joinable!(seats -> members (member_id));
diesel::joinable!(meetings -> bodies (body_id));
diesel::joinable!(body_rule_versions -> bodies (body_id));
diesel::joinable!(agenda_items -> meetings (meeting_id));
diesel::joinable!(roll_entries -> meetings (meeting_id));
diesel::joinable!(resolutions -> agenda_items (item_id));
diesel::joinable!(votes -> resolutions (resolution_id));
diesel::joinable!(votes -> roll_entries (roll_entry_id));

diesel::table! {
    events (id) {
        id -> Uuid,
        seq -> Int8,
        txid -> Int8,
        #[sql_name = "type"]
        type_ -> Text,
        object_type -> Text,
        object_id -> Uuid,
        audience -> Text,
        funder_id -> Nullable<Uuid>,
        data -> Jsonb,
        dedupe_key -> Nullable<Text>,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        owner_user_id -> Nullable<Uuid>,
        owner_client_id -> Nullable<Uuid>,
        funder_id -> Nullable<Uuid>,
        url -> Text,
        event_types -> Array<Text>,
        description -> Nullable<Text>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamptz>,
        failing_since -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        endpoint_id -> Uuid,
        event_id -> Nullable<Uuid>,
        event_seq -> Int8,
        msg_id -> Text,
        event_type -> Text,
        object_id -> Nullable<Uuid>,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        last_attempt_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Uuid,
        delivery_id -> Uuid,
        attempted_at -> Timestamptz,
        response_status -> Nullable<Int4>,
        duration_ms -> Int4,
        response_body -> Nullable<Text>,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_clients,
    audit_events,
    idempotency_keys,
    login_throttle,
    member_cards,
    member_categories,
    member_contacts,
    member_dues,
    member_segments,
    member_status_changes,
    members,
    refresh_tokens,
    revoked_access_tokens,
    segments,
    users,
    plans,
    plan_nodes,
    action_participants,
    indicators,
    indicator_targets,
    indicator_measurements,
    budget_categories,
    budgets,
    budget_lines,
    budget_line_actions,
    budget_entries,
    budget_line_totals,
    funders,
    calls,
    cluster_profile,
    call_cost_categories,
    agreements,
    agreement_instalments,
    applications,
    application_participants,
    application_actions,
    application_lines,
    application_transitions,
    application_income,
    application_documents,
    application_document_blobs,
    bodies,
    seats,
    meetings,
    agenda_items,
    roll_entries,
    resolutions,
    votes,
    minutes,
    events,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    dissents,
    certificates,
    meeting_requests,
    approved_accounts,
    body_rule_versions,
    transparency_publications,
);
