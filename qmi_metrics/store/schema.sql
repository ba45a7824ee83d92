-- Schema of the QMI database. Tables are created in dependency order and loaded
-- from data/<table>.csv in the same order (see loader.TABLES).
-- Every row carries source_id: where the fact comes from. Unknown stays NULL.
-- And basis: how the row stands to its sources. 'stated': they give this very row (a quote names the project,
-- the commune, the date…); 'inferred': derived by a rule from what they state (a sentence about all projects
-- applied to each, a position taken from a landmark); 'modelled': the dashboard's own construction (an
-- indicator's unit and desired direction). basis_rule, in French, says in one sentence how, whenever the row
-- is not stated; every output shows it next to what rests on such a row (present/cards.py).

CREATE TABLE sources (
    source_id      VARCHAR PRIMARY KEY,
    kind           VARCHAR NOT NULL CHECK (kind IN ('document', 'reference', 'web', 'computed', 'general_knowledge', 'synthetic', 'import')),
    title          VARCHAR NOT NULL,
    publisher      VARCHAR,
    published_on   VARCHAR,            -- as precise as the source gives it (YYYY, YYYY-MM or YYYY-MM-DD)
    file           VARCHAR,            -- path under ../shared/ for documents and reference files
    note           VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

CREATE TABLE editions (
    edition_id     INTEGER PRIMARY KEY CHECK (edition_id >= 1),
    label_fr       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    first_year     INTEGER,
    last_year      INTEGER,
    status         VARCHAR NOT NULL CHECK (status IN ('terminée', 'en cours', 'à venir')),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (last_year IS NULL OR first_year IS NULL OR last_year >= first_year),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Calendar milestones; date_start is the first day of the period the source names.
CREATE TABLE milestones (
    milestone_id   VARCHAR PRIMARY KEY,
    edition_id     INTEGER NOT NULL REFERENCES editions (edition_id),
    kind           VARCHAR NOT NULL CHECK (kind IN ('programme', 'call_communes', 'communes_announced', 'diagnostic',
                                                    'call_projects', 'experimenters_announced', 'experimentation',
                                                    'community', 'evaluation', 'closing', 'information')),
    label_fr       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    date_start     DATE,
    date_end       DATE,
    date_precision VARCHAR CHECK (date_precision IN ('day', 'month', 'season', 'year')),
    planned        BOOLEAN NOT NULL DEFAULT false,   -- announced ahead (a calendar), not observed
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (date_end IS NULL OR date_end >= date_start),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- The 8 "défis urbains prioritaires".
CREATE TABLE themes (
    theme_slug     VARCHAR PRIMARY KEY,
    label_fr       VARCHAR NOT NULL UNIQUE,
    label_en       VARCHAR NOT NULL,
    rank           INTEGER NOT NULL,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- The report's project families (its list of projects is grouped by them).
CREATE TABLE project_families (
    family_slug    VARCHAR PRIMARY KEY,
    label_fr       VARCHAR NOT NULL UNIQUE,
    label_en       VARCHAR NOT NULL,
    rank           INTEGER NOT NULL,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Solution types as the report prints them in capitals (NUMÉRIQUE, VÉHICULE...).
CREATE TABLE solution_types (
    type_slug      VARCHAR PRIMARY KEY,
    label_fr       VARCHAR NOT NULL UNIQUE,
    label_en       VARCHAR NOT NULL,
    is_digital     BOOLEAN NOT NULL,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- All communes of the Métropole du Grand Paris.
CREATE TABLE communes (
    insee          VARCHAR PRIMARY KEY CHECK (length(insee) = 5),
    name           VARCHAR NOT NULL UNIQUE,
    departement    VARCHAR NOT NULL,
    ept_siren      VARCHAR,
    ept_name       VARCHAR,
    population     INTEGER CHECK (population IS NULL OR population > 0),
    postcodes      VARCHAR,
    siren          VARCHAR,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Named places with coordinates (WGS84): commune centroids, quartiers, experimentation sites.
CREATE TABLE sites (
    site_id        VARCHAR PRIMARY KEY,
    insee          VARCHAR NOT NULL REFERENCES communes (insee),
    name           VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL CHECK (kind IN ('commune_centroid', 'quartier', 'experimentation_site', 'landmark')),
    lat            DOUBLE CHECK (lat BETWEEN 48.0 AND 49.5),
    lon            DOUBLE CHECK (lon BETWEEN 1.5 AND 3.5),
    precision      VARCHAR NOT NULL CHECK (precision IN ('computed', 'landmark', 'approximate', 'unknown')),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    note           VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Which commune took part in which edition, with its quartier and défi.
CREATE TABLE commune_editions (
    edition_id     INTEGER NOT NULL REFERENCES editions (edition_id),
    insee          VARCHAR NOT NULL REFERENCES communes (insee),
    role           VARCHAR NOT NULL CHECK (role IN ('lauréate', 'candidate', 'intéressée')),
    phase          INTEGER CHECK (phase IS NULL OR phase >= 1),
    quartier_name  VARCHAR,
    quartier_site_id VARCHAR REFERENCES sites (site_id),
    quartier_source_id VARCHAR REFERENCES sources (source_id),
    theme_slug     VARCHAR REFERENCES themes (theme_slug),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    PRIMARY KEY (edition_id, insee),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Calls: the call to communes (AMI) and the call for projects (AAP) of each edition.
CREATE TABLE calls (
    call_id        VARCHAR PRIMARY KEY,
    edition_id     INTEGER NOT NULL REFERENCES editions (edition_id),
    kind           VARCHAR NOT NULL CHECK (kind IN ('communes', 'projects')),
    label_fr       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    phase          INTEGER,
    opens_on       DATE,
    closes_on      DATE,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (closes_on IS NULL OR opens_on IS NULL OR closes_on >= opens_on),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- The published figures: every number the documents print, with the sentence it stands in.
CREATE TABLE published_figures (
    figure_id      VARCHAR PRIMARY KEY,
    edition_id     INTEGER REFERENCES editions (edition_id),
    value          DOUBLE NOT NULL,
    unit           VARCHAR NOT NULL CHECK (unit IN ('count', 'ratio', 'months', 'years', 'people', 'score_10', 'euros', 'kg', 'm3', 'inhabitants')),
    qualifier      VARCHAR CHECK (qualifier IN ('plus de', 'près de', 'environ', 'en moyenne', 'au moins', 'jusqu''à', 'minimum', 'maximum')),
    rounding_step  DOUBLE,              -- the precision the figure is printed with (0.01 for "70 %")
    label_fr       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    document       VARCHAR NOT NULL,    -- file name under ../shared/
    section        VARCHAR NOT NULL,    -- the heading it stands under
    quote          VARCHAR NOT NULL,    -- the sentence it stands in, verbatim
    note           VARCHAR,             -- why it cannot be recomputed, when that is known
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Aggregates of a call as published (row-level candidatures are rarely public).
CREATE TABLE call_figures (
    call_id        VARCHAR NOT NULL REFERENCES calls (call_id),
    measure        VARCHAR NOT NULL CHECK (measure IN ('marks_of_interest', 'applications', 'selected', 'international_share', 'increase_vs_paris_calls')),
    value          DOUBLE NOT NULL,
    figure_id      VARCHAR REFERENCES published_figures (figure_id),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    PRIMARY KEY (call_id, measure, source_id),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

CREATE TABLE projects (
    project_id     VARCHAR PRIMARY KEY,         -- slug
    edition_id     INTEGER NOT NULL REFERENCES editions (edition_id),
    name           VARCHAR NOT NULL,
    operator       VARCHAR,
    insee          VARCHAR REFERENCES communes (insee),
    family_slug    VARCHAR REFERENCES project_families (family_slug),
    type_slug      VARCHAR REFERENCES solution_types (type_slug),
    subtype_fr     VARCHAR,                     -- the second label printed after the type (CITOYENNETÉ...)
    theme_slug     VARCHAR REFERENCES themes (theme_slug),
    theme_source_id VARCHAR REFERENCES sources (source_id),   -- where the défi comes from, when not source_id
    description_fr VARCHAR,
    lessons_fr     VARCHAR,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,                     -- where the description stands
    lessons_section VARCHAR,                    -- where the lessons stand (same document), when elsewhere
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

CREATE TABLE project_sites (
    project_id     VARCHAR NOT NULL REFERENCES projects (project_id),
    site_id        VARCHAR NOT NULL REFERENCES sites (site_id),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    PRIMARY KEY (project_id, site_id),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Candidatures, row level where known (a commune to the AMI, a project to the AAP).
CREATE TABLE candidatures (
    candidature_id VARCHAR PRIMARY KEY,
    call_id        VARCHAR NOT NULL REFERENCES calls (call_id),
    applicant      VARCHAR NOT NULL,
    insee          VARCHAR REFERENCES communes (insee),
    project_id     VARCHAR REFERENCES projects (project_id),
    theme_slug     VARCHAR REFERENCES themes (theme_slug),
    is_international BOOLEAN,
    status         VARCHAR NOT NULL CHECK (status IN ('déposée', 'lauréate', 'non retenue')),
    submitted_on   DATE,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Status history of a project. A dated event keeps the precision its source gives.
CREATE TABLE project_events (
    event_id       VARCHAR PRIMARY KEY,
    project_id     VARCHAR NOT NULL REFERENCES projects (project_id),
    kind           VARCHAR NOT NULL CHECK (kind IN ('selected', 'started', 'agreement_signed', 'deployed', 'tested',
                                                    'evaluated', 'continued', 'stopped')),
    date_start     DATE,
    date_end       DATE,
    date_precision VARCHAR CHECK (date_precision IN ('day', 'month', 'season', 'year')),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK ((date_start IS NULL) = (date_precision IS NULL)),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- The evaluation indicator library.
CREATE TABLE indicators (
    indicator_id   VARCHAR PRIMARY KEY,
    label_fr       VARCHAR NOT NULL UNIQUE,
    label_en       VARCHAR NOT NULL,
    domain         VARCHAR NOT NULL CHECK (domain IN ('environnemental', 'social', 'économique', 'retours usagers', 'efficacité')),
    unit           VARCHAR NOT NULL,
    direction      VARCHAR NOT NULL CHECK (direction IN ('hausse', 'baisse', 'neutre')),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Which project follows which indicator.
CREATE TABLE project_indicators (
    project_id     VARCHAR NOT NULL REFERENCES projects (project_id),
    indicator_id   VARCHAR NOT NULL REFERENCES indicators (indicator_id),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    PRIMARY KEY (project_id, indicator_id),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

CREATE TABLE indicator_values (
    project_id     VARCHAR NOT NULL REFERENCES projects (project_id),
    indicator_id   VARCHAR NOT NULL REFERENCES indicators (indicator_id),
    measured_on    DATE NOT NULL,
    value          DOUBLE NOT NULL,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    PRIMARY KEY (project_id, indicator_id, measured_on),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- The experimental protocol of each followed indicator of a project: where it starts (baseline), where it should
-- go (target), in which direction (the indicator's unless overridden, with the reason), its status and who set it.
-- The documents publish none: the reference data holds no row, and a followed indicator without one is « à définir ».
-- Progress is derived from it (indicator_progress, README « Protocole et avancement »).
CREATE TABLE indicator_protocols (
    project_id     VARCHAR NOT NULL REFERENCES projects (project_id),
    indicator_id   VARCHAR NOT NULL REFERENCES indicators (indicator_id),
    status         VARCHAR NOT NULL CHECK (status IN ('à définir', 'défini', 'validé')),
    baseline_value DOUBLE,
    baseline_on    DATE,
    target_value   DOUBLE,
    target_on      DATE,
    direction      VARCHAR CHECK (direction IN ('hausse', 'baisse', 'neutre')),  -- NULL: the indicator's
    direction_reason VARCHAR,
    author         VARCHAR,            -- who set or validated the protocol
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    PRIMARY KEY (project_id, indicator_id),
    CHECK (target_on IS NULL OR baseline_on IS NULL OR target_on > baseline_on),
    CHECK (direction IS NULL OR (direction_reason IS NOT NULL AND trim(direction_reason) <> '')),
    CHECK (status = 'à définir' OR (baseline_value IS NOT NULL AND baseline_on IS NOT NULL
                                    AND target_value IS NOT NULL AND target_on IS NOT NULL)),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- The five criteria of the replicability index.
CREATE TABLE replicability_criteria (
    criterion_id   VARCHAR PRIMARY KEY,
    label_fr       VARCHAR NOT NULL UNIQUE,
    label_en       VARCHAR NOT NULL,
    rank           INTEGER NOT NULL,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Scores from 0 (none) to 5 (strong); the index is their mean over 5.
CREATE TABLE replicability_scores (
    project_id     VARCHAR NOT NULL REFERENCES projects (project_id),
    criterion_id   VARCHAR NOT NULL REFERENCES replicability_criteria (criterion_id),
    score          DOUBLE NOT NULL CHECK (score BETWEEN 0 AND 5),
    scored_on      DATE,
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    PRIMARY KEY (project_id, criterion_id),
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Rencontres de la Communauté des Expérimentateurs.
CREATE TABLE community_events (
    event_id       VARCHAR PRIMARY KEY,
    edition_id     INTEGER NOT NULL REFERENCES editions (edition_id),
    insee          VARCHAR REFERENCES communes (insee),
    date_start     DATE,
    date_precision VARCHAR CHECK (date_precision IN ('day', 'month', 'season', 'year')),
    format_fr      VARCHAR,
    format_en      VARCHAR,
    participants   INTEGER CHECK (participants IS NULL OR participants >= 0),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Territorial diagnostics by the Institut Paris Région.
CREATE TABLE diagnostics (
    diagnostic_id  VARCHAR PRIMARY KEY,
    edition_id     INTEGER NOT NULL REFERENCES editions (edition_id),
    insee          VARCHAR REFERENCES communes (insee),
    kind           VARCHAR NOT NULL CHECK (kind IN ('marche sensible', 'balade urbaine', 'entretiens', 'atelier carte sur table')),
    held_on        DATE,
    date_precision VARCHAR CHECK (date_precision IN ('day', 'month', 'season', 'year')),
    participants   INTEGER CHECK (participants IS NULL OR participants >= 0),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Questionnaire results (aggregates as published).
CREATE TABLE surveys (
    result_id      VARCHAR PRIMARY KEY,
    edition_id     INTEGER NOT NULL REFERENCES editions (edition_id),
    respondents    VARCHAR NOT NULL CHECK (respondents IN ('communes', 'porteurs de projet')),
    topic          VARCHAR NOT NULL CHECK (topic IN ('motif', 'frein', 'compétences', 'perspectives')),
    rank           INTEGER,
    label_fr       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    value          DOUBLE NOT NULL,
    unit           VARCHAR NOT NULL CHECK (unit IN ('ratio', 'score_10', 'people')),
    figure_id      VARCHAR REFERENCES published_figures (figure_id),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Who organises, operates, funds or helps the programme (or one project), as the documents say it:
-- one row per partner, role and document, with the sentence that says it.
CREATE TABLE partners (
    partner_id     VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    role           VARCHAR NOT NULL CHECK (role IN ('organisateur', 'opérateur', 'financeur', 'partenaire',
                                                    'accompagnement', 'diagnostic', 'international', 'évaluation',
                                                    'jury', 'rédaction')),
    edition_id     INTEGER REFERENCES editions (edition_id),   -- NULL: the programme as a whole
    project_id     VARCHAR REFERENCES projects (project_id),   -- set when the partner helps one project
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR NOT NULL,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> '')),
    PRIMARY KEY (partner_id, role, source_id)
);

-- Awards and labels the documents name, for the programme (project_id NULL) or a project.
CREATE TABLE awards (
    award_id       VARCHAR PRIMARY KEY,
    project_id     VARCHAR REFERENCES projects (project_id),
    label          VARCHAR NOT NULL,
    awarded_by     VARCHAR,
    year           INTEGER CHECK (year IS NULL OR year BETWEEN 2000 AND 2100),
    outcome        VARCHAR NOT NULL CHECK (outcome IN ('lauréat', 'finaliste', 'label', 'mention')),
    source_id      VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section VARCHAR,
    source_quote   VARCHAR NOT NULL,
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Other spellings of a name, as a document writes it (Pélican Cycles for the project Pelican). entity_id is the
-- entity's key in its table: project_id, partner_id, edition_id, call_id, theme_slug; for an entity with no table
-- of its own (programme, publication), a slug of its usual name.
CREATE TABLE aliases (
    alias_id        VARCHAR PRIMARY KEY,
    entity_kind     VARCHAR NOT NULL CHECK (entity_kind IN ('project', 'partner', 'programme', 'edition', 'call',
                                                            'theme', 'publication')),
    entity_id       VARCHAR NOT NULL,
    name_as_written VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL REFERENCES sources (source_id),
    source_section  VARCHAR,
    source_quote    VARCHAR NOT NULL,   -- the sentence where the name is written that way, verbatim
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> ''))
);

-- Every contradiction a careful reading finds between the documents, inside one, or between a document and the
-- reference data, each with both sentences verbatim. A quote made of several excerpts joins them with « […] ».
CREATE TABLE contradictions (
    contradiction_id VARCHAR PRIMARY KEY,
    edition_id     INTEGER REFERENCES editions (edition_id),   -- NULL: the programme as a whole
    topic_fr       VARCHAR NOT NULL,
    topic_en       VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL CHECK (kind IN ('between_documents', 'within_document', 'data_vs_document')),
    source_a       VARCHAR NOT NULL REFERENCES sources (source_id),
    section_a      VARCHAR,
    quote_a        VARCHAR NOT NULL,
    source_b       VARCHAR NOT NULL REFERENCES sources (source_id),
    section_b      VARCHAR,
    quote_b        VARCHAR NOT NULL,
    shown_fr       VARCHAR NOT NULL,    -- what the dashboard shows and why, to be read aloud
    shown_en       VARCHAR NOT NULL,
    page           VARCHAR NOT NULL,    -- the page concerned: a name of dashboard/registry.py (its address /<name>)
    kpi_id         VARCHAR,             -- the KPI of the card concerned (family members included: theme_share:<slug>)
    figure_ids     VARCHAR,             -- published_figures ids, space-separated
    basis          VARCHAR NOT NULL CHECK (basis IN ('stated', 'inferred', 'modelled')),
    basis_rule     VARCHAR,
    CHECK (basis = 'stated' OR (basis_rule IS NOT NULL AND trim(basis_rule) <> '')),
    CHECK ((kind = 'within_document') = (source_a = source_b))
);

-- Facts about the database itself: synthetic or reference, scale, seed, data version.
CREATE TABLE meta (
    key            VARCHAR PRIMARY KEY,
    value          VARCHAR NOT NULL
);

-- Every import of managers' data and every rollback (python -m qmi_metrics import / rollback).
-- Not loaded from data/ (not in loader.TABLES): `build` creates it empty; publishing carries it
-- from version to version, and <db dir>/audit.jsonl keeps a copy that survives a rollback.
CREATE TABLE audit_log (
    entry_id         VARCHAR PRIMARY KEY,
    action           VARCHAR NOT NULL CHECK (action IN ('import', 'rollback')),
    logged_at        TIMESTAMP NOT NULL,            -- UTC
    by_user          VARCHAR NOT NULL,
    file_name        VARCHAR,
    file_sha256      VARCHAR,
    table_name       VARCHAR,
    mode             VARCHAR CHECK (mode IN ('append', 'upsert', 'replace')),
    rows_added       INTEGER,
    rows_updated     INTEGER,
    rows_unchanged   INTEGER,
    rows_removed     INTEGER,
    changes          VARCHAR,                       -- JSON: rows added / updated / unchanged / removed per table
    version          VARCHAR NOT NULL,              -- the version this action made live
    previous_version VARCHAR,
    -- Added with roles (qmi_metrics/admin/roles.py), so at the end: a file from before lacks them, and the next
    -- version made from it has them, NULL for its older entries.
    by_role          VARCHAR,                       -- reader, commune_editor, programme_manager, administrator
    by_scope         VARCHAR,                       -- JSON: a commune editor's INSEE codes; NULL: every commune
    communes         VARCHAR                        -- JSON: the INSEE codes the rows concern; NULL: the programme's
);

-- Derived tables: refilled from the tables above whenever the database is built or a version is
-- published (qmi_metrics/rollups.py). Never loaded from data/ nor imported: pages read these
-- instead of the raw series, and the KPI registry's values for every edition × commune view.

-- The indicator series per project, indicator and month.
CREATE TABLE indicator_monthly (
    project_id     VARCHAR NOT NULL,
    indicator_id   VARCHAR NOT NULL,
    month          DATE NOT NULL,              -- first day of the month
    measurements   BIGINT NOT NULL,
    mean           DOUBLE NOT NULL,
    min            DOUBLE NOT NULL,
    max            DOUBLE NOT NULL,
    first_on       DATE NOT NULL,
    last_on        DATE NOT NULL,
    last_value     DOUBLE NOT NULL,
    source_ids     VARCHAR NOT NULL,           -- the sources of the month's values, comma-separated
    PRIMARY KEY (project_id, indicator_id, month)
);

-- Each followed indicator's progress from its protocol (rollups.INDICATOR_PROGRESS; README « Protocole et
-- avancement »). Measurements dated before the baseline are ignored; current = the latest one since.
CREATE TABLE indicator_progress (
    project_id     VARCHAR NOT NULL,
    indicator_id   VARCHAR NOT NULL,
    has_protocol   BOOLEAN NOT NULL,
    status         VARCHAR NOT NULL,           -- the protocol's; « à définir » without a protocol row
    direction      VARCHAR NOT NULL,           -- desired: the protocol's override, else the indicator's
    baseline_value DOUBLE,
    baseline_on    DATE,
    target_value   DOUBLE,
    target_on      DATE,
    current_value  DOUBLE,                     -- the latest measurement on or after the baseline date
    current_on     DATE,
    previous_value DOUBLE,                     -- the one before: the previous month's last, else the baseline
    previous_on    DATE,
    older_ignored  BIGINT NOT NULL,            -- measurements dated before the baseline, left out
    progress_raw   DOUBLE,                     -- (current − baseline) / (target − baseline)
    progress       DOUBLE,                     -- the same, clamped to [0, 1]
    elapsed        DOUBLE,                     -- share of baseline → target elapsed at current_on, in [0, 1]
    on_track       BOOLEAN,                    -- progress >= elapsed
    trend          VARCHAR,                    -- up | stable | down, since the previous measurement
    reason         VARCHAR,                    -- why progress is not computable (NULL: it is)
    incomplete     BOOLEAN NOT NULL,           -- no protocol, or one without its baseline, target or their dates
    PRIMARY KEY (project_id, indicator_id)
);

-- Every KPI for every view it can be filtered by: edition (NULL = all) × commune (NULL = all).
CREATE TABLE kpi_values (
    kpi_id         VARCHAR NOT NULL,           -- family members included: theme_share:<slug>
    edition_id     INTEGER,
    insee          VARCHAR,
    value          DOUBLE,
    covered        BIGINT,
    total          BIGINT,
    fixed          BOOLEAN NOT NULL            -- the KPI takes no filter: one value for every view
);

-- The inferred or modelled rows each KPI's value rests on (Kpi.basis_sql), for the same views: one row per rule.
CREATE TABLE kpi_bases (
    kpi_id         VARCHAR NOT NULL,
    edition_id     INTEGER,
    insee          VARCHAR,
    basis          VARCHAR NOT NULL,           -- inferred | modelled
    basis_rule     VARCHAR,
    rows           BIGINT NOT NULL
);

-- The members of each KPI family, with their labels (KPI id = <family>:<key>).
CREATE TABLE kpi_keys (
    family         VARCHAR NOT NULL,
    key            VARCHAR NOT NULL,
    label_fr       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (family, key)
);
