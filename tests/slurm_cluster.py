"""A one-node SLURM cluster on loopback, started by hand, for the workflow's cluster test.

The test needs root and Debian's packages (`slurm-wlm`, `munge`): `unavailable_reason` and
`install_packages` say why it cannot run instead of failing. `one_node_cluster` writes
`/etc/slurm/slurm.conf` (the one place every SLURM command finds it: the executor plugin clears
`SLURM_*` variables, `SLURM_CONF` included, before it calls `srun`), starts `munged` (unless one
already answers), `slurmctld` and `slurmd` in the foreground so that their PIDs are known, waits
for the node to be idle, and on the way out stops exactly those PIDs and puts the config back.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurm-wlm", "munge")
# Everything the cluster and the executor plugin call; a missing one means "install".
COMMANDS = (
    "munged", "munge", "unmunge", "slurmctld", "slurmd",
    "sbatch", "srun", "squeue", "sinfo", "scontrol", "scancel",
)  # fmt: skip
SLURM_CONF = Path("/etc/slurm/slurm.conf")
MUNGE_KEY = Path("/etc/munge/munge.key")
MUNGE_RUN_DIR = Path("/run/munge")
# The first line of every slurm.conf this module writes: a config with it is ours to replace.
MARKER = "# Written by tests/slurm_cluster.py (neural_sculpting's SLURM test); safe to delete."
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ClusterUnavailable(RuntimeError):
    """This machine cannot host the test cluster (not root, not Debian, no package registry)."""


class ClusterError(RuntimeError):
    """The cluster was installed but did not come up (a daemon died or the node never idled)."""


def _which(command: str) -> str | None:
    return shutil.which(command, path=f"{os.environ.get('PATH', '')}:{SBIN_PATH}")


def unavailable_reason() -> str | None:
    """Why this machine cannot run the cluster test, or None when it can try."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the SLURM test installs packages and starts daemons: it must run as root"
    if _which("apt-get") is None or not Path("/etc/debian_version").is_file():
        return "the SLURM test installs Debian's slurm-wlm and munge: no apt-get here"
    return None


def missing_commands() -> list[str]:
    """The SLURM and munge commands not found on PATH (or in the sbin folders)."""
    return [command for command in COMMANDS if _which(command) is None]


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(line for line in text.strip().splitlines()[-lines:] if line.strip())


def install_packages(timeout_s: float = 900) -> None:
    """Install slurm-wlm and munge with apt-get unless their commands are already there.

    Raises ClusterUnavailable (the test skips) when apt-get cannot do it, which in practice
    means no registry is reachable.
    """
    if not missing_commands():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "PATH": SBIN_PATH}
    steps = (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
    )
    for step in steps:
        try:
            result = subprocess.run(
                step, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise ClusterUnavailable(f"`{' '.join(step)}` ran past {timeout_s:.0f} s") from None
        if result.returncode != 0:
            raise ClusterUnavailable(
                f"`{' '.join(step)}` failed (exit {result.returncode}): "
                f"{_tail(result.stdout + result.stderr)}"
            )
    still_missing = missing_commands()
    if still_missing:
        raise ClusterUnavailable(f"installed {PACKAGES} but {still_missing} are still missing")


def _free_port() -> int:
    # A fresh port for each daemon, so that a SLURM already running on this machine is no clash.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise ClusterError("/proc/meminfo has no MemTotal line")


@dataclass(frozen=True)
class ClusterSettings:
    """What the one-node cluster looks like; state lives under `state_dir`."""

    state_dir: Path
    node: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    cpus: int = 2
    partition: str = "sculpt"
    memory_mb: int = field(default_factory=_memory_mb)
    # Finished jobs stay visible to squeue this long; the plugin's status checks rely on it.
    min_job_age_s: int = 600
    controller_port: int = field(default_factory=_free_port)
    node_port: int = field(default_factory=_free_port)


def slurm_conf(settings: ClusterSettings) -> str:
    """The slurm.conf of a one-node cluster on 127.0.0.1, without accounting or cgroups."""
    state = settings.state_dir
    lines = [
        MARKER,
        "ClusterName=sculpt",
        f"SlurmctldHost={settings.node}(127.0.0.1)",
        f"SlurmctldPort={settings.controller_port}",
        f"SlurmdPort={settings.node_port}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"StateSaveLocation={state / 'ctld'}",
        f"SlurmdSpoolDir={state / 'slurmd'}",
        f"SlurmctldPidFile={state / 'slurmctld.pid'}",
        f"SlurmdPidFile={state / 'slurmd.pid'}",
        f"SlurmctldLogFile={state / 'slurmctld.log'}",
        f"SlurmdLogFile={state / 'slurmd.log'}",
        "SlurmctldDebug=info",
        "SlurmdDebug=info",
        # No cgroups in containers: track processes through /proc and bind no tasks.
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "SchedulerType=sched/backfill",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "MailProg=/bin/true",
        "ReturnToService=2",
        f"MinJobAge={settings.min_job_age_s}",
        # Trust the node line rather than the probed hardware, so a smaller machine still idles.
        "SlurmdParameters=config_overrides",
        f"NodeName={settings.node} NodeAddr=127.0.0.1 NodeHostname={settings.node} "
        f"CPUs={settings.cpus} RealMemory={settings.memory_mb} State=UNKNOWN",
        f"PartitionName={settings.partition} Nodes={settings.node} Default=YES "
        "MaxTime=INFINITE State=UP",
    ]
    return "\n".join(lines) + "\n"


def _munge_answers() -> bool:
    """True when a munge credential round-trips through the running munged."""
    try:
        credential = subprocess.run(
            ["munge", "-n"], capture_output=True, timeout=10, check=True
        ).stdout
        subprocess.run(["unmunge"], input=credential, capture_output=True, timeout=10, check=True)
    except (subprocess.SubprocessError, OSError):
        return False
    return True


def _ensure_munge_key() -> None:
    if MUNGE_KEY.is_file():
        return
    MUNGE_KEY.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    MUNGE_KEY.write_bytes(os.urandom(1024))
    MUNGE_KEY.chmod(0o400)
    shutil.chown(MUNGE_KEY, "munge", "munge")


@dataclass
class Cluster:
    """A running cluster: its settings and the daemons this module started (name -> process)."""

    settings: ClusterSettings
    daemons: dict[str, subprocess.Popen] = field(default_factory=dict)
    created_run_dir: bool = False

    def log(self, name: str) -> str:
        """The text of a daemon's log file in the state folder ('' if it has none yet)."""
        path = self.settings.state_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def jobs(self) -> dict[str, tuple[str, str]]:
        """Every job slurmctld still holds, finished ones included: id -> (name, state)."""
        result = subprocess.run(
            ["squeue", "--noheader", "--states=all", "--format=%i|%j|%T"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        jobs = {}
        for line in result.stdout.splitlines():
            job_id, name, state = line.strip().split("|")
            jobs[job_id] = (name, state)
        return jobs

    def _start(self, name: str, command: list[str], **popen: object) -> None:
        output = (self.settings.state_dir / f"{name}.out").open("ab")
        # A session of its own, so that a Ctrl-C meant for pytest does not reach the daemon.
        self.daemons[name] = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, **popen
        )
        output.close()

    def _check_alive(self) -> None:
        for name, process in self.daemons.items():
            if process.poll() is not None:
                raise ClusterError(
                    f"{name} (pid {process.pid}) exited with status {process.returncode}: "
                    f"{_tail(self.log(name) + self._out(name))}"
                )

    def _out(self, name: str) -> str:
        path = self.settings.state_dir / f"{name}.out"
        return path.read_text(errors="replace") if path.is_file() else ""

    def start(self, timeout_s: float = 90) -> None:
        """Start munged (unless one answers), slurmctld and slurmd; wait for an idle node."""
        for folder in ("ctld", "slurmd"):
            (self.settings.state_dir / folder).mkdir(parents=True, exist_ok=True)
        if not _munge_answers():
            _ensure_munge_key()
            if not MUNGE_RUN_DIR.exists():
                # /run/munge comes from systemd's tmpfiles, absent when nothing ran them.
                MUNGE_RUN_DIR.mkdir(mode=0o755, parents=True)
                shutil.chown(MUNGE_RUN_DIR, "munge", "munge")
                self.created_run_dir = True
            self._start(
                "munged",
                [_which("munged") or "munged", "--foreground"],
                user="munge",
                group="munge",
                extra_groups=[],
            )
            self._wait(_munge_answers, timeout_s, "munged to answer")
        self._start("slurmctld", [_which("slurmctld") or "slurmctld", "-D", "-c"])
        self._start("slurmd", [_which("slurmd") or "slurmd", "-D"])
        self._wait(self._node_idle, timeout_s, f"node {self.settings.node} to be idle")

    def _node_idle(self) -> bool:
        result = subprocess.run(
            ["sinfo", "--noheader", "--Node", "--format=%N %T"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        return result.returncode == 0 and f"{self.settings.node} idle" in result.stdout

    def _wait(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            if ready():
                return
            time.sleep(0.5)
        raise ClusterError(
            f"gave up after {timeout_s:.0f} s waiting for {what}: "
            f"slurmctld: {_tail(self.log('slurmctld'))}; slurmd: {_tail(self.log('slurmd'))}"
        )

    def stop(self, timeout_s: float = 20) -> None:
        """Cancel the cluster's jobs, then stop every daemon this module started, by its PID."""
        if "slurmctld" in self.daemons and self.daemons["slurmctld"].poll() is None:
            # slurmstepd outlives slurmd by design: cancel jobs first so that none is left over.
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                subprocess.run(
                    ["scancel", "--full", "--user=root"],
                    capture_output=True, timeout=30, check=False,
                )  # fmt: skip
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and any(
                state in ("RUNNING", "PENDING", "COMPLETING")
                for _, state in self._jobs_or_empty().values()
            ):
                time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.daemons.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout_s)
        if self.created_run_dir:
            with contextlib.suppress(OSError):
                MUNGE_RUN_DIR.rmdir()

    def _jobs_or_empty(self) -> dict[str, tuple[str, str]]:
        try:
            return self.jobs()
        except (subprocess.SubprocessError, OSError, ValueError):
            return {}


@contextlib.contextmanager
def _installed_config(text: str) -> Iterator[None]:
    """Put `text` at /etc/slurm/slurm.conf; afterwards restore what was there (or nothing)."""
    backup = SLURM_CONF.with_name(f"slurm.conf.before-sculpt-test-{os.getpid()}")
    created_dir = not SLURM_CONF.parent.exists()
    ours_before = SLURM_CONF.is_file() and SLURM_CONF.read_text(errors="replace").startswith(MARKER)
    if SLURM_CONF.exists() and not ours_before:
        SLURM_CONF.rename(backup)
    SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
    try:
        SLURM_CONF.write_text(text)
        yield
    finally:
        SLURM_CONF.unlink(missing_ok=True)
        if backup.exists():
            backup.rename(SLURM_CONF)
        elif created_dir:
            with contextlib.suppress(OSError):
                SLURM_CONF.parent.rmdir()


@contextlib.contextmanager
def one_node_cluster(state_dir: Path, cpus: int = 2) -> Iterator[Cluster]:
    """A started one-node cluster with `cpus` CPUs; stopped and cleaned up on the way out."""
    settings = ClusterSettings(state_dir=Path(state_dir), cpus=cpus)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(settings)
    with _installed_config(slurm_conf(settings)):
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()
            shutil.rmtree(settings.state_dir, ignore_errors=True)
