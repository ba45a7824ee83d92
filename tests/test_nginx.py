"""deploy/nginx.conf as deploy/local_nginx.py renders it: `nginx -t` accepts it, and a real nginx serves the
showcase's precompressed pages and assets with their caching, and caches and compresses Streamlit's bundle.

Skips where nginx is absent, unless QMI_NGINX_TESTS=required (set by .ci/run, which installs it)."""

from __future__ import annotations

import gzip
import http.server
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from helpers import REPO, free_port

from qmi_metrics.store import settings

sys.path.insert(0, str(REPO / "deploy"))
from local_nginx import LocalNginx, find_nginx  # noqa: E402

NGINX = find_nginx()
if NGINX is None:
    if settings.value("QMI_NGINX_TESTS") == "required":
        raise RuntimeError("QMI_NGINX_TESTS=required but nginx is missing (apt-get install nginx)")
    pytest.skip("no nginx (apt-get install nginx): nginx tests skipped", allow_module_level=True)

PAGE = "<!doctype html><html lang='fr'><title>Programme</title>" + "<p>Quartiers Métropolitains d'Innovation</p>" * 200
STYLE = "body { font-family: sans-serif; }\n" * 200
BUNDLE = "function streamlit(){return 1}\n" * 2000


def site(folder):
    """A tiny export: the layout of export-site, a .gz beside each page and stylesheet."""
    files = {"index.html": PAGE, "fr/index.html": PAGE, "fr/edition-1.html": PAGE, "assets/site.3f2a9c.css": STYLE}
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(text.encode()))
    return folder


class Replica(http.server.BaseHTTPRequestHandler):
    """Stands for a Streamlit replica's /static/: an uncompressed, hashed, immutable bundle; counts requests."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Replica.requests.append(self.path)
        body = BUNDLE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript; charset=utf-8")
        self.send_header("Cache-Control", "public, immutable, max-age=31536000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("nginx")
    replica = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Replica)
    threading.Thread(target=replica.serve_forever, daemon=True).start()
    server = LocalNginx(workdir, [replica.server_address[1]], free_port(), site_dir=site(workdir / "site"))
    try:
        server.start(NGINX)
        deadline = time.time() + 10
        while True:
            try:
                urllib.request.urlopen(server.url + "/vitrine/", timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    pytest.fail(f"nginx did not answer within 10 s:\n{server.error_log.read_text()[-2000:]}")
                time.sleep(0.1)
        yield server
    finally:
        server.stop()
        replica.shutdown()


def get(url: str, gzip_ok: bool = True):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def test_nginx_accepts_the_rendered_configuration(nginx):
    checked = nginx.check(NGINX)
    assert checked.returncode == 0, checked.stderr
    assert "${" not in nginx.site.read_text()  # every placeholder filled


@pytest.mark.parametrize("path", ["/vitrine/", "/vitrine/fr/", "/vitrine/fr/edition-1.html"])
def test_a_page_is_sent_precompressed_with_a_short_cache(nginx, path):
    status, headers, body = get(nginx.url + path)
    assert status == 200
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body).decode() == PAGE
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=60, must-revalidate"
    assert headers["Vary"] == "Accept-Encoding"
    status, headers, body = get(nginx.url + path, gzip_ok=False)  # a client without gzip: the plain file
    assert headers["Content-Encoding"] is None and body.decode() == PAGE


def test_a_hashed_asset_is_cached_for_a_year(nginx):
    status, headers, body = get(nginx.url + "/vitrine/assets/site.3f2a9c.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body).decode() == STYLE
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_showcase_never_reaches_a_replica(nginx):
    before = len(Replica.requests)
    with pytest.raises(urllib.error.HTTPError) as missing:
        get(nginx.url + "/vitrine/fr/no-such-page.html")
    assert missing.value.code == 404
    assert urllib.request.urlopen(nginx.url + "/vitrine", timeout=10).url.endswith("/vitrine/")  # redirected
    assert len(Replica.requests) == before


def test_streamlit_s_bundle_is_compressed_and_fetched_once_from_the_replicas(nginx):
    path = "/static/js/index.9b1c2d.js"
    seen = []
    for _ in range(3):
        status, headers, body = get(nginx.url + path)
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body).decode() == BUNDLE and len(body) < len(BUNDLE) / 10
        seen.append(headers["X-Cache-Status"])
    assert seen == ["MISS", "HIT", "HIT"]
    assert Replica.requests.count(path) == 1
