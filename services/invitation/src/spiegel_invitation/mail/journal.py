"""The sender's local journal: which mails had their final "." handed to the kernel.

The database records "about to commit" (a fate document) before the final
line of a message is written, and the outcome after the server's reply. A
kill -9 between the two leaves the database unsure whether the server got
the message. The journal closes that gap: right after the final line is
written to the socket (a synchronous syscall), one line is appended to a file
(another syscall; the page cache survives the death of the process). A
restarted sender on the same host reads the journals of its dead predecessors
(an incarnation whose lock file is no longer locked), so it knows exactly
which committed mails reached the server; the uncertain window shrinks to the
instant between two adjacent syscalls.

Each batch writes its own segment, removed once every outcome of the batch is
in the database.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Recovered:
    incarnations: set[str] = field(default_factory=set)
    # (tenant, mail key, attempt) -> the server's reply, or "" when unknown
    committed: dict[tuple[str, str, int], str] = field(default_factory=dict)


class Segment:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def dot_written(self, tenant: str, key: str, attempt: int) -> None:
        os.write(self._fd, f"dot\t{tenant}\t{key}\t{attempt}\n".encode())

    def replied(self, tenant: str, key: str, attempt: int, reply: str) -> None:
        clean = " ".join(reply.split())[:200]
        os.write(self._fd, f"reply\t{tenant}\t{key}\t{attempt}\t{clean}\n".encode())

    def remove(self) -> None:
        os.close(self._fd)
        self.path.unlink(missing_ok=True)


class Journal:
    def __init__(self, folder: str | Path, worker: str, incarnation: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.worker = _safe(worker)
        self.incarnation = incarnation
        self.lock_path = self.folder / f"{self.worker}.{incarnation}.lock"
        self._lock = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held while this process lives

    def segment(self, number: int) -> Segment:
        return Segment(self.folder / f"{self.worker}.{self.incarnation}.{number}.journal")

    def close(self) -> None:
        os.close(self._lock)
        self.lock_path.unlink(missing_ok=True)

    def recover_predecessors(self) -> Recovered:
        """Read the journals of this worker's dead incarnations (their lock is free)."""
        found = Recovered()
        for lock in sorted(self.folder.glob(f"{self.worker}.*.lock")):
            incarnation = lock.name.split(".")[-2]
            if incarnation == self.incarnation:
                continue
            fd = os.open(lock, os.O_RDWR)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # that process is alive
                found.incarnations.add(incarnation)
                for path in self.folder.glob(f"{self.worker}.{incarnation}.*.journal"):
                    for line in path.read_text(errors="replace").splitlines():
                        parts = line.split("\t")
                        if len(parts) < 4 or not parts[3].isdigit():
                            continue  # a torn last line
                        ident = (parts[1], parts[2], int(parts[3]))
                        if parts[0] == "dot":
                            found.committed.setdefault(ident, "")
                        elif parts[0] == "reply" and len(parts) >= 5:
                            found.committed[ident] = parts[4]
            finally:
                os.close(fd)
        return found

    def forget_predecessors(self, incarnations: set[str]) -> None:
        for incarnation in incarnations:
            for path in self.folder.glob(f"{self.worker}.{incarnation}.*.journal"):
                path.unlink(missing_ok=True)
            (self.folder / f"{self.worker}.{incarnation}.lock").unlink(missing_ok=True)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:80] or "worker"
