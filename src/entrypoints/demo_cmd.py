"""``meshslo demo``: a master on SQLite, a simulated cluster and an agent, all local.

The three run as child processes with their output in ``<data-dir>/logs``.
A few minutes in (``--incident-after``), the simulated ``identity/auth`` fails a
quarter of its requests for ``--incident-duration``: its page fires within an
alert round or two (``--alert-interval``) and resolves about a minute after the
incident ends; ``--alertmanager-url`` delivers those alerts to an Alertmanager.
The demo waits for the master to be ready, prints the dashboard URL, sets the
objectives of ``deploy/slos.example.yaml`` once the agent's first snapshot
arrived (on a database without targets of its own), and then watches:
Ctrl-C or SIGTERM stops the children (agent first, so its last snapshot
still reaches the master); a child that dies on its own stops the
demo with a non-zero exit and the end of that child's log.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import httpx
from pydantic import Field

from adapters.simulator.incident import INCIDENT_WORKLOAD
from entrypoints.children import Child
from entrypoints.config import Duration, ProcessSettings, load_settings
from entrypoints.simulate_cmd import OffOrDuration

CLUSTER_ID = "demo"
# The SLOs-as-code example (SPEC §10), written for this demo's simulated cluster.
EXAMPLE_SLOS = Path(__file__).resolve().parents[2] / "deploy" / "slos.example.yaml"


def _flag(name: str) -> dict[str, str]:
    return {"flag": name}


class DemoSettings(ProcessSettings):
    """Fields carry a ``demo_`` prefix: ``MESHSLO_DEMO_…`` never collides with the children's variables."""

    demo_data_dir: Path = Field(Path("./data/demo"), description="database, spool, state and logs",
                                json_schema_extra=_flag("--data-dir"))
    demo_host: str = Field("127.0.0.1", description="address the master (and dashboard) listens on",
                           json_schema_extra=_flag("--host"))
    demo_port: int = Field(8080, ge=0, le=65535, description="dashboard port (0: any free port)",
                           json_schema_extra=_flag("--port"))
    demo_interval: Duration = Field(5.0, gt=0, description="agent scrape interval",
                                    json_schema_extra=_flag("--interval"))
    demo_seed: int = Field(1, description="seed of the simulated cluster", json_schema_extra=_flag("--seed"))
    demo_start_timeout: Duration = Field(60.0, gt=0, description="how long to wait for the master",
                                         json_schema_extra=_flag("--start-timeout"))
    demo_incident_after: OffOrDuration = Field(
        240.0, description=f"{INCIDENT_WORKLOAD} starts failing this long after the start "
                           "(0 or off: no incident)", json_schema_extra=_flag("--incident-after"))
    demo_incident_duration: Duration = Field(360.0, gt=0, description="how long the incident lasts",
                                             json_schema_extra=_flag("--incident-duration"))
    demo_alert_interval: Duration = Field(15.0, gt=0, description="how often the master evaluates alerts",
                                          json_schema_extra=_flag("--alert-interval"))
    demo_alertmanager_url: str = Field(
        "", description="Alertmanager base URL(s), comma-separated, the alerts are posted to (none: kept "
                        "on the dashboard only)", json_schema_extra=_flag("--alertmanager-url"))



def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> OSError | None:
    """Why ``host:port`` cannot be listened on, or None. SO_REUSEADDR as uvicorn sets it, so a
    port left in TIME_WAIT by a previous demo is not mistaken for a busy one."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            return error
    return None


class Demo:
    def __init__(self, settings: DemoSettings) -> None:
        self.settings = settings
        data = settings.demo_data_dir.resolve()
        self.data = data
        host = settings.demo_host
        port = settings.demo_port or free_port(host)
        # Listening on every address: the agent (and the printed URL) use the loopback one.
        reachable = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
        self.host, self.port = host, port
        self.url = f"http://{reachable}:{port}"
        # The simulator starts its model afresh each run: counters saved against the last
        # one would make the first window span the downtime. Removed in run().
        self.agent_state = data / "agent-state.json"
        sim_port = free_port("127.0.0.1")
        self.sim_url = f"http://127.0.0.1:{sim_port}"
        routes = data / "routes.json"
        interval = f"{settings.demo_interval:g}"
        logs = data / "logs"
        self.simulator = Child("simulator", [
            "simulate", "--listen", f"127.0.0.1:{sim_port}", "--seed", str(settings.demo_seed),
            "--routes-out", str(routes), "--scrape-interval", interval,
            "--incident-after", f"{settings.demo_incident_after:g}",
            "--incident-duration", f"{settings.demo_incident_duration:g}",
        ], logs / "simulator.log")
        self.master = Child("master", [
            "master", "--database-url", f"sqlite:///{data / 'meshslo.db'}",
            "--listen", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "--aggregate-interval", "1m", "--status-interval", "15s",
            "--alert-interval", f"{settings.demo_alert_interval:g}", *self._delivery_args(),
        ], logs / "master.log")
        self.agent = Child("agent", [
            "agent", "--cluster-id", CLUSTER_ID, "--master-url", self.url,
            "--metrics-url", f"{self.sim_url}/metrics", "--health-url", "",
            "--routes", f"file:{routes}", "--interval", interval,
            "--spool-dir", str(data / "spool"), "--state-file", str(self.agent_state),
            "--listen", "",
        ], logs / "agent.log")
        self.stop_requested = threading.Event()
        self.objectives_file = EXAMPLE_SLOS

    def _delivery_args(self) -> list[str]:
        if not self.settings.demo_alertmanager_url:
            return []
        # The alerts' links then open this demo's dashboard.
        return ["--alertmanager-url", self.settings.demo_alertmanager_url, "--public-url", f"{self.url}/"]

    @property
    def children(self) -> list[Child]:
        return [self.master, self.simulator, self.agent]

    def _wait_ready(self, url: str, child: Child, deadline: float) -> bool:
        while time.monotonic() < deadline and not self.stop_requested.is_set():
            if child.exit_code() is not None:
                return False
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return False

    def _died(self, child: Child) -> int:
        print(f"meshslo demo: the {child.name} exited unexpectedly with code {child.exit_code()}; "
              f"last lines of {child.log_path}:\n{child.tail()}", file=sys.stderr, flush=True)
        return 1

    def run(self) -> int:
        # Otherwise another server answering /readyz there would pass for our master.
        busy = port_in_use(self.host, self.port)
        if busy is not None:
            print(f"meshslo demo: cannot listen on {self.host}:{self.port} ({busy.strerror}); another "
                  f"server may be using it: choose another port with --port N (--port 0: any free port)",
                  file=sys.stderr, flush=True)
            return 1
        self.data.mkdir(parents=True, exist_ok=True)
        self.agent_state.unlink(missing_ok=True)
        deadline = time.monotonic() + self.settings.demo_start_timeout
        self.master.start()
        self.simulator.start()
        for child, url in ((self.simulator, f"{self.sim_url}/healthz"), (self.master, f"{self.url}/readyz")):
            if not self._wait_ready(url, child, deadline):
                if self.stop_requested.is_set():
                    return 0
                if child.exit_code() is not None:
                    return self._died(child)
                waited = self.settings.demo_start_timeout
                print(f"meshslo demo: the {child.name} did not become ready within {waited:g}s; "
                      f"last lines of {child.log_path}:\n{child.tail()}", file=sys.stderr, flush=True)
                return 1
        self.agent.start()
        threading.Thread(target=self.set_objectives, args=(deadline,), name="demo-objectives",
                         daemon=True).start()
        print(f"meshslo demo: dashboard at {self.url}/  (simulated cluster '{CLUSTER_ID}' at "
              f"{self.sim_url}/metrics, logs in {self.data / 'logs'}; Ctrl-C to stop)", flush=True)
        while not self.stop_requested.wait(0.5):
            for child in self.children:
                if child.exit_code() is not None:
                    return self._died(child)
        return 0

    def _cluster_reported(self, headers: dict[str, str], deadline: float) -> bool:
        while time.monotonic() < deadline and not self.stop_requested.is_set():
            try:
                answer = httpx.get(f"{self.url}/api/v2/clusters", headers=headers, timeout=5.0)
                if answer.status_code == 200 and any(
                        entry.get("cluster_id") == CLUSTER_ID for entry in answer.json()["clusters"]):
                    return True
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        return False

    def set_objectives(self, start_deadline: float) -> None:
        """Apply the example SLOs through ``meshslo slo apply``'s use case, so the page shows
        objectives from the first minute. A target needs a cluster that reported: this waits
        for the agent's first snapshot. Targets already stored (a previous run, edits made on
        the page) are kept as they are."""
        from adapters.master_client.targets_client import HttpTargetsApi
        from adapters.slo_files.files import SloFiles
        from application.ports.targets_api import TargetsApiError
        from application.slo_as_code import EXIT_OK, SloAsCode

        path = self.objectives_file
        if not path.is_file():
            print(f"meshslo demo: {path} not found: no objectives set", flush=True)
            return
        # The demo's master has no admin token: its writes need what its reads need.
        token = os.environ.get("MESHSLO_READ_TOKEN", "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # The first snapshot needs two scrapes (the first is a baseline) and its delivery.
        deadline = max(start_deadline, time.monotonic() + 30.0) + 3 * self.settings.demo_interval
        if not self._cluster_reported(headers, deadline):
            if not self.stop_requested.is_set():
                print(f"meshslo demo: cluster '{CLUSTER_ID}' did not report in time: no objectives set",
                      file=sys.stderr, flush=True)
            return
        lines: list[str] = []
        api = HttpTargetsApi(self.url, token)
        try:
            stored = api.list_targets(CLUSTER_ID)
            if stored:
                print(f"meshslo demo: keeping the {len(stored)} objective target(s) already stored",
                      flush=True)
                return
            code = SloAsCode(SloFiles(), api, out=lines.append, err=lines.append).apply(str(path))
        except TargetsApiError as error:
            code, lines = 1, [f"error: {error}"]
        finally:
            api.close()
        if code == EXIT_OK:
            print(f"meshslo demo: objectives set from {path.name}", flush=True)
        elif not self.stop_requested.is_set():
            print(f"meshslo demo: could not set the objectives of {path}:\n" + "\n".join(lines),
                  file=sys.stderr, flush=True)

    def shutdown(self) -> None:
        # Agent first: its last snapshot still finds the master; then the rest.
        for child in (self.agent, self.simulator, self.master):
            child.stop()


def run(argv: list[str]) -> int:
    settings = load_settings(DemoSettings, argv, "meshslo demo",
                             "Run a master on SQLite, a simulated cluster and an agent, all local.")
    demo = Demo(settings)

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if not demo.stop_requested.is_set():
            print(f"meshslo demo: {signal.Signals(signum).name} received, stopping", flush=True)
        demo.stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        code = demo.run()
    finally:
        demo.shutdown()
    if code == 0:
        print("meshslo demo: stopped", flush=True)
    return code
