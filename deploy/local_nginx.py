"""deploy/nginx.conf on this machine without root: rendered as docs/deploy.md says, wrapped in a minimal main
config whose pid, logs, cache and temp paths are all under one folder, checked with `nginx -t`, run in the
foreground and stopped by its own pid. Used by deploy/two_replicas.py, benchmarks/audience.py and the tests.
Installs nothing (Debian: apt-get install -y nginx)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")  # Debian's; the site's .css and .svg need their types
LOG_FORMAT = ('$msec $status "$upstream_status" "$upstream_addr" route=$qmi_route rt=$request_time'
              ' bytes=$bytes_sent "$request"')


def find_nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                          if os.access(p, os.X_OK)), None)


def render_site(listen: str, ports: list[int], site_dir: Path, cache_dir: Path) -> str:
    """deploy/nginx.conf with its placeholders filled, as envsubst would; replicas on loopback ports."""
    upstreams = " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
    values = {"QMI_LISTEN": listen, "QMI_UPSTREAMS": upstreams, "QMI_SITE_DIR": str(Path(site_dir).resolve()),
              "QMI_CACHE_DIR": str(Path(cache_dir).resolve())}
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


def main_config(prefix: Path, site: Path, workers: int | str = 1) -> str:
    """A non-root nginx: everything under the prefix, in the foreground."""
    types = f"include {MIME_TYPES};" if MIME_TYPES.exists() else ""
    # Started as root, nginx would run its workers as nobody, who cannot read a private temporary folder:
    # they keep the caller's user (a local test server, not a deployment).
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    return f"""daemon off;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
worker_processes {workers};
events {{ worker_connections 4096; }}
http {{
    {types}
    default_type application/octet-stream;
    log_format qmi '{LOG_FORMAT}';
    access_log {prefix}/access.log qmi;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""


class LocalNginx:
    """nginx with deploy/nginx.conf under `workdir` (kept by the caller), in front of loopback `ports`."""

    def __init__(self, workdir: Path, ports: list[int], listen_port: int, site_dir: Path | None = None,
                 workers: int | str = 1):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{listen_port}"
        self.access_log = self.workdir / "access.log"
        self.error_log = self.workdir / "error.log"
        site_dir = Path(site_dir) if site_dir is not None else self.workdir / "empty-site"
        site_dir.mkdir(parents=True, exist_ok=True)
        self.site = self.workdir / "qmi.conf"
        self.site.write_text(render_site(f"127.0.0.1:{listen_port}", ports, site_dir, self.workdir / "cache"),
                             encoding="utf-8")
        self.conf = self.workdir / "nginx.conf"
        self.conf.write_text(main_config(self.workdir, self.site, workers), encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def check(self, nginx: str) -> subprocess.CompletedProcess:
        return subprocess.run([nginx, "-t", "-p", str(self.workdir), "-c", str(self.conf)], capture_output=True,
                              text=True)

    def start(self, nginx: str) -> "LocalNginx":
        checked = self.check(nginx)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refuses the configuration:\n{checked.stderr}")
        log = open(self.workdir / "nginx.stdout.log", "w")
        self.process = subprocess.Popen([nginx, "-p", str(self.workdir), "-c", str(self.conf)], stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish their requests
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
