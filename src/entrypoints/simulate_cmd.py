"""``meshslo simulate``: serve a simulated cluster's metrics endpoint with known ground truth."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from adapters.simulator.faults import FaultPlanError, parse_fault_plan
from adapters.simulator.incident import INCIDENT_WORKLOAD, schedule_incident
from adapters.simulator.model import ClusterModel
from adapters.simulator.server import SimulatorServer
from entrypoints.config import Duration, ProcessSettings, load_settings


def _off_is_zero(value: Any) -> Any:
    return 0 if isinstance(value, str) and value.strip().lower() == "off" else value


# A duration where ``off`` reads as 0 (no incident).
OffOrDuration = Annotated[Duration, BeforeValidator(_off_is_zero)]


def _flag(name: str) -> dict[str, str]:
    return {"flag": name}


class SimulateSettings(ProcessSettings):
    """Fields carry a ``sim_`` prefix so that their environment variables
    (``MESHSLO_SIM_…``) never collide with the master's or the agent's."""

    sim_listen: str = Field("127.0.0.1:9100", description="HOST:PORT to serve on (port 0: any free port)",
                            json_schema_extra=_flag("--listen"))
    sim_seed: int = Field(1, description="seed of the deterministic model", json_schema_extra=_flag("--seed"))
    sim_routes_out: str = Field("", description="write the scenario's routes (JSON) to this file",
                                json_schema_extra=_flag("--routes-out"))
    sim_fault_plan: str = Field("", description="faulty scrapes, e.g. 3:500,5:garbage,7-8:truncate",
                                json_schema_extra=_flag("--fault-plan"))
    sim_metric_prefix: str = Field("otel_", description="prefix of every metric name",
                                   json_schema_extra=_flag("--metric-prefix"))
    sim_restart_every: int = Field(4, ge=0, description="restart a pod every N steps (0: never)",
                                   json_schema_extra=_flag("--restart-every"))
    sim_rollout_every: int = Field(9, ge=0, description="replace a pod every N steps (0: never)",
                                   json_schema_extra=_flag("--rollout-every"))
    sim_controller_restart_every: int = Field(
        7, ge=0, description="restart an ingress controller replica every N steps (0: never)",
        json_schema_extra=_flag("--controller-restart-every"))
    sim_traffic_scale: float = Field(1.0, gt=0, description="multiplies every request rate",
                                     json_schema_extra=_flag("--traffic-scale"))
    sim_truth_history: int = Field(720, ge=1,
                                   description="steps whose truth is kept (older ones are dropped)",
                                   json_schema_extra=_flag("--truth-history"))

    sim_incident_after: OffOrDuration = Field(
        0.0, description=f"{INCIDENT_WORKLOAD} starts failing this long after the first scrape "
                         "(0 or off: no incident)", json_schema_extra=_flag("--incident-after"))
    sim_incident_duration: Duration = Field(
        360.0, description="how long the incident lasts", json_schema_extra=_flag("--incident-duration"))
    sim_scrape_interval: Duration = Field(
        5.0, gt=0, description="expected time between scrapes: turns the incident's times into steps",
        json_schema_extra=_flag("--scrape-interval"))

    @field_validator("sim_fault_plan")
    @classmethod
    def _plan_is_valid(cls, value: str) -> str:
        parse_fault_plan(value)  # FaultPlanError is a ValueError: reported as a configuration error
        return value

    @field_validator("sim_listen")
    @classmethod
    def _listen_is_host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"{value!r} is not HOST:PORT")
        return value


def write_routes(model: ClusterModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"routes": model.routes()}, indent=2) + "\n")
    os.replace(temporary, path)


def run(argv: list[str]) -> int:
    settings = load_settings(SimulateSettings, argv, "meshslo simulate",
                             "Serve a simulated cluster's OpenTelemetry-Collector-style metrics endpoint.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        faults = parse_fault_plan(settings.sim_fault_plan)
    except FaultPlanError as error:  # pragma: no cover - validated above
        print(f"meshslo simulate: {error}", file=sys.stderr)
        return 2
    model = ClusterModel(
        seed=settings.sim_seed,
        prefix=settings.sim_metric_prefix,
        restart_every=settings.sim_restart_every,
        rollout_every=settings.sim_rollout_every,
        controller_restart_every=settings.sim_controller_restart_every,
        traffic_scale=settings.sim_traffic_scale,
        history=settings.sim_truth_history,
        incident=schedule_incident(settings.sim_incident_after, settings.sim_incident_duration,
                                   settings.sim_scrape_interval),
    )
    if settings.sim_routes_out:
        write_routes(model, Path(settings.sim_routes_out))
    host, _, port = settings.sim_listen.rpartition(":")
    try:
        server = SimulatorServer((host.strip("[]"), int(port)), model, faults)
    except OSError as error:
        print(f"meshslo simulate: cannot listen on {settings.sim_listen}: {error}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound_host, bound_port = server.server_address[:2]
    print(f"meshslo simulate: serving http://{bound_host}:{bound_port}/metrics "
          f"(truth at /truth, seed {settings.sim_seed})", flush=True)
    if model.incident is not None:
        incident = model.incident
        print(f"meshslo simulate: incident on {incident.workload} in steps {incident.first_step}-"
              f"{incident.last_step} ({incident.failure_share:.0%} of its requests fail)", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0
