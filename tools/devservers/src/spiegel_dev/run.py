"""`make run`: local servers, every service's processes, demo data; Ctrl-C stops all.

Ports: Kafka 29092 (controller 29093), FerretDB 27027, the gateway 8100 (the
address to open), the other services from 8101 up; override with SPIEGEL_PORT_BASE.
With KAFKA_BOOTSTRAP_SERVERS / MONGODB_URL set, those servers are used and
nothing local is started for them.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from importlib.metadata import entry_points

from spiegel_dev.gateway_env import gateway_env, web_env
from spiegel_dev.keys import dev_jwks_path, dev_link_token_key, dev_pop_keyring
from spiegel_dev.paths import cache_dir
from spiegel_dev.processes import port_open, spawn, wait_for
from spiegel_dev.processes import stop as stop_process
from spiegel_dev.servers import start_stack
from spiegel_dev.services import ServiceProcess, definitions, new_process, process_types, service_env


def main() -> int:
    base = int(os.environ.get("SPIEGEL_PORT_BASE", "8100"))
    workdir = cache_dir() / "run" / "dev"
    logdir = workdir / "logs"
    print("starting local servers ...", flush=True)
    stack = start_stack(workdir, kafka_port=29092, controller_port=29093, mongo_port=27027)
    smtp_port, mail_web_port = base + 90, base + 91
    mailcatcher = spawn(
        [
            sys.executable,
            "-m",
            "spiegel_dev.mailcatcher",
            "--smtp-port",
            str(smtp_port),
            "--http-port",
            str(mail_web_port),
        ],
        log=logdir / "mailcatcher.log",
    )
    wait_for(
        lambda: port_open(smtp_port) and port_open(mail_web_port),
        timeout=30,
        what="mail catcher",
        process=mailcatcher,
        log=logdir / "mailcatcher.log",
    )
    # Per-service settings for local development (the invitation service sends through the catcher).
    service_extra = {
        "invitation": {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "MAIL_FROM": "Spiegel <noreply@spiegel.localhost>",
            "PUBLIC_BASE_URL_TEMPLATE": f"http://127.0.0.1:{base}/t/{{slug}}",
            "LINK_TOKEN_KEYS": dev_link_token_key(),
            "SCHEDULER_INTERVAL_S": "10",
        },
        # The verification address printed on an RGS declaration.
        "accreditation": {"PUBLIC_BASE_URL_TEMPLATE": f"http://127.0.0.1:{base}/t/{{slug}}"},
        # The POPs' key encryption key (a development one, kept in the cache).
        "action-plan": {"POP_KEY_ENCRYPTION_KEYS": dev_pop_keyring()},
        # The gateway's own mail (e-mail verification, password reset) goes to the catcher too.
        "gateway": {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_TLS": "none",
            "MAIL_FROM": "Spiegel <noreply@spiegel.localhost>",
        },
    }
    processes: list[ServiceProcess] = []
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        port = base + 1  # the gateway's api gets `base` itself
        env_extra = {"LOG_FORMAT": "console"}
        # The web pages and then the gateway last: they are given the others' addresses.
        last = {"web": 1, "gateway": 2}
        for name, definition in sorted(definitions().items(), key=lambda item: last.get(item[0], 0)):
            env = service_env(
                service=name,
                kafka=stack.kafka_bootstrap,
                mongodb=stack.mongodb_url,
                jwks=str(dev_jwks_path()),
                extra={
                    **env_extra,
                    **service_extra.get(name, {}),
                    **(gateway_env(processes, base) if name == "gateway" else {}),
                    **(web_env(processes, base) if name == "web" else {}),
                },
            )
            for kind in process_types(definition):
                at = base if (name, kind) == ("gateway", "api") else port
                processes.append(new_process(name, kind, env, logdir, port=at).start(wait=False))
                if at == port:
                    port += 1
        for process in processes:
            process.wait_ready(timeout=90)
        # The demo data (spiegel_demo, a tools package: no service ships it).
        for seed in entry_points(group="spiegel.seeds"):
            seed.load()(stack=stack, processes=processes)
        print("\nSpiegel is running:\n")
        print(f"  Kafka      {stack.kafka_bootstrap}  ({'local' if stack.local else 'external'})")
        print(f"  MongoDB    {stack.mongodb_url}")
        print(f"  Mail       http://127.0.0.1:{mail_web_port}/  (SMTP 127.0.0.1:{smtp_port})")
        for process in processes:
            print(f"  {process.service:<14}{process.process:<9}{process.url}   log: {process.log}")
        if any(p.service == "gateway" for p in processes):
            print(f"\n  Open http://127.0.0.1:{base}/t/demo/  (the gateway; the demo hospital)")
        print("\nCtrl-C stops everything.\n", flush=True)
        while not stopping:
            for process in processes:
                if not process.running:
                    print(
                        f"{process.service} {process.process} stopped unexpectedly; see {process.log}",
                        file=sys.stderr,
                    )
                    stopping = True
            time.sleep(0.5)
    finally:
        print("stopping ...", flush=True)
        for process in reversed(processes):
            process.stop()
        stop_process(mailcatcher)
        stack.stop()
        print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
