#!/bin/sh
# One dashboard replica: `streamlit run app.py` on $PORT, serving the published database $QMI_DB read-only.
# Stateless: run as many as needed (one per port or per machine) behind deploy/nginx.conf. See docs/deploy.md.
#
#   QMI_DB=/srv/qmi/qmi.duckdb PORT=8501 STREAMLIT_SERVER_COOKIE_SECRET=... deploy/run_replica.sh
set -eu
cd "$(dirname "$0")/.."
: "${QMI_DB:?set QMI_DB to the published database (on shared storage)}"
PORT="${PORT:-8501}"
ADDRESS="${QMI_ADDRESS:-0.0.0.0}"
# Fail at once, not at the first visit, when the published file is not there (the app would show it as
# unavailable until it appears).
if [ ! -f "$QMI_DB" ]; then
  echo "QMI_DB=$QMI_DB: no such file; publish it first (python -m qmi_metrics build --db \"$QMI_DB\")" >&2
  exit 2
fi
if [ -z "${STREAMLIT_SERVER_COOKIE_SECRET:-}" ]; then
  echo "warning: STREAMLIT_SERVER_COOKIE_SECRET is not set; each replica will pick its own (see docs/deploy.md)" >&2
fi
exec "${PYTHON:-.venv/bin/python}" -m streamlit run app.py \
  --server.headless true --server.port "$PORT" --server.address "$ADDRESS" \
  --browser.gatherUsageStats false --server.fileWatcherType none
