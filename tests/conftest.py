"""Shared fixtures: databases built from the text sources into temporary folders; and the rule that applies the
browser and slow markers (end of file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qmi_metrics.store import db, loader

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def reference_db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reference") / "qmi.duckdb"
    loader.build(path)
    return path


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    loader.build_synthetic(path, scale=3, seed=7)
    return path


@pytest.fixture
def reference_con(reference_db_path):
    con = db.connect(reference_db_path)
    yield con
    con.close()


@pytest.fixture
def demo_con(demo_db_path):
    con = db.connect(demo_db_path)
    yield con
    con.close()


@pytest.fixture
def writable_reference(reference_db_path, tmp_path):
    """A private read-write copy of the reference database, for tests that add rows."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(reference_db_path, path)
    con = db.connect(path, read_only=False)
    yield con
    con.close()


@pytest.fixture
def shared_dir() -> Path:
    if not (SHARED / "seeds").exists():
        pytest.skip(f"../shared is not beside the repository ({SHARED}): source documents unavailable")
    return SHARED


# --- markers (declared in pytest.ini) --------------------------------------------------------------------------
# Applied here by a rule, not in the test files: `browser` to every test of tests/test_browser*.py and to the
# tests named in BROWSER; `slow` to the tests named in SLOW. A name is "file::function", the function being a test
# (every parametrization) or a fixture of that file (every test that needs it: a slow fixture is paid by whichever
# of its tests runs first). `make test-fast` runs -m "not browser and not slow".

BROWSER = {  # tests that start Chromium outside tests/test_browser*.py: Playwright, or kaleido drawing chart images
    "test_long_text.py::test_slideshow_keeps_long_texts_inside_the_screen",
    "test_one_voice.py::test_the_report_html_prints_the_key_figures_as_the_model_holds_them",
    "test_reports.py::test_a_report_without_projects_says_so",
    "test_reports.py::test_all_28_reference_sheets_in_one_command",
    "test_reports.py::test_cli_process_exits_cleanly",
    "test_reports.py::test_cli_writes_each_kind",
    "test_reports.py::test_commune_report_for_one_edition",
    "test_reports.py::test_edition_1_report_headline_numbers",
    "test_reports.py::test_every_commune_report_holds_its_kpis_and_projects",
    "test_reports.py::test_every_edition_report_pdf_and_html",
    "test_reports.py::test_every_synthetic_sheet_in_one_command",
    "test_reports.py::test_figure_png_is_an_image_of_the_size_asked",
    "test_reports.py::test_purple_sheet_says_what_the_documents_say",
    "test_reports.py::test_rasterised_sheet_page_stays_inside_its_margins",
    "test_reports.py::test_sheet_charts_are_the_pages_figures_as_images",
    "test_reports.py::test_sheet_html_has_the_same_content",
    "test_reports.py::test_synthetic_sheets_show_values_scores_and_the_synthetic_mark",
}
# Slow: over about 1 s each, or about 3 s over all its parametrizations, on an idle 2-core machine (measured
# with --durations=0). At 5 s, `make test-fast` took over 4 minutes; this keeps it under two.
SLOW = {
    "test_opendata.py::test_frictionless_validates_the_package_of_the_reference_database",
    "test_opendata.py::test_frictionless_catches_a_broken_reference_and_a_broken_constraint",
    "test_opendata.py::test_nothing_about_people_in_any_file",
    "test_opendata.py::test_the_sources_page_offers_the_package",
    "test_reports.py::test_the_edition_report_tells_the_findings_in_the_sources_page_s_sentences",
    "test_reports.py::test_sheets_and_reports_say_which_rows_are_not_stated",
    "test_cli.py::test_edition_2_kpis_are_numbers_with_coverage_or_unknown_never_a_zero_over_nothing",
    "test_app.py::test_sources_page_lists_every_figure",
    "test_page_sources.py::test_the_page_renders_for_the_other_views",
    "test_page_sources.py::test_the_page_opens_on_the_grouped_findings_then_the_full_tables",
    "test_synthetic.py::test_every_foreign_key_resolves",
    "test_admin.py::test_every_page_script_checks_access_by_itself",
    "test_admin.py::test_hash_password_command",
    "test_admin.py::test_history_shows_an_import_and_the_pages_its_data",
    "test_admin.py::test_a_rollback_on_the_page_says_whether_the_showcase_followed",
    "test_admin.py::test_reading_can_require_login",
    "test_admin.py::test_wrong_passwords_slow_down_their_own_client_only",
    "test_app.py::test_the_app_serves_a_new_database_version_without_restart",
    "test_benchmark_kpis.py::test_baseline_equals_registry_for_every_view",
    "test_cli.py::test_build_over_an_unreadable_file_asks_for_force_then_rebuilds",
    "test_cli.py::test_build_prints_what_it_loaded",
    "test_cli.py::test_build_refuses_to_drop_managers_imports",
    "test_cli.py::test_demo_builds_a_marked_synthetic_database",
    "test_cli.py::test_demo_rejects_a_bad_scale",
    "test_cli.py::test_kpis_accept_a_commune_name_or_code",
    "test_cli.py::test_kpis_json_shape",
    "test_cli.py::test_kpis_table_is_french",
    "test_cli.py::test_missing_database_is_a_clear_error",
    "test_cli.py::test_reconcile_json_shape",
    "test_cli.py::test_reconcile_table_ends_with_counts",
    "test_cli.py::test_unknown_filter_values_exit_non_zero_listing_valid_ones",
    "test_data.py::test_building_twice_gives_the_same_database",
    "test_exports.py::test_administration_downloads_are_inert",
    "test_exports.py::test_every_download_of_every_page_is_inert",
    "test_faults.py::test_a_broken_database_gives_a_clear_page_then_recovers_when_a_good_file_is_published",
    "test_faults.py::test_every_page_leaves_the_file_as_it_was",
    "test_faults.py::test_every_page_shows_the_unavailable_page_in_english_too",
    "test_faults.py::test_the_default_database_is_built_on_first_start_when_missing",
    "test_digest.py::scenario",  # a database copy, two imports through the publishing path
    "test_digest.py::test_a_quiet_week_says_so_and_the_period_is_read_from_the_command_line",
    "test_digest.py::test_findings_that_changed_are_read_against_the_kept_version",
    "test_freshness.py::one_late_project",  # a synthetic database built for the page
    "test_freshness.py::test_an_import_is_an_update_and_says_who",
    "test_freshness.py::test_reports_slides_pptx_and_exports_say_when_the_data_were_published",
    "test_freshness.py::test_the_page_on_the_reference_database_says_what_its_dates_rest_on",
    "test_fuzz.py::test_every_page_with_every_parameter_hostile",
    "test_fuzz.py::test_the_project_search_box",
    "test_fuzz.py::test_url_parameters_in_the_slideshow",
    "test_fuzz.py::test_url_parameters_on_the_entry_page",
    "test_fuzz.py::test_url_parameters_then_a_page",
    "test_i18n.py::test_codemod_rewrites_the_pairs_writes_the_catalogue_and_keeps_what_is_shown",
    "test_import.py::bad_runs",  # every bad file through the command line, all at once
    "test_import.py::good_runs",  # every good file through the command line, all at once
    "test_import.py::test_an_exported_table_imports_back_without_loss",
    "test_import.py::test_an_import_waiting_too_long_for_the_lock_fails_clearly",
    "test_import.py::test_history_and_rollback",
    "test_import.py::test_sigkill_mid_import_leaves_the_previous_version_intact",
    "test_import.py::test_template_command",
    "test_import.py::test_two_imports_at_once_are_serialised_and_the_later_one_wins",
    "test_import_hostile.py::hostile",  # generates the hostile files (`runs` then imports each of them)
    "test_import_rules.py::test_the_cli_prints_warnings_and_publishes",
    "test_long_text.py::test_pdfs_lay_out_long_names_and_descriptions",
    "test_long_text.py::test_slides_cut_long_texts_to_their_boxes",
    "test_one_voice.py::test_every_output_prints_the_same_card",
    "test_page_carte.py::test_every_edition_renders",
    "test_page_carte.py::test_the_commune_picker_filters_the_app",
    "test_page_communaute.py::test_every_edition_renders",
    "test_page_deploiement.py::test_page_renders_for_every_edition_and_commune",
    "test_page_evaluation.py::test_page_renders_for_every_edition_and_commune",
    "test_page_projets.py::test_page_renders_for_every_edition_and_commune",
    "test_page_thematiques.py::test_page_renders_for_every_edition_and_commune",
    "test_page_thematiques.py::test_page_says_the_shares_ignore_the_defi_filter",
    "test_pages.py::test_page_renders_for_every_view",
    "test_parquet.py::exported",  # one export through the command line per database
    "test_parquet.py::test_missing_database_exits_2_with_a_clear_message",
    "test_parquet.py::test_the_command_line_computes_the_kpis_over_a_parquet_export",
    "test_presentation.py::test_page_renders_every_view",
    "test_protocol_load.py::app_url",  # a real server of the app, and the load runs against it
    "test_protocol_load.py::test_an_exception_on_the_page_is_an_error",
    "test_properties.py::test_filters_never_raise_on_any_string",
    "test_properties.py::test_rates_stay_between_zero_and_one",
    "test_properties.py::test_theme_shares_of_a_partition_sum_to_one",
    "test_publish_writable.py::test_a_read_only_audit_log_refuses_before_publishing_then_the_import_works",
    "test_publish_writable.py::test_a_read_only_database_folder_refuses_before_publishing",
    "test_publish_writable.py::test_a_read_only_lock_file_refuses_before_publishing",
    "test_publish_writable.py::test_a_read_only_versions_folder_refuses_before_publishing",
    "test_publish_writable.py::test_a_rollback_with_a_read_only_audit_log_is_refused",
    "test_publish_writable.py::test_an_audit_append_failing_after_the_swap_is_reported_and_caught_up",
    "test_publish_writable.py::test_an_audit_log_that_is_a_folder_is_named",
    "test_reports.py::test_edition_1_deck_numbers_and_shapes",
    "test_reports.py::test_every_edition_deck",
    "test_reports.py::test_every_page_has_its_header_footer_and_number_and_long_tables_repeat_their_header",
    "test_reports.py::test_rasterised_slide",
    "test_rollups.py::test_stored_kpi_values_equal_each_kpis_own_sql",
    "test_rollups.py::test_writes_show_only_after_a_refresh",
    "test_settings.py::test_the_command_line_refuses_a_bad_value_without_a_traceback",
    "test_synthetic.py::test_counts_follow_the_scale",
    "test_synthetic.py::test_other_seed_other_content",
    "test_synthetic.py::test_same_seed_same_content",
    "test_site.py::reference_site",  # a whole showcase per database, both languages
    "test_site.py::demo_site",
    "test_site.py::published_site",  # a database copy and its showcase, then publishes
    "test_site.py::test_the_qr_code_opens_the_showcase_page_when_it_has_an_address",
    "test_site.py::test_a_folder_that_is_not_a_site_is_refused",
    "test_site.py::test_the_command_line_writes_the_site",
}


def _marked(item, names: set[str]) -> bool:
    return any(f"{item.path.name}::{name}" in names for name in (item.originalname, *item.fixturenames))


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    unknown = set()
    for item in items:
        if item.path.name.startswith("test_browser") or _marked(item, BROWSER):
            item.add_marker(pytest.mark.browser)
        if _marked(item, SLOW):
            item.add_marker(pytest.mark.slow)
        for listed in BROWSER | SLOW:  # a renamed test or fixture must not lose its marker unnoticed
            file, name = listed.split("::")
            if file == item.path.name and not hasattr(item.module, name):
                unknown.add(listed)
    if unknown:
        raise pytest.UsageError(f"tests/conftest.py marks tests that do not exist: {sorted(unknown)}")


@pytest.fixture
def downloads(monkeypatch):
    """Every download button's file as the page hands it to Streamlit: {file name: bytes, str or callable}
    (helpers.download_bytes reads one)."""
    from streamlit.elements.widgets import button

    seen: dict = {}
    original = button.marshall_file

    def record(coordinates, data, proto, mimetype, file_name=None, **kwargs):
        seen[file_name] = data
        return original(coordinates, data, proto, mimetype, file_name, **kwargs)

    monkeypatch.setattr(button, "marshall_file", record)
    return seen
